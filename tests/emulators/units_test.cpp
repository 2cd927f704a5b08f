// In-process tests of emulator building blocks: faults, rate window, validation, signatures.
#include <boost/test/unit_test.hpp>

#include "emulators/fault_queue.hpp"
#include "emulators/hubspot_validation.hpp"
#include "emulators/limits.hpp"
#include "emulators/rate_window.hpp"
#include "emulators/webhook_signature.hpp"

using namespace backflow::emulators;
using nlohmann::json;

BOOST_AUTO_TEST_SUITE(units)

BOOST_AUTO_TEST_CASE(fault_fires_on_nth_match_then_count_times) {
  fault_queue q;
  q.push(*parse_fault({{"match", {{"method", "POST"}, {"path_contains", "upsert"}}},
                       {"nth", 2},
                       {"count", 2},
                       {"status", 503}}));
  BOOST_TEST(!q.next("POST", "/batch/upsert").has_value());  // 1st match
  BOOST_TEST(!q.next("GET", "/batch/upsert").has_value());   // not a match
  BOOST_TEST(!q.next("POST", "/batch/create").has_value());  // not a match
  BOOST_TEST(q.next("POST", "/batch/upsert")->status == 503);
  BOOST_TEST(q.next("post", "/x/batch/upsert")->status == 503);
  BOOST_TEST(!q.next("POST", "/batch/upsert").has_value());
  BOOST_TEST(q.to_json().empty());
}

BOOST_AUTO_TEST_CASE(faults_fire_in_queue_order) {
  fault_queue q;
  q.push(*parse_fault({{"status", 500}}));
  q.push(*parse_fault({{"status", 502}}));
  q.push(*parse_fault({{"nth", 4}, {"drop", true}}));
  BOOST_TEST(q.next("POST", "/a")->status == 500);
  BOOST_TEST(q.next("POST", "/a")->status == 502);
  BOOST_TEST(!q.next("POST", "/a").has_value());
  BOOST_TEST(q.next("POST", "/a")->drop);
  BOOST_TEST(!q.next("POST", "/a").has_value());
}

BOOST_AUTO_TEST_CASE(fault_specs_are_checked) {
  BOOST_TEST(!parse_fault({{"nth", 1}}).ok());                        // does nothing
  BOOST_TEST(!parse_fault({{"status", 503}, {"nht", 1}}).ok());       // typo
  BOOST_TEST(!parse_fault({{"delay_ms", 5}, {"apply", true}}).ok());  // apply needs status or drop
  BOOST_TEST(!parse_fault({{"status", 42}}).ok());
  BOOST_TEST(parse_fault({{"delay_ms", 5}}).ok());
  auto f = parse_fault({{"status", 429}, {"body", {{"a", 1}}}, {"headers", {{"Retry-After", 1}}}});
  BOOST_REQUIRE(f);
  BOOST_TEST(f->body == R"({"a":1})");
  BOOST_TEST(f->headers.at(0).second == "1");
}

BOOST_AUTO_TEST_CASE(rate_window_rolls) {
  rate_window w(std::chrono::seconds(10));
  auto t0 = rate_window::clock::now();
  BOOST_TEST(w.try_admit(t0, 2));
  BOOST_TEST(w.try_admit(t0 + std::chrono::seconds(5), 2));
  BOOST_TEST(!w.try_admit(t0 + std::chrono::seconds(9), 2));
  BOOST_TEST(w.try_admit(t0 + std::chrono::seconds(10), 2));
  BOOST_TEST(w.used(t0 + std::chrono::seconds(10)) == 2);
  BOOST_TEST(w.try_admit(t0, 0));  // unlimited
}

BOOST_AUTO_TEST_CASE(limits_reject_unknown_keys) {
  const std::vector<std::string> keys = {"latency_ms", "per_10s"};
  auto ok = apply_limits(limits{}, {{"per_10s", 5}}, keys);
  BOOST_REQUIRE(ok);
  BOOST_TEST(ok->per_10s == 5);
  BOOST_TEST(!apply_limits(limits{}, {{"per_second", 5}}, keys).ok());
  BOOST_TEST(!apply_limits(limits{}, {{"per_10s", -1}}, keys).ok());
  BOOST_TEST(limits_to_json(*ok, keys) == json({{"latency_ms", 0}, {"per_10s", 5}}));
}

BOOST_AUTO_TEST_CASE(email_syntax) {
  for (auto good : {"a@b.co", "first.last+tag@sub.example.org"})
    BOOST_TEST(is_valid_email(good), good);
  for (auto bad : {"", "a", "@b.co", "a@b", "a@@b.co", "a b@c.co", "a@b.", "a@.b", "a@b..c"})
    BOOST_TEST(!is_valid_email(bad), bad);
}

BOOST_AUTO_TEST_CASE(batch_validation_normalises_and_rejects) {
  property_catalog any;
  auto ok = parse_batch(
      batch_kind::upsert, "contacts",
      R"({"inputs":[{"id":"A@X.com","properties":{"n":1.5,"b":false,"z":null,"email":"other@x.com"}}]})",
      "email", any);
  BOOST_REQUIRE(!ok.error);
  const auto& props = ok.inputs.at(0).properties;
  BOOST_TEST(ok.inputs[0].key == "a@x.com");
  BOOST_TEST(props.at("email") == "a@x.com");  // the id wins
  BOOST_TEST(props.at("n") == "1.5");
  BOOST_TEST(props.at("b") == "false");
  BOOST_TEST(props.at("z") == "");

  auto missing =
      parse_batch(batch_kind::upsert, "contacts", R"({"inputs":[{"id":"a@x.com"}]})", "", any);
  BOOST_REQUIRE(missing.error);
  BOOST_TEST(missing.error->message.find("idProperty is required") != std::string::npos);

  property_catalog strict;
  strict.names = std::set<std::string>{"score"};
  strict.numbers = {"score"};
  auto bad = parse_batch(
      batch_kind::create, "contacts",
      R"({"inputs":[{"properties":{"score":"high","colour":"red","email":"x"}}]})", "", strict);
  BOOST_REQUIRE(bad.error);
  BOOST_TEST(bad.received == 1u);
  std::set<std::string> codes;
  for (const auto& e : bad.error->errors)
    codes.insert(e["code"].get<std::string>());
  BOOST_TEST((codes ==
              std::set<std::string>{"INVALID_INTEGER", "PROPERTY_DOESNT_EXIST", "INVALID_EMAIL"}));
}

BOOST_AUTO_TEST_CASE(standard_webhooks_signature_vector) {
  // The example of the Standard Webhooks specification.
  auto key = signing_key("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");
  BOOST_REQUIRE(key);
  const std::string body = R"({"test": 2432232314})";
  const auto sig = sign_webhook(*key, "msg_p5jXN8AQM9LWM0D4loKWxJek", "1614265330", body);
  BOOST_TEST(sig == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
  BOOST_TEST(signature_matches(*key, "v1,bogus " + sig, "msg_p5jXN8AQM9LWM0D4loKWxJek",
                               "1614265330", body));
  BOOST_TEST(!signature_matches(*key, sig, "msg_other", "1614265330", body));
  BOOST_TEST(!signing_key("whsec_***").ok());
  BOOST_TEST(*signing_key("raw") == "raw");
}

BOOST_AUTO_TEST_SUITE_END()
