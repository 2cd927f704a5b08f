// The oracle checking itself. A delivery written by hand from the vendors' contracts (not by
// backflow) must pass every check the oracle makes, hostile values included; and the webhook
// receiver must drop a batch whose webhook-id it has seen, answering 200, as Standard Webhooks
// tells receivers to: the ground the oracle's defect-1 findings stand on.
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <boost/test/unit_test.hpp>
#include <ctime>
#include <random>

#include "tests/oracle/emulator_pool.hpp"
#include "tests/oracle/model_writer.hpp"
#include "tests/oracle/session.hpp"

using namespace backflow::oracle;
using backflow::testing::http_call;

namespace {

std::string base64(const std::string& bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(bytes.data()),
                                static_cast<int>(bytes.size()));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

/// POSTs a webhook batch signed as Standard Webhooks says, with the emulator's default secret.
long post_webhook(backflow::testing::emulator_process& emulator, const std::string& id,
                  const std::string& body) {
  const std::string key = "emulator-secret";  // whsec_ + base64 of it is the default secret
  const auto timestamp = std::to_string(std::time(nullptr));
  const auto signed_text = id + "." + timestamp + "." + body;
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(signed_text.data()), signed_text.size(), mac,
       &length);
  const auto signature = base64(std::string(reinterpret_cast<char*>(mac), length));
  return http_call("POST", emulator.url("/hooks/oracle"), body,
                   {"Content-Type: application/json", "webhook-id: " + id,
                    "webhook-timestamp: " + timestamp, "webhook-signature: v1," + signature})
      .status;
}

/// A field's value as JSON text, numbers written with the warehouse's literal.
std::string literal(const want& w, const char* empty_as) {
  switch (w.what) {
    case want::is::null:
      return "null";
    case want::is::empty:
      return empty_as;
    case want::is::text:
      return nlohmann::json(w.text).dump();
    case want::is::number:
      return w.text;
  }
  return "null";
}

std::string fields_text(const expected_record& record, const char* empty_as, bool numbers_as_text) {
  std::string out;
  for (const auto& [field, w] : record.fields) {
    auto value = literal(w, empty_as);
    if (numbers_as_text && w.what == want::is::number)
      value = nlohmann::json(w.text).dump();
    out += (out.empty() ? "" : ",") + nlohmann::json(field).dump() + ":" + value;
  }
  return out;
}

/// Delivers `expected` to the destination's emulator by hand, as its API documents.
void deliver_by_hand(const profile& p, backflow::testing::emulator_process& emulator,
                     const expected_state& expected) {
  const std::string bearer = "Authorization: Bearer emulator-token";
  std::vector<std::string> items;
  for (const auto& [key, record] : expected) {
    const auto k = nlohmann::json(key).dump();
    if (p.name == "webhook")
      items.push_back(R"({"op":"upsert","key":)" + k + R"(,"fields":{)" +
                      fields_text(record, "null", false) + "}}");
    else if (p.name == "hubspot")  // properties are strings; "" clears one
      items.push_back(R"({"id":)" + k + R"(,"idProperty":"email","properties":{)" +
                      fields_text(record, "\"\"", true) + "}}");
    else if (p.audience)
      items.push_back(key);
    else
      items.push_back(R"({"attributes":{"type":"Contact"},"Backflow_Key__c":)" + k + "," +
                      fields_text(record, "null", false) + "}");
  }
  for (std::size_t from = 0; from < items.size(); from += 100) {
    std::string list;
    for (auto i = from; i < items.size() && i < from + 100; ++i)
      list += (list.empty() ? "" : ",") + items[i];
    long status = 0;
    if (p.name == "webhook") {
      status =
          post_webhook(emulator, "hand-" + std::to_string(from),
                       R"({"sync":"hand","run_id":"1","batch_id":"b","records":[)" + list + "]}");
    } else if (p.name == "hubspot") {
      status = http_call("POST", emulator.url("/crm/v3/objects/contacts/batch/upsert"),
                         R"({"inputs":[)" + list + "]}", {bearer, "Content-Type: application/json"})
                   .status;
    } else if (p.audience) {
      nlohmann::json schema = {"EMAIL", "FN", "LN", "PHONE"};
      nlohmann::json data = nlohmann::json::array();
      for (auto i = from; i < items.size() && i < from + 100; ++i) {
        auto identity = nlohmann::json::parse(items[i]);
        nlohmann::json row = nlohmann::json::array();
        for (const auto& name : schema)
          row.push_back(identity.value(name.get<std::string>(), ""));
        data.push_back(row);
      }
      status = http_call("POST", emulator.url("/v19.0/23850000000000001/users"),
                         nlohmann::json{{"payload", {{"schema", schema}, {"data", data}}}}.dump(),
                         {bearer, "Content-Type: application/json"})
                   .status;
    } else {
      status =
          http_call("PATCH",
                    emulator.url("/services/data/v59.0/composite/sobjects/Contact/Backflow_Key__c"),
                    R"({"allOrNone":true,"records":[)" + list + "]}",
                    {bearer, "Content-Type: application/json"})
              .status;
    }
    BOOST_REQUIRE_EQUAL(status, 200);
  }
}

