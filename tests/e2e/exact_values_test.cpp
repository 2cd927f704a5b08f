// End to end: values reach the webhook exactly as the warehouse holds them (decimals, big integers,
// floats, bytes, timestamps), NaN stops the run, and BLOBs go as base64 or reject by config.
#include <boost/test/unit_test.hpp>

#include "pipelines/core/crypto.hpp"
#include "tests/e2e/e2e_support.hpp"
#include "tests/support/emulator_process.hpp"

BOOST_AUTO_TEST_SUITE(e2e_exact_values)

using namespace backflow::testing;
using nlohmann::json;

namespace {

const std::string secret = "whsec_" + backflow::base64_encode("exact-values-secret");

/// Every byte value once, then a newline: the bytes a BLOB or bytea column holds in these tests.
std::string all_bytes() {
  std::string out;
  for (int i = 0; i < 256; ++i)
    out.push_back(static_cast<char>(i));
  return out + "\n";
}

std::string hex_of(const std::string& bytes) {
  return backflow::hex_encode(bytes);
}

/// What the `base64` command prints for `bytes` (an independent encoder), without the newline.
std::string base64_command(const temp_dir& dir, const std::string& bytes) {
  auto path = dir.file("blob.bin");
  write_file(path, bytes);
  auto r = run_process({"/usr/bin/base64", "-w0", path});
  BOOST_REQUIRE_EQUAL(r.exit_code, 0);
  return r.out;
}

json webhook_destination(emulator_process& webhook) {
  return {{"type", "webhook"}, {"endpoint", webhook.url("/hooks/values")}, {"secret", secret},
          {"batch_size", 50}};
}

/// The raw request bodies the emulator received, one a line.
std::vector<std::string> raw_bodies(emulator_process& webhook) {
  auto answer = webhook.control_get("bodies");
  return answer["bodies"].get<std::vector<std::string>>();
}

std::string bodies(emulator_process& webhook) {
  std::string all;
  for (const auto& b : raw_bodies(webhook))
    all += b + "\n";
  return all;
}

void require_exit(const cli::run_result& r, int code) {
  BOOST_REQUIRE_MESSAGE(r.process.exit_code == code, "exit " << r.process.exit_code << " (want "
                                                             << code << ")\n" << r.process.out
                                                             << r.process.err);
}

}  // namespace

// numeric(38,10) with 38 digits, numeric without scale past a double's precision, bigint past
// 2^53, float8, bytea and timestamp: the request body carries each exactly (checked on the raw
// bytes the receiver got, since any JSON parser would round the decimals).
BOOST_AUTO_TEST_CASE(postgres_values_arrive_digit_for_digit) {
  temp_dir dir;
  auto model = postgres_contacts();
  emulator_process webhook{"webhook", {"--secret", secret}};
  cli backflow{dir.file("state"), {}};
  const auto t = model->table();
  model->exec("ALTER TABLE " + t + " ADD COLUMN amount numeric(38,10), ADD COLUMN plain numeric, "
              "ADD COLUMN big bigint, ADD COLUMN ratio float8, ADD COLUMN blob bytea, "
              "ADD COLUMN seen timestamp");
  model->insert(1, 4);
  model->exec("UPDATE " + t + " SET amount = 1234567890123456789012345678.0123456789, "
              "plain = 12345678901234567.89, big = 9007199254740993, ratio = 19.99, "
              "blob = decode('" + hex_of(all_bytes()) + "', 'hex'), "
              "seen = '2024-02-29 12:34:56.789' WHERE email = '" + email_of(1) + "'");
  model->exec("UPDATE " + t + " SET amount = -0.0000000001, plain = 1e-7, big = -9223372036854775808, "
              "ratio = 1e-7, blob = '', seen = '0001-01-01 00:00:00' WHERE email = '" +
              email_of(2) + "'");
  auto sync = json{{"name", "exact_values"},
                   {"source", model->source_selecting("email, amount, plain, big, ratio, blob, seen")},
                   {"destination", webhook_destination(webhook)},
                   {"mapping", {{{"from", "amount"}, {"to", "amount"}},
                                {{"from", "plain"}, {"to", "plain"}, {"type", "number"}},
                                {{"from", "big"}, {"to", "big"}},
                                {{"from", "ratio"}, {"to", "ratio"}},
                                {{"from", "ratio"}, {"to", "ratio_text"}, {"type", "string"}},
                                {{"from", "blob"}, {"to", "blob"}},
                                {{"from", "seen"}, {"to", "seen"}, {"type", "datetime"}}}}};
  sync["source"]["key"] = "email";
  auto file = write_sync(dir, sync);
  auto run = backflow.run_sync(file);
  require_exit(run, 0);
  BOOST_TEST(run.summary["counts"]["delivered"] == 3);

  auto got = bodies(webhook);
  // Fields are written in name order; the whole object is compared byte for byte.
  const std::string first =
      R"("fields":{"amount":1234567890123456789012345678.0123456789,"big":9007199254740993,)"
      R"("blob":")" + base64_command(dir, all_bytes()) + R"(","plain":12345678901234567.89,)"
      R"("ratio":19.99,"ratio_text":"19.99","seen":"2024-02-29T12:34:56.789"})";
  BOOST_TEST(got.find(first) != std::string::npos, "want " << first << "\nin " << got);
  // PostgreSQL writes numeric 1e-7 as 0.0000001 and keeps numeric(38,10)'s ten fraction digits.
  const std::string second =
      R"("fields":{"amount":-0.0000000001,"big":-9223372036854775808,"blob":"","plain":0.0000001,)"
      R"("ratio":1e-07,"ratio_text":"1e-07","seen":"0001-01-01T00:00:00"})";
  BOOST_TEST(got.find(second) != std::string::npos, "want " << second << "\nin " << got);
  BOOST_TEST(got.find(R"("fields":{"amount":null,"big":null,"blob":null,"plain":null,"ratio":null,)"
                      R"("ratio_text":null,"seen":null})") != std::string::npos);
  for (const auto& body : raw_bodies(webhook))
    BOOST_TEST(!json::parse(body, nullptr, false).is_discarded());
  BOOST_TEST(got.find("bf-exact-number") == std::string::npos);

  // numeric 'NaN' is no number a destination accepts: the plan stops (exit 3), nothing is sent.
  auto calls = webhook.requests()["count"].get<int>();
  model->exec("UPDATE " + t + " SET plain = 'NaN' WHERE email = '" + email_of(2) + "'");
  auto bad = backflow.run_sync(file);
  require_exit(bad, 3);
  auto problems = bad.summary["problems"].dump();
  BOOST_TEST(problems.find("row email=\\\"" + email_of(2) + "\\\", column plain: NaN") !=
             std::string::npos, problems);
  BOOST_TEST(webhook.requests()["count"].get<int>() == calls);
}

