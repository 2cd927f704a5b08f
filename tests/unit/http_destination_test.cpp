// The http destination: bodies rendered from templates (expected text written by hand from the
// template and the data), URLs percent-encoded, auth headers, per-record results, validation.
#include <boost/test/unit_test.hpp>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "connectors/destinations/http.hpp"
#include "pipelines/core/crypto.hpp"
#include "tests/unit/connector_fixture.hpp"

using namespace backflow;
using namespace backflow::unit;
using nlohmann::json;

namespace {

const std::string http_d38 = "1234567890123456789012345678.9012345678";  // 38 digits

json http_options(const json& extra = json::object()) {
  json options = {{"base_url", "http://127.0.0.1:9000/api"},
                  {"operations",
                   {{"upsert",
                     {{"method", "PUT"},
                      {"url", "/people/{{key}}?run={{run_id}}"},
                      {"body",
                       {{"id", "{{key}}"}, {"score", "{{score}}"}, {"big", "{{big}}"},
                        {"amount", "{{amount}}"}, {"note", "{{note}}"}, {"empty", "{{empty}}"},
                        {"label", "{{name}} ({{tier}}{{^note}}, no note{{/note}})"},
                        {"nested", {{"n", {"{{fields.score}}", "{{sync_name}}"}}}}}}}},
                    {"delete", {{"url", "/people/{{key}}"}}}}},
                  {"auth", {{"type", "bearer"}, {"token", "tok-123456789"}}}};
  options.merge_patch(extra);
  return options;
}

http_destination make_http(const json& options, sync_mode mode = sync_mode::mirror) {
  auto ctx = context_for(http_destination::type(), options, mode);
  ctx.sync_name = "orders";
  ctx.run_id = 42;
  return http_destination(ctx);
}

/// One upsert of hostile values: Unicode and quotes, an integer past 2^53, a 38-digit decimal,
/// NULL and "".
delivery_batch hostile_batch(delivery_op op = delivery_op::upsert) {
  delivery_batch b;
  b.batch_id = "r42-b1";
  b.field_names = {"name", "score", "big", "amount", "note", "empty", "tier"};
  b.records.push_back(record("ann+1/é@x.com", op,
                             encode_row({txt("Zoë \"Q\""), num(7), num(9007199254740993),
                                         cell::of_decimal(http_d38), null(), txt(""), txt("gold")})));
  return b;
}

std::string http_openssl_hmac(const EVP_MD* md, const std::string& key, const std::string& message) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  HMAC(md, key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(message.data()), message.size(), mac, &n);
  return std::string(reinterpret_cast<const char*>(mac), n);
}

std::vector<std::string> check_http(const json& options, sync_mode mode,
                               std::vector<std::string> mapped = {}) {
  config_errors errors;
  destination_context ctx;
  ctx.options = validate_options(options, http_destination::type().options, "destination", errors);
  ctx.mode = mode;
  ctx.mapped_fields = std::move(mapped);
  http_destination::type().check(ctx, "destination", errors);
  return errors.items();
}

}  // namespace

BOOST_AUTO_TEST_SUITE(http_destination_tests)

BOOST_AUTO_TEST_CASE(one_record_renders_typed_leaves_text_and_an_encoded_url) {
  auto req = make_http(http_options()).build_request(hostile_batch());
  BOOST_TEST(req.method == "PUT");
  BOOST_TEST(req.url == "http://127.0.0.1:9000/api/people/ann%2B1%2F%C3%A9%40x.com?run=42");
  BOOST_TEST(req.body ==
             R"J({"amount":1234567890123456789012345678.9012345678,"big":9007199254740993,)J"
             R"J("empty":"","id":"ann+1/é@x.com","label":"Zoë \"Q\" (gold, no note)",)J"
             R"J("nested":{"n":[7,"orders"]},"note":null,"score":7})J");
  BOOST_TEST(header_of(req, "Authorization") == "Bearer tok-123456789");
  BOOST_TEST(header_of(req, "Content-Type") == "application/json");
}

BOOST_AUTO_TEST_CASE(a_delete_without_a_body_sends_none) {
  auto req = make_http(http_options()).build_request(hostile_batch(delivery_op::remove));
  BOOST_TEST(req.method == "DELETE");
  BOOST_TEST(req.url == "http://127.0.0.1:9000/api/people/ann%2B1%2F%C3%A9%40x.com");
  BOOST_TEST(req.body.empty());
  BOOST_TEST(header_of(req, "Content-Type") == "<absent>");
}

