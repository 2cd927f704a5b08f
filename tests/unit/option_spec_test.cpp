// Declarative option tables: types, required keys, defaults, unknown keys, nested paths, durations.
#include <boost/test/unit_test.hpp>

#include "pipelines/core/option_spec.hpp"
#include "tests/unit/unit_rows.hpp"

using namespace backflow;
using backflow::unit::joined;
using nlohmann::json;

namespace {

std::vector<option_spec> table() {
  return {
      option("name", option_type::string, "the name").mandatory(),
      option("count", option_type::integer, "how many").defaults_to(3).between(1, 10),
      option("ratio", option_type::number, "a fraction").between(0, 1),
      option("floor", option_type::number, "non-negative").at_least(0),
      option("enabled", option_type::boolean, "on or off").defaults_to(true),
      option("timeout", option_type::duration, "per request").defaults_to("30s").between(0.1, 60),
      option("endpoint", option_type::url, "base URL"),
      option("hook", option_type::url, "secret URL").secret_value(),
      option("color", option_type::string, "a color").one_of({"red", "blue"}),
      option("tags", option_type::string_list, "labels"),
      option("token", option_type::string, "secret").secret_value(),
      option("destination", option_type::object, "nested")
          .with({option("rate_limit", option_type::object, "limits")
                     .with({option("per_10s", option_type::integer, "requests")
                                .defaults_to(100)
                                .between(0, 1000)})}),
  };
}

/// Validates `doc` against table() and returns the errors.
std::vector<std::string> errors_of(const json& doc, json* out = nullptr) {
  config_errors errors;
  auto checked = validate_options(doc, table(), "", errors);
  if (out != nullptr)
    *out = checked;
  return errors.items();
}

std::vector<std::string> one(const std::string& message) {
  return {message};
}

}  // namespace

BOOST_AUTO_TEST_SUITE(option_tables)

BOOST_AUTO_TEST_CASE(a_valid_object_gets_its_defaults) {
  json out;
  auto errors = errors_of({{"name", "x"}}, &out);
  BOOST_TEST(errors.empty(), joined(errors));
  BOOST_TEST(out == json({{"name", "x"},
                          {"count", 3},
                          {"enabled", true},
                          {"timeout", "30s"},
                          {"destination", {{"rate_limit", {{"per_10s", 100}}}}}}));
}

BOOST_AUTO_TEST_CASE(given_values_are_kept_and_nested_defaults_filled) {
  json out;
  auto errors = errors_of({{"name", "x"},
                           {"count", 10},
                           {"ratio", 0},
                           {"tags", {"a", "b"}},
                           {"destination", json::object()},
                           {"enabled", nullptr}},
                          &out);
  BOOST_TEST(errors.empty(), joined(errors));
  BOOST_TEST(out["count"] == 10);
  BOOST_TEST(out["enabled"] == true);  // null counts as absent
  BOOST_TEST(out["destination"] == json({{"rate_limit", {{"per_10s", 100}}}}));
}

BOOST_AUTO_TEST_CASE(required_keys_are_reported_with_their_description) {
  BOOST_TEST(errors_of(json::object()) == one("name: is required (the name)"));
  BOOST_TEST(errors_of({{"name", nullptr}}) == one("name: is required (the name)"));
}

BOOST_AUTO_TEST_CASE(wrong_types_say_what_was_expected) {
  BOOST_TEST(errors_of({{"name", 5}}) == one("name: expected a string, got an integer"));
  BOOST_TEST(errors_of({{"name", "x"}, {"count", "3"}}) ==
             one("count: expected an integer, got a string"));
  BOOST_TEST(errors_of({{"name", "x"}, {"count", 2.5}}) ==
             one("count: expected an integer, got a number"));
  BOOST_TEST(errors_of({{"name", "x"}, {"ratio", true}}) ==
             one("ratio: expected a number, got a boolean"));
  BOOST_TEST(errors_of({{"name", "x"}, {"enabled", "yes"}}) ==
             one("enabled: expected true or false, got a string"));
  BOOST_TEST(errors_of({{"name", "x"}, {"destination", {1, 2}}}) ==
             one("destination: expected an object, got a list"));
  BOOST_TEST(
      errors_of({{"name", "x"}, {"timeout", "soon"}}) ==
      one("timeout: expected a duration such as \"30s\", \"500ms\" or \"5m\", got a string"));
}

BOOST_AUTO_TEST_CASE(unknown_keys_list_the_known_ones) {
  BOOST_TEST(errors_of({{"name", "x"}, {"colour", "red"}}) ==
             one("colour: unknown key (known keys: name, count, ratio, floor, enabled, timeout, "
                 "endpoint, hook, color, tags, token, destination)"));
}

BOOST_AUTO_TEST_CASE(nested_errors_carry_the_full_path) {
  auto errors = errors_of(
      {{"name", "x"}, {"destination", {{"rate_limit", {{"per_10s", 5000}, {"per_hour", 1}}}}}});
  BOOST_TEST(errors == std::vector<std::string>(
                           {"destination.rate_limit.per_hour: unknown key (known keys: per_10s)",
                            "destination.rate_limit.per_10s: must be between 0 and 1000"}),
             joined(errors));
  BOOST_TEST(errors_of({{"name", "x"}, {"destination", {{"rate_limit", {{"per_10s", "x"}}}}}}) ==
             one("destination.rate_limit.per_10s: expected an integer, got a string"));
}

