// The webhook connector: body shape, headers, stable webhook-id, signatures checked with OpenSSL.
#include <boost/test/unit_test.hpp>

#include <ctime>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "pipelines/core/crypto.hpp"
#include "tests/unit/connector_fixture.hpp"

using namespace backflow;
using namespace backflow::unit;
using nlohmann::json;

namespace {

/// HMAC-SHA256 then base64, straight from OpenSSL (independent of the connector's helpers).
std::string openssl_signature(const std::string& key, const std::string& message) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int mac_len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(message.data()), message.size(), mac, &mac_len);
  std::string b64(4 * ((mac_len + 2) / 3) + 1, '\0');
  int n =
      EVP_EncodeBlock(reinterpret_cast<unsigned char*>(b64.data()), mac, static_cast<int>(mac_len));
  b64.resize(static_cast<size_t>(n));
  return "v1," + b64;
}

std::string openssl_base64_decode(const std::string& text) {
  std::string out(text.size(), '\0');
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(text.data()),
                          static_cast<int>(text.size()));
  BOOST_REQUIRE(n >= 0);
  out.resize(static_cast<size_t>(n) - (text.size() - text.find_last_not_of('=') - 1));
  return out;
}


webhook_destination hook(const json& extra = json::object()) {
  json options = {{"endpoint", "http://127.0.0.1:9000/hooks/backflow"}};
  options.merge_patch(extra);
  auto ctx = context_for(webhook_destination::type(), options, sync_mode::mirror, {"id", "region"});
  ctx.sync_name = "orders";
  ctx.run_id = 42;
  return webhook_destination(ctx);
}