BOOST_AUTO_TEST_CASE(batches_go_under_the_path_of_the_envelope) {
  json batch = {{"operations",
                 {{"upsert", {{"url", "/people/batch"}, {"body", {{"k", "{{key}}"}, {"all", "{{fields}}"}}}}},
                  {"delete", {{"method", "POST"}, {"url", "/people/delete"}}}}},
                {"batch", {{"path", "/data/items"}, {"envelope", {{"sync", "{{sync_name}}"}}}}},
                {"batch_size", 2},
                {"headers", {{"Idempotency-Key", "{{batch_id}}"}}}};
  auto options = http_options();
  options["operations"] = nullptr;
  options.merge_patch(batch);
  auto dest = make_http(options);
  BOOST_TEST(dest.batch_size(delivery_op::upsert) == 2u);
  auto b = hostile_batch();
  b.records.push_back(record("b", delivery_op::upsert,
                             encode_row({null(), num(-1), num(0), cell::of_decimal("0.1"), txt("n"),
                                         txt(""), txt("")})));
  auto req = dest.build_request(b);
  BOOST_TEST(req.url == "http://127.0.0.1:9000/api/people/batch");
  BOOST_TEST(header_of(req, "Idempotency-Key") == "r42-b1");
  BOOST_TEST(req.body ==
             R"J({"data":{"items":[{"all":{"amount":1234567890123456789012345678.9012345678,)J"
             R"J("big":9007199254740993,"empty":"","name":"Zoë \"Q\"","note":null,"score":7,)J"
             R"J("tier":"gold"},"k":"ann+1/é@x.com"},{"all":{"amount":0.1,"big":0,"empty":"",)J"
             R"J("name":null,"note":"n","score":-1,"tier":""},"k":"b"}]},"sync":"orders"})J");
  for (auto& r : b.records)
    r.op = delivery_op::remove;
  auto del = dest.build_request(b);
  BOOST_TEST(del.method == "POST");
  BOOST_TEST(del.body == R"J({"data":{"items":["ann+1/é@x.com","b"]},"sync":"orders"})J");
}

BOOST_AUTO_TEST_CASE(auth_basic_header_and_hmac) {
  auto basic = make_http(http_options({{"auth", {{"type", "basic"}, {"username", "aladdin"}, {"password", "opensesame"}}}}));
  // RFC 7617's example credential.
  BOOST_TEST(header_of(basic.build_request(hostile_batch()), "Authorization") == "Basic YWxhZGRpbjpvcGVuc2VzYW1l");
  auto keyed = make_http(http_options({{"auth", {{"type", "header"}, {"header", "X-Api-Key"}, {"value", "k-abcdef"}}}}));
  BOOST_TEST(header_of(keyed.build_request(hostile_batch()), "X-Api-Key") == "k-abcdef");
  auto hmac = make_http(http_options({{"auth", {{"type", "hmac"}, {"secret", "shh-secret"}, {"header", "X-Hub-Signature-256"},
                                  {"prefix", "sha256="}}}}));
  auto req = hmac.build_request(hostile_batch());
  BOOST_TEST(header_of(req, "X-Hub-Signature-256") ==
             "sha256=" + hex_encode(http_openssl_hmac(EVP_sha256(), "shh-secret", req.body)));
  auto b64 = make_http(http_options({{"auth", {{"type", "hmac"}, {"secret", "shh-secret"}, {"algorithm", "sha512"},
                                 {"encoding", "base64"}}}}));
  auto req2 = b64.build_request(hostile_batch());
  BOOST_TEST(header_of(req2, "X-Signature") ==
             base64_encode(http_openssl_hmac(EVP_sha512(), "shh-secret", req2.body)));
}

BOOST_AUTO_TEST_CASE(per_record_results_are_read_by_pointer) {
  auto options = http_options({{"results", {{"items", "/data/results"}, {"success", "/ok"},
                                   {"error", "/problem/message"}, {"id", "/id"}}}});
  options["batch"] = {{"path", "/records"}};
  options["operations"]["upsert"]["url"] = "/people";
  auto dest = make_http(options);
  auto b = hostile_batch();
  b.records.push_back(b.records[0]);
  b.records.push_back(b.records[0]);
  json body = {{"data", {{"results", {{{"ok", true}, {"id", 9007199254740993}},
                                      {{"ok", false}, {"problem", {{"message", "bad email"}}}},
                                      {{"ok", "true"}, {"id", "x-3"}}}}}}};
  auto v = dest.interpret(b, response(207, body));
  BOOST_REQUIRE(v.outcomes.size() == 3u);
  BOOST_TEST(delivered_as(v.outcomes[0], "9007199254740993"));
  BOOST_TEST((v.outcomes[1].what == record_outcome::kind::rejected));
  BOOST_TEST(v.outcomes[1].reason == "bad email");
  BOOST_TEST(delivered_as(v.outcomes[2], "x-3"));
  // Two results for three records: none can be trusted, all are retried.
  body["data"]["results"].erase(2);
  auto short_answer = dest.interpret(b, response(200, body));
  BOOST_REQUIRE(short_answer.outcomes.size() == 3u);
  BOOST_TEST((short_answer.outcomes[0].what == record_outcome::kind::retryable));
  // Not 2xx: the shared classifier.
  BOOST_TEST((dest.interpret(b, response(503, json())).what == batch_verdict::kind::retry));
}