/// A model with every hostile feature the destination takes, delivered by hand, must pass.
void perfect_delivery_passes(const std::string& destination, std::uint64_t seed) {
  const auto& p = profile_named(destination);
  sequence_features f;
  f.composite = p.composite_keys;
  f.separators = p.composite_keys;
  f.long_keys = p.long_keys;
  f.exact_decimals = !p.audience;
  f.float_as_text = !p.audience;
  f.hostile_names = p.audience;
  std::mt19937_64 rng(seed);
  model_writer writer(p, f, rng);
  session s(p, emulator_for(p), "self-check " + destination,
            "build/tests/oracle/oracle --run_test=self_check");
  s.setup().mode = p.audience ? "audience" : "mirror";
  s.setup().key_columns =
      f.composite ? std::vector<std::string>{"k1", "k2"} : std::vector<std::string>{"k1"};
  mapping_choice choice;
  choice.float_as_text = f.float_as_text;
  s.setup().mapping = p.mapping(choice);
  for (int i = 0; i < 80; ++i)
    s.model().rows().push_back(writer.make_row());
  change_note note;
  writer.edge_values(s.model().rows(), 40, note);
  if (f.separators)
    writer.separator_twins(s.model().rows(), note);
  s.model_keys();
  deliver_by_hand(p, emulator_for(p), p.expected({s.model().rows(), s.setup()}));
  const bool held = s.audit("after a delivery written by hand");
  BOOST_TEST(held, s.report());
}

}  // namespace

BOOST_AUTO_TEST_SUITE(self_check)

BOOST_AUTO_TEST_CASE(a_perfect_webhook_delivery_passes) {
  perfect_delivery_passes("webhook", 9001);
}
BOOST_AUTO_TEST_CASE(a_perfect_hubspot_delivery_passes) {
  perfect_delivery_passes("hubspot", 9002);
}
BOOST_AUTO_TEST_CASE(a_perfect_salesforce_delivery_passes) {
  perfect_delivery_passes("salesforce", 9003);
}
BOOST_AUTO_TEST_CASE(a_perfect_meta_audience_passes) {
  perfect_delivery_passes("meta", 9004);
}

// Standard Webhooks: the webhook-id is the receiver's idempotency key. The emulator applies the
// first batch with an id and answers 200 to any later one without applying it.
BOOST_AUTO_TEST_CASE(the_webhook_receiver_drops_a_reused_id) {
  auto& emulator = emulator_for(profile_named("webhook"));
  emulator.control_post("reset");
  const auto batch = [](const std::string& key) {
    return R"({"sync":"s","run_id":"1","batch_id":"b","records":[{"op":"upsert","key":")" + key +
           R"(","fields":{"n":1}}]})";
  };
  BOOST_TEST(post_webhook(emulator, "same-id", batch("first")) == 200);
  BOOST_TEST(post_webhook(emulator, "same-id", batch("second")) == 200);
  auto records = emulator.control_get("records");
  BOOST_TEST(records["records"].size() == 1u);
  BOOST_TEST(records["records"][0]["key"] == "first");
  BOOST_TEST(records["duplicates"] == 1);
}

BOOST_AUTO_TEST_SUITE_END()