delivery_batch orders(const std::string& batch_id = "r42-b1") {
  delivery_batch b;
  b.batch_id = batch_id;
  b.field_names = {"total", "paid", "note"};
  b.records.push_back(record("A-1|EU",
                             delivery_op::upsert,
                             encode_row({num(10), cell::of_bool(true), null()})));
  b.records.push_back(record("B-2|US",
                             delivery_op::remove, {}, "ignored"));
  return b;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(webhook_connector)

BOOST_AUTO_TEST_CASE(the_body_lists_records_with_op_key_and_fields) {
  auto req = hook().build_request(orders());
  BOOST_TEST(req.method == "POST");
  BOOST_TEST(req.url == "http://127.0.0.1:9000/hooks/backflow");
  BOOST_TEST(json::parse(req.body) ==
                 json({{"sync", "orders"},
                       {"run_id", "42"},
                       {"batch_id", "r42-b1"},
                       {"records",
                        {{{"op", "upsert"},
                          {"key", "A-1|EU"},
                          {"fields", {{"total", 10}, {"paid", true}, {"note", nullptr}}}},
                         {{"op", "delete"}, {"key", "B-2|US"}}}}}),
             req.body);
  BOOST_TEST(!json::parse(req.body)["records"][1].contains("fields"));
}

BOOST_AUTO_TEST_CASE(headers_identify_and_date_the_batch) {
  auto before = std::time(nullptr);
  auto req = hook().build_request(orders());
  BOOST_TEST(header_of(req, "Content-Type") == "application/json");
  auto id = header_of(req, "webhook-id");
  BOOST_TEST(id.size() == 4u + 32u, id);
  BOOST_TEST(id.rfind("msg_", 0) == 0, id);
  auto ts = std::stoll(header_of(req, "webhook-timestamp"));
  BOOST_TEST(ts >= before);
  BOOST_TEST(ts <= std::time(nullptr));
}

BOOST_AUTO_TEST_CASE(webhook_id_is_stable_per_batch_and_unique_across_batches) {
  auto id = header_of(hook().build_request(orders("r42-b1")), "webhook-id");
  // Derived from the batch, not random or time-based: a retry (even by a new instance) keeps it.
  auto retry_hook = hook();
  BOOST_TEST(header_of(retry_hook.build_request(orders("r42-b1")), "webhook-id") == id);
  BOOST_TEST(header_of(hook().build_request(orders("r42-b2")), "webhook-id") != id);
  BOOST_TEST(header_of(hook().build_request(orders("r42-b1.0")), "webhook-id") != id);
}

BOOST_AUTO_TEST_CASE(signatures_verify_with_the_decoded_whsec_key) {
  const std::string secret = "whsec_ZW11bGF0b3Itc2VjcmV0";  // base64("emulator-secret")
  auto req = hook({{"secret", secret}}).build_request(orders());
  auto id = header_of(req, "webhook-id");
  auto ts = header_of(req, "webhook-timestamp");
  BOOST_TEST(openssl_base64_decode("ZW11bGF0b3Itc2VjcmV0") == "emulator-secret");
  BOOST_TEST(header_of(req, "webhook-signature") ==
             openssl_signature("emulator-secret", id + "." + ts + "." + req.body));
}

BOOST_AUTO_TEST_CASE(a_raw_secret_signs_with_its_own_bytes) {
  auto req = hook({{"secret", "plain-secret"}}).build_request(orders());
  BOOST_TEST(header_of(req, "webhook-signature") ==
             openssl_signature("plain-secret", header_of(req, "webhook-id") + "." +
                                                   header_of(req, "webhook-timestamp") + "." +
                                                   req.body));
}

BOOST_AUTO_TEST_CASE(the_standard_webhooks_test_vector) {
  // From the Standard Webhooks specification; checked with `openssl dgst -sha256 -mac HMAC`.
  BOOST_TEST(standard_webhook_signature("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
                                        "msg_p5jXN8AQM9LWM0D4loKWxJek", "1614265330",
                                        "{\"test\": 2432232314}") ==
             "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
}

BOOST_AUTO_TEST_CASE(without_a_secret_nothing_is_signed) {
  auto req = hook().build_request(orders());
  BOOST_TEST(header_of(req, "webhook-signature") == "<absent>");
  BOOST_TEST(header_of(req, "webhook-id") != "<absent>");
}

BOOST_AUTO_TEST_CASE(responses_use_the_shared_classifier) {
  auto h = hook();
  auto batch = orders();
  auto ok = h.interpret(batch, response(204, nullptr));
  BOOST_TEST((ok.what == batch_verdict::kind::per_record));
  BOOST_TEST(ok.outcomes.size() == 2u);
  auto busy = h.interpret(batch, response(429, nullptr, {{"Retry-After", "2"}}));
  BOOST_TEST((busy.what == batch_verdict::kind::retry));
  BOOST_TEST(busy.retry_after.count() == 2000);
  BOOST_TEST((h.interpret(batch, response(422, json("bad"))).what == batch_verdict::kind::split));
  BOOST_TEST((h.interpret(batch, response(410, json("gone"))).what == batch_verdict::kind::reject));
}

BOOST_AUTO_TEST_CASE(options_limits_and_account) {
  auto h =
      hook({{"batch_size", 500}, {"rate_limit", {{"per_second", 5}}}, {"secret", "s3cr3t-key"}});
  BOOST_TEST(h.batch_size(delivery_op::upsert) == 500u);
  BOOST_TEST(h.mixes_ops());
  BOOST_TEST(h.rate_limits().requests_per_window == 5.0);
  BOOST_TEST(h.rate_limits().window.count() == 1000);
  BOOST_TEST(hook().rate_limits().unlimited());
  BOOST_TEST(hook().batch_size(delivery_op::remove) == 100u);
  auto account = h.account();
  BOOST_TEST(account.rfind("webhook:http://127.0.0.1:9000/hooks/backflow#", 0) == 0, account);
  BOOST_TEST(account.find("s3cr3t-key") == std::string::npos);
  auto t = webhook_destination::type();
  BOOST_TEST((t.modes == std::vector<sync_mode>({sync_mode::upsert, sync_mode::mirror})));
}

BOOST_AUTO_TEST_SUITE_END()
