// The sync file's `retry_rejected` option: default, accepted values, errors, fingerprint.
#include <boost/test/unit_test.hpp>

#include "pipelines/config/sync_config.hpp"
#include "tests/unit/sync_config_fixture.hpp"

using namespace backflow;
using namespace backflow::unit;
using nlohmann::json;

namespace {

config_result parse_fingerprint_patch(const json& patch) {
  auto doc = fingerprint_base();
  doc.merge_patch(patch);
  return parse_sync_config(doc.dump(), "/srv", test_env());
}

}  // namespace

BOOST_AUTO_TEST_SUITE(retry_rejected_option)

BOOST_AUTO_TEST_CASE(defaults_to_changed) {
  auto r = parse_fingerprint_patch(json::object());
  BOOST_REQUIRE_MESSAGE(r.config, joined(r.errors.items()));
  BOOST_TEST((r.config->retry_rejected == retry_rejected_policy::changed));
}

BOOST_AUTO_TEST_CASE(accepts_changed_and_always) {
  auto always = parse_fingerprint_patch({{"retry_rejected", "always"}});
  BOOST_REQUIRE_MESSAGE(always.config, joined(always.errors.items()));
  BOOST_TEST((always.config->retry_rejected == retry_rejected_policy::always));
  auto changed = parse_fingerprint_patch({{"retry_rejected", "changed"}});
  BOOST_REQUIRE_MESSAGE(changed.config, joined(changed.errors.items()));
  BOOST_TEST((changed.config->retry_rejected == retry_rejected_policy::changed));
}

BOOST_AUTO_TEST_CASE(other_values_are_errors_naming_the_key) {
  auto word = parse_fingerprint_patch({{"retry_rejected", "sometimes"}});
  BOOST_TEST(!word.config);
  BOOST_TEST(has_prefix(word.errors.items(),
                        "retry_rejected: must be one of \"changed\", \"always\", got \"sometimes\""),
             joined(word.errors.items()));
  auto boolean = parse_fingerprint_patch({{"retry_rejected", true}});
  BOOST_TEST(!boolean.config);
  BOOST_TEST(has_prefix(boolean.errors.items(), "retry_rejected: "), joined(boolean.errors.items()));
  // It is a top-level key: under `delivery` it is unknown.
  auto nested = parse_fingerprint_patch({{"delivery", {{"retry_rejected", "always"}}}});
  BOOST_TEST(!nested.config);
  BOOST_TEST(has_prefix(nested.errors.items(), "delivery.retry_rejected: unknown key"),
             joined(nested.errors.items()));
}

// Switching the policy must not make an interrupted run re-plan, nor resend what was delivered.
BOOST_AUTO_TEST_CASE(does_not_change_the_config_fingerprint) {
  auto base = parse_fingerprint_patch(json::object());
  auto always = parse_fingerprint_patch({{"retry_rejected", "always"}});
  BOOST_REQUIRE(base.config);
  BOOST_REQUIRE(always.config);
  BOOST_TEST(base.config->config_fingerprint() == always.config->config_fingerprint());
}

BOOST_AUTO_TEST_SUITE_END()
