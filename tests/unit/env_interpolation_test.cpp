// `${VAR}` interpolation in sync files: defaults, escapes, errors at key paths, collected values.
#include <boost/test/unit_test.hpp>

#include <map>

#include "pipelines/core/env_interpolation.hpp"
#include "tests/unit/unit_rows.hpp"

using namespace backflow;
using backflow::unit::joined;
using nlohmann::json;

namespace {

env_lookup fake_env(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](const std::string& name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end())
      return std::nullopt;
    return it->second;
  };
}

struct interpolated {
  json doc;
  std::vector<std::string> errors;
  std::vector<std::string> substituted;
};

interpolated run(const json& doc, const env_lookup& env) {
  interpolated out;
  config_errors errors;
  out.doc = interpolate_env(doc, env, errors, out.substituted);
  out.errors = errors.items();
  return out;
}

const env_lookup env = fake_env({{"TOKEN", "pat-abc-123"}, {"HOST", "db.local"}, {"EMPTY", ""}});

}  // namespace

BOOST_AUTO_TEST_SUITE(env_interpolation)

BOOST_AUTO_TEST_CASE(variables_are_substituted_and_collected) {
  auto r = run({{"token", "${TOKEN}"}, {"dsn", "postgres://${HOST}:5432/x"}}, env);
  BOOST_TEST(r.errors.empty(), joined(r.errors));
  BOOST_TEST(r.doc == json({{"token", "pat-abc-123"}, {"dsn", "postgres://db.local:5432/x"}}));
  BOOST_TEST(r.substituted.size() == 2u);
  BOOST_TEST(unit::has_text(r.substituted, "pat-abc-123"));
  BOOST_TEST(unit::has_text(r.substituted, "db.local"));
}

BOOST_AUTO_TEST_CASE(defaults_apply_when_unset_or_empty) {
  auto r = run({{"a", "${MISSING:-fallback}"},
                {"b", "${HOST:-other}"},
                {"c", "${EMPTY:-dflt}"},
                {"d", "${MISSING:-}"}},
               env);
  BOOST_TEST(r.errors.empty(), joined(r.errors));
  BOOST_TEST(r.doc == json({{"a", "fallback"}, {"b", "db.local"}, {"c", "dflt"}, {"d", ""}}));
  BOOST_TEST(r.substituted == std::vector<std::string>({"db.local"}));  // defaults are not secrets
}

BOOST_AUTO_TEST_CASE(double_dollar_is_a_literal) {
  auto r = run({{"q", "SELECT '$${TOKEN}' || ${HOST}"}}, env);
  BOOST_TEST(r.errors.empty(), joined(r.errors));
  BOOST_TEST(r.doc["q"] == "SELECT '${TOKEN}' || db.local");
  BOOST_TEST(r.substituted == std::vector<std::string>({"db.local"}));
  BOOST_TEST(run(json("cost: $5 and $$"), env).doc == "cost: $5 and $$");
}

BOOST_AUTO_TEST_CASE(unset_variables_are_errors_at_their_key_path) {
  auto r = run({{"destination", {{"token", "${NOPE}"}}},
                {"mapping", {{{"from", "x"}}, {{"from", "${ALSO_NOPE}"}}}},
                {"x", "${EMPTY}"}},
               env);
  BOOST_TEST(r.errors == std::vector<std::string>(
                             {"destination.token: environment variable NOPE is not set",
                              "mapping[1].from: environment variable ALSO_NOPE is not set",
                              "x: environment variable EMPTY is not set"}),
             joined(r.errors));
}

BOOST_AUTO_TEST_CASE(bad_references_are_errors) {
  auto r = run({{"a", "${1X}"}, {"b", "${A-B}"}, {"c", "${}"}, {"d", "x ${OPEN"}}, env);
  BOOST_TEST(r.errors == std::vector<std::string>(
                             {"a: \"${1X}\" is not a valid environment variable reference",
                              "b: \"${A-B}\" is not a valid environment variable reference",
                              "c: \"${}\" is not a valid environment variable reference",
                              "d: unterminated \"${\" (write \"$${\" for a literal \"${\")"}),
             joined(r.errors));
  BOOST_TEST(r.doc["d"] == "x ${OPEN");
}

BOOST_AUTO_TEST_CASE(only_string_values_are_touched) {
  json doc = {{"${TOKEN}", 1}, {"n", 2.5}, {"b", true}, {"z", nullptr}, {"l", {"${HOST}", 3}}};
  auto r = run(doc, env);
  BOOST_TEST(r.errors.empty(), joined(r.errors));
  BOOST_TEST(
      r.doc ==
      json({{"${TOKEN}", 1}, {"n", 2.5}, {"b", true}, {"z", nullptr}, {"l", {"db.local", 3}}}));
}

BOOST_AUTO_TEST_SUITE_END()