BOOST_AUTO_TEST_CASE(every_error_is_reported_at_once) {
  auto errors = errors_of({{"count", 0},
                           {"ratio", 1.5},
                           {"floor", -1},
                           {"color", "green"},
                           {"tags", json::array()},
                           {"x", 1}});
  BOOST_TEST(errors.size() == 7u, joined(errors));
  BOOST_TEST(unit::has_prefix(errors, "x: unknown key"));
  BOOST_TEST(unit::has_prefix(errors, "name: is required"));
  BOOST_TEST(unit::has_text(errors, "count: must be between 1 and 10"));
  BOOST_TEST(unit::has_text(errors, "ratio: must be between 0 and 1"));
  BOOST_TEST(unit::has_text(errors, "floor: must be at least 0"));
  BOOST_TEST(unit::has_text(errors, "color: must be one of \"red\", \"blue\", got \"green\""));
  BOOST_TEST(unit::has_text(errors, "tags: expected a string or a list of strings, got a list"));
}

BOOST_AUTO_TEST_CASE(string_lists_check_each_item) {
  BOOST_TEST(errors_of({{"name", "x"}, {"tags", "solo"}}).empty());
  BOOST_TEST(errors_of({{"name", "x"}, {"tags", {"a", 1}}}) ==
             one("tags[1]: expected a string, got an integer"));
  BOOST_TEST(errors_of({{"name", "x"}, {"tags", 3}}) ==
             one("tags: expected a string or a list of strings, got an integer"));
}

BOOST_AUTO_TEST_CASE(urls_need_http_scheme_and_host) {
  for (const char* good : {"http://localhost:8080/x", "https://api.hubapi.com", "http://h?q=1"})
    BOOST_TEST(errors_of({{"name", "x"}, {"endpoint", good}}).empty(), good);
  for (const char* bad :
       {"ftp://host", "http://", "https://:443/x", "http://a b/", "api.hubapi.com"})
    BOOST_TEST(errors_of({{"name", "x"}, {"endpoint", bad}}) ==
                   one(std::string("endpoint: \"") + bad + "\" is not a valid http(s) URL"),
               bad);
  // A secret URL is not echoed back.
  BOOST_TEST(errors_of({{"name", "x"}, {"hook", "hooks.example/s3cr3t"}}) ==
             one("hook: is not a valid http(s) URL"));
}

BOOST_AUTO_TEST_CASE(durations_are_range_checked_in_seconds) {
  BOOST_TEST(errors_of({{"name", "x"}, {"timeout", "500ms"}}).empty());
  BOOST_TEST(errors_of({{"name", "x"}, {"timeout", 2}}).empty());
  BOOST_TEST(errors_of({{"name", "x"}, {"timeout", "50ms"}}) ==
             one("timeout: must be between 0.1 and 60"));
  BOOST_TEST(errors_of({{"name", "x"}, {"timeout", "2m"}}) ==
             one("timeout: must be between 0.1 and 60"));
}

BOOST_AUTO_TEST_CASE(a_non_object_is_reported_at_its_path) {
  config_errors errors;
  auto out = validate_options(json(5), table(), "destination", errors);
  BOOST_TEST(errors.items() == one("destination: expected an object, got an integer"));
  BOOST_TEST(out == json::object());
}

BOOST_AUTO_TEST_CASE(parse_duration_units) {
  auto ms = [](const json& v) {
    long long out = -1;
    return parse_duration(v, out) ? out : -1;
  };
  BOOST_TEST(ms("500ms") == 500);
  BOOST_TEST(ms("30s") == 30000);
  BOOST_TEST(ms("1.5s") == 1500);
  BOOST_TEST(ms("5m") == 300000);
  BOOST_TEST(ms("2h") == 7200000);
  BOOST_TEST(ms("1d") == 86400000);
  BOOST_TEST(ms("10") == 10000);
  BOOST_TEST(ms(30) == 30000);
  BOOST_TEST(ms(0.25) == 250);
  for (const json& bad : {json("5x"), json("5 s"), json("ms"), json(""), json("-1s"), json(-2),
                          json("inf"), json("nan"), json(true), json(nullptr), json::array()})
    BOOST_TEST(ms(bad) == -1, bad.dump());
}

BOOST_AUTO_TEST_CASE(redact_replaces_secrets_only) {
  json value = {{"name", "x"}, {"token", "pat-123"}, {"hook", "https://h/s"}, {"count", 2}};
  auto red = redact(value, table());
  BOOST_TEST(red == json({{"name", "x"}, {"token", "***"}, {"hook", "***"}, {"count", 2}}));
}

BOOST_AUTO_TEST_CASE(describe_lists_types_flags_and_defaults) {
  auto text = describe_options(table());
  BOOST_TEST(text.find("name (string, required)\n    the name\n") != std::string::npos, text);
  BOOST_TEST(text.find("token (string, secret)") != std::string::npos);
  BOOST_TEST(text.find("color (string) one of: red blue") != std::string::npos);
  BOOST_TEST(text.find("    rate_limit (object)\n") != std::string::npos);
  BOOST_TEST(text.find("        per_10s (integer, default 100)") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