// A SQLite BLOB goes as base64 by default, and rejects its record (naming the column) with
// "binary": "reject", while the other records still go.
BOOST_AUTO_TEST_CASE(sqlite_blobs_go_as_base64_or_are_rejected) {
  temp_dir dir;
  auto model = sqlite_contacts(dir);
  emulator_process webhook{"webhook", {"--secret", secret}};
  model->insert(1, 4);
  model->exec("ALTER TABLE contacts ADD COLUMN photo BLOB");
  model->exec("UPDATE contacts SET photo = x'" + hex_of(all_bytes()) + "' WHERE email = '" +
              email_of(1) + "'");
  auto sync = json{{"name", "blobs"},
                   {"source", model->source_selecting("email, tier, photo")},
                   {"destination", webhook_destination(webhook)}};
  sync["source"]["key"] = "email";

  cli as_base64{dir.file("state-base64"), {}};
  auto sent = as_base64.run_sync(write_sync(dir, sync, "base64.json"));
  require_exit(sent, 0);
  std::map<std::string, json> records;
  for (auto& r : webhook.records())
    records[r["key"].get<std::string>()] = r["fields"];
  BOOST_TEST(records[email_of(1)]["photo"] == base64_command(dir, all_bytes()));
  BOOST_TEST(records[email_of(2)]["photo"].is_null());
  BOOST_TEST(bodies(webhook).find("\\\\x00") == std::string::npos);  // no more bytea-style text

  webhook.control_post("reset", json::object());
  sync["binary"] = "reject";
  cli rejecting{dir.file("state-reject"), {}};
  auto run = rejecting.run_sync(write_sync(dir, sync, "reject.json"));
  require_exit(run, 1);
  BOOST_TEST(run.summary["counts"]["delivered"] == 2);
  BOOST_TEST(run.summary["counts"]["rejected"] == 1);
  BOOST_REQUIRE(run.summary["rejected"].size() == 1u);
  BOOST_TEST(run.summary["rejected"][0]["key"] == email_of(1));
  BOOST_TEST(run.summary["rejected"][0]["reason"].get<std::string>().find(
                 "column \"photo\": a binary value (257 bytes) and the sync says \"binary\": "
                 "\"reject\"") != std::string::npos,
             run.summary["rejected"].dump());
  BOOST_TEST(webhook.records().size() == 2u);
}

BOOST_AUTO_TEST_SUITE_END()  // e2e_exact_values