BOOST_AUTO_TEST_CASE(an_item_status_is_classified_like_an_answer) {
  auto options = http_options({{"results", {{"items", "/results"}, {"status", "/code"}, {"error", "/msg"}}}});
  options["batch"] = {{"path", "/records"}};
  options["operations"]["upsert"]["url"] = "/people";
  auto b = hostile_batch();
  b.records.push_back(b.records[0]);
  b.records.push_back(b.records[0]);
  json body = {{"results", {{{"code", 201}}, {{"code", 429}, {"msg", "slow down"}}, {{"code", 409}}}}};
  auto v = make_http(options).interpret(b, response(207, body));
  BOOST_REQUIRE(v.outcomes.size() == 3u);
  BOOST_TEST((v.outcomes[0].what == record_outcome::kind::delivered));
  BOOST_TEST((v.outcomes[1].what == record_outcome::kind::retryable));
  BOOST_TEST(v.outcomes[1].reason == "slow down");
  BOOST_TEST((v.outcomes[2].what == record_outcome::kind::rejected));
  BOOST_TEST(v.outcomes[2].reason == "item status 409");
}

BOOST_AUTO_TEST_CASE(one_record_per_request_reads_the_answer_itself) {
  auto dest = make_http(http_options({{"results", {{"success", "/saved"}, {"id", "/person/id"}}}}));
  auto one = hostile_batch();
  auto ok = dest.interpret(one, response(201, {{"saved", true}, {"person", {{"id", "p-1"}}}}));
  BOOST_REQUIRE(ok.outcomes.size() == 1u);
  BOOST_TEST(delivered_as(ok.outcomes[0], "p-1"));
  auto refused = dest.interpret(one, response(200, {{"saved", false}}));
  BOOST_REQUIRE(refused.outcomes.size() == 1u);
  BOOST_TEST((refused.outcomes[0].what == record_outcome::kind::rejected));
  // A 422 for the one record: the shared classifier rejects it with the API's words.
  auto v = dest.interpret(one, response(422, {{"error", "score out of range"}}));
  BOOST_TEST((v.what == batch_verdict::kind::reject));
  BOOST_TEST(v.reason.find("score out of range") != std::string::npos);
  // An answer without content (a DELETE's 204) has no results to read: delivered.
  BOOST_TEST((dest.interpret(one, response(204, json())).outcomes[0].what ==
              record_outcome::kind::delivered));
  // Without results, any 2xx delivers: its body is not read.
  auto plain = make_http(http_options());
  BOOST_TEST((plain.interpret(one, response(204, json())).outcomes[0].what ==
              record_outcome::kind::delivered));
}

BOOST_AUTO_TEST_CASE(validation_names_every_problem_with_its_path) {
  json options = {{"base_url", "http://127.0.0.1:9000"},
                  {"operations",
                   {{"upsert", {{"url", "/p/{{key}}"}, {"body", {{"s", "{{scroe}}"}, {"t", "{{#x}}"}}}}},
                    {"update", {{"url", "/p"}, {"body", "{not json"}}}}},
                  {"auth", {{"type", "bearer"}}},
                  {"batch", {{"path", "records"}}},
                  {"results", {{"items", "results"}}}};
  auto errors = check_http(options, sync_mode::mirror, {"score", "tier"});
  const auto all = joined(errors);
  BOOST_TEST(has_prefix(errors, "destination.operations.upsert.body/s: unknown variable \"scroe\""), all);
  BOOST_TEST(has_prefix(errors, "destination.operations.upsert.body/t: template syntax"), all);
  BOOST_TEST(has_prefix(errors, "destination.operations.upsert.url: unknown variable \"key\" (batch mode"), all);
  BOOST_TEST(has_prefix(errors, "destination.operations.update.body: is not JSON"), all);
  BOOST_TEST(has_prefix(errors, "destination.operations.delete: is required: mode \"mirror\""), all);
  BOOST_TEST(has_prefix(errors, "destination.auth.token: is required"), all);
  BOOST_TEST(has_prefix(errors, "destination.batch.path: is not a JSON pointer"), all);
  BOOST_TEST(has_prefix(errors, "destination.results.items: is not a JSON pointer"), all);
  // A delete without a URL is named by the option table.
  config_errors table;
  validate_options({{"base_url", "http://x.test"}, {"operations", {{"delete", {{"method", "DELETE"}}}}}},
                   http_destination::type().options, "destination", table);
  BOOST_TEST(has_prefix(table.items(), "destination.operations.delete.url"), joined(table.items()));
  BOOST_TEST(check_http(http_options(), sync_mode::mirror, {"name", "score", "big", "amount", "note", "empty", "tier"})
                 .empty());
}

BOOST_AUTO_TEST_CASE(credentials_are_redacted) {
  json options = http_options({{"auth", {{"type", "hmac"}, {"secret", "hmac-key-123456"}, {"token", "tok-99999999"},
                                {"password", "pw-1234567"}, {"value", "apikey-123456"}}}});
  auto shown = redact(options, http_destination::type().options).dump();
  for (const auto* secret : {"hmac-key-123456", "tok-99999999", "pw-1234567", "apikey-123456"})
    BOOST_TEST(shown.find(secret) == std::string::npos, secret);
}

BOOST_AUTO_TEST_SUITE_END()
