// Invalid sync files: all errors at once with their key paths; broken JSON with its location.
#include <boost/test/unit_test.hpp>

#include "connectors/destinations/registry.hpp"

#include "pipelines/config/sync_config.hpp"
#include "tests/unit/sync_config_fixture.hpp"

using namespace backflow;
using namespace backflow::unit;
using nlohmann::json;

namespace {

/// The errors of parsing `text`; a test failure if it parses or throws.
std::vector<std::string> errors_in_file(const std::string& text) {
  config_result r;
  BOOST_CHECK_NO_THROW(r = parse_sync_config(text, "/srv", test_env()));
  BOOST_TEST(!r.config);
  return r.errors.items();
}

std::vector<std::string> errors_of_doc(const json& doc) {
  return errors_in_file(doc.dump());
}

/// The HubSpot fixture with `patch` merged in.
json hubspot_with(const json& patch) {
  auto doc = hubspot_sync_json();
  doc.merge_patch(patch);
  return doc;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(sync_file_errors)

BOOST_AUTO_TEST_CASE(a_key_given_twice_is_an_error_with_its_path) {
  // JSON parsers keep the last value silently: which one did the author mean?
  auto errors = errors_in_file(R"({
    "name": "a", "name": "b",
    "source": { "type": "sqlite", "path": "w.db", "query": "SELECT email, s FROM t",
                "key": "email" },
    "destination": { "type": "hubspot", "token": "t1", "endpoint": "http://127.0.0.1:1",
                     "token": "t2" },
    "mapping": [ { "from": "email", "to": "email" },
                 { "from": "s", "to": "score", "to": "points", "type": "number" } ],
    "delivery": { "concurrency": 2, "retry": {}, "concurrency": 4 }
  })");
  for (const char* expected : {"name: is given more than once", "destination.token: is given more than once",
                               "mapping[1].to: is given more than once",
                               "delivery.concurrency: is given more than once"})
    BOOST_TEST(has_prefix(errors, expected), expected << joined(errors));
  BOOST_TEST(!has_text(errors, "t1"));  // a repeated secret is not quoted
  BOOST_TEST(!has_text(errors, "t2"));
}

BOOST_AUTO_TEST_CASE(all_errors_are_reported_at_once_with_key_paths) {
  auto errors = errors_in_file(R"({
    "name": "bad name!",
    "colour": "blue",
    "source": { "type": "sqlite", "query": "SELECT a, b FROM t", "key": "a" },
    "destination": { "type": "hubspot", "endpoint": "ftp://api.example" },
    "mode": "audience",
    "mapping": [ { "from": "a", "to": "x" },
                 { "from": "b", "to": "x", "transform": "reverse" } ]
  })");
  for (const char* expected :
       {"colour: unknown key (known keys: name, description, owner, source, destination, mode, "
        "retry_rejected, mapping, binary, guards, delivery, freshness, notify, schedule, writeback)",
        "name: \"bad name!\" may only contain letters, digits, '_', '-' and '.'",
        "source.path: is required for a sqlite source", "destination.token: is required",
        "destination.endpoint: \"ftp://api.example\" is not a valid http(s) URL",
        "mode: hubspot does not support mode \"audience\" (supported: upsert, update, insert, "
        "mirror)",
        "mapping[1].transform: unknown transform \"reverse\" (known: trim, lowercase, uppercase, "
        "sha256, normalize_email, digits, hash_email)",
        "mapping[1].to: field \"x\" is mapped twice"})
    BOOST_TEST(has_prefix(errors, expected), expected << joined(errors));
  BOOST_TEST(errors.size() == 8u, joined(errors));
}

BOOST_AUTO_TEST_CASE(an_unknown_destination_type_lists_the_known_ones) {
  // Every registered destination, in the registry's order.
  std::string known;
  for (const auto& t : destination_types())
    known += (known.empty() ? "" : ", ") + t.name;
  BOOST_TEST(known.find("hubspot, ") != std::string::npos, known);
  auto errors = errors_of_doc(hubspot_with({{"destination", {{"type", "pardot"}}}}));
  BOOST_TEST(errors == std::vector<std::string>(
                           {"destination.type: unknown destination \"pardot\" (known: " + known + ")"}),
             joined(errors));
  auto untyped = errors_of_doc(hubspot_with({{"destination", {{"type", nullptr}}}}));
  BOOST_TEST(has_prefix(untyped, "destination.type: is required (one of: " + known + ")"),
             joined(untyped));
}

BOOST_AUTO_TEST_CASE(source_kinds_check_their_own_options) {
  auto pg_with_path = errors_of_doc(hubspot_with({{"source", {{"type", "postgres"}}}}));
  BOOST_TEST(has_prefix(pg_with_path, "source.path: only applies to a sqlite source"),
             joined(pg_with_path));
  BOOST_TEST(has_prefix(pg_with_path, "source.dsn: is required for a postgres source"),
             joined(pg_with_path));
  auto sqlite_with_dsn = errors_of_doc(hubspot_with({{"source", {{"dsn", "${WAREHOUSE_DSN}"}}}}));
  BOOST_TEST(sqlite_with_dsn ==
                 std::vector<std::string>(
                     {"source.dsn: only applies to a postgres or redshift source"}),
             joined(sqlite_with_dsn));
  auto unknown = errors_of_doc(hubspot_with({{"source", {{"type", "oracle"}}}}));
  BOOST_TEST(
      has_prefix(unknown, "source.type: must be one of \"sqlite\", \"postgres\""),
      joined(unknown));
}

BOOST_AUTO_TEST_CASE(keys_queries_and_schedules_are_checked) {
  auto blank =
      errors_of_doc(hubspot_with({{"source", {{"query", " ;\n"}, {"key", {"email", "email"}}}},
                                  {"schedule", {{"every", "5m"}, {"cron", "* * * * *"}}}}));
  BOOST_TEST(has_prefix(blank, "source.query: is empty"), joined(blank));
  BOOST_TEST(has_prefix(blank, "source.key: column \"email\" is listed twice"), joined(blank));
  BOOST_TEST(
      has_prefix(blank, "schedule: give exactly one of \"every\", \"cron\" or \"manual\": true"),
      joined(blank));
  auto empty_key = errors_of_doc(hubspot_with({{"source", {{"key", {"email", ""}}}}}));
  BOOST_TEST(has_prefix(empty_key, "source.key[1]: must name a column"), joined(empty_key));
}

BOOST_AUTO_TEST_CASE(hubspot_specific_checks) {
  auto composite = errors_of_doc(hubspot_with({{"source", {{"key", {"email", "tier"}}}}}));
  BOOST_TEST(composite == std::vector<std::string>(
                              {"source.key: hubspot needs exactly one key column: its value is the "
                               "input's id (email)"}),
             joined(composite));
  auto companies = errors_of_doc(hubspot_with({{"destination", {{"object", "companies"}}}}));
  BOOST_TEST(
      has_prefix(companies, "destination.id_property: companies have no unique email property"),
      joined(companies));
  auto nested = errors_of_doc(hubspot_with({{"destination", {{"rate_limit", {{"per_10s", -5}}}}}}));
  BOOST_TEST(nested == std::vector<std::string>(
                           {"destination.rate_limit.per_10s: must be between 0 and 1e+09"}),
             joined(nested));
}

BOOST_AUTO_TEST_CASE(webhook_does_not_support_update_mode) {
  auto doc = json::parse(webhook_sync_text);
  doc["mode"] = "update";
  auto errors = errors_of_doc(doc);
  BOOST_TEST(
      errors == std::vector<std::string>(
                    {"mode: webhook does not support mode \"update\" (supported: upsert, mirror)"}),
      joined(errors));
}

BOOST_AUTO_TEST_CASE(mapping_must_be_a_non_empty_list) {
  BOOST_TEST(errors_of_doc(hubspot_with({{"mapping", {{"from", "a"}}}})) ==
             std::vector<std::string>({"mapping: expected a list of {\"from\", \"to\"} objects"}));
  BOOST_TEST(errors_of_doc(hubspot_with({{"mapping", json::array()}})) ==
             std::vector<std::string>(
                 {"mapping: is empty; omit it to map every column to a field of the same name"}));
  auto entry = errors_of_doc(
      hubspot_with({{"mapping", json::array({json{{"to", "x"}, {"typ", "number"}}})}}));
  BOOST_TEST(
      has_prefix(entry, "mapping[0].typ: unknown key (known keys: from, to, type, transform)"),
      joined(entry));
  BOOST_TEST(has_prefix(entry, "mapping[0].from: is required"), joined(entry));
}

BOOST_AUTO_TEST_CASE(unset_variables_and_bad_delivery_options_are_reported_together) {
  auto errors =
      errors_of_doc(hubspot_with({{"destination", {{"token", "${NO_SUCH_TOKEN}"}}},
                                  {"delivery", {{"request_timeout", "5x"}, {"concurrency", 0}}}}));
  BOOST_TEST(has_prefix(errors, "destination.token: environment variable NO_SUCH_TOKEN is not set"),
             joined(errors));
  BOOST_TEST(has_prefix(errors, "delivery.request_timeout: expected a duration"), joined(errors));
  BOOST_TEST(has_prefix(errors, "delivery.concurrency: must be between 1 and 64"), joined(errors));
}

BOOST_AUTO_TEST_CASE(broken_json_reports_line_and_column) {
  auto errors = errors_in_file(std::string("{\n  \"name\": \"x\",\n  \"source\": {\n    oops\n}\n"));
  BOOST_REQUIRE_EQUAL(errors.size(), 1u);
  BOOST_TEST(errors[0].rfind("not valid JSON at line 4, column ", 0) == 0, errors[0]);
  BOOST_TEST(errors[0].find(": syntax error") != std::string::npos, errors[0]);
  auto trailing = errors_in_file(std::string("{\"name\": \"x\",}"));
  BOOST_REQUIRE_EQUAL(trailing.size(), 1u);
  BOOST_TEST(trailing[0].rfind("not valid JSON at line 1, column ", 0) == 0, trailing[0]);
}

// The column must be the offending character's: "    oops" fails at the 'o' in column 5, and
// the stray '}' of {"name": "x",} is column 14. nlohmann's parse_error::byte is 1-based, so
// counting `i < byte` lands one column to the right.
BOOST_AUTO_TEST_CASE(json_error_column_points_at_the_offending_character) {
  auto errors = errors_in_file(std::string("{\n  \"name\": \"x\",\n  \"source\": {\n    oops\n}\n"));
  BOOST_REQUIRE_EQUAL(errors.size(), 1u);
  BOOST_TEST(errors[0].rfind("not valid JSON at line 4, column 5:", 0) == 0, errors[0]);
  auto trailing = errors_in_file(std::string("{\"name\": \"x\",}"));
  BOOST_REQUIRE_EQUAL(trailing.size(), 1u);
  BOOST_TEST(trailing[0].rfind("not valid JSON at line 1, column 14:", 0) == 0, trailing[0]);
}

BOOST_AUTO_TEST_CASE(a_file_must_be_an_object) {
  BOOST_TEST(errors_in_file(std::string("[1, 2]")) ==
             std::vector<std::string>(
                 {"a sync file is a JSON object with name, source, destination and mapping"}));
}

// Values of the wrong JSON type must be reported like any other error, never thrown:
// parse_sync_config reads them with json::value(key, default), which throws on a type mismatch.
BOOST_AUTO_TEST_CASE(wrong_json_types_are_errors_not_exceptions) {
  auto reports = [](const json& patch, const std::string& prefix) {
    try {
      auto r = parse_sync_config(hubspot_with(patch).dump(), "/srv", test_env());
      BOOST_TEST_MESSAGE(patch.dump() << ":" << joined(r.errors.items()));
      return !r.config && has_prefix(r.errors.items(), prefix);
    } catch (const std::exception& e) {
      BOOST_TEST_MESSAGE(patch.dump() << " threw " << e.what());
      return false;
    }
  };
  BOOST_TEST(reports({{"name", 42}}, "name: expected a string, got an integer"));
  BOOST_TEST(reports({{"source", "warehouse"}}, "source: expected an object, got a string"));
  BOOST_TEST(reports({{"delivery", "fast"}}, "delivery: expected an object, got a string"));
  BOOST_TEST(reports({{"mapping", json::array({json{{"from", 1}, {"to", "x"}}})}},
                     "mapping[0].from: expected a string, got an integer"));
}

// A configuration error must not print an environment-substituted value: the caller registers
// secrets for redaction only when the file parses, so errors are its only unredacted output.
BOOST_AUTO_TEST_CASE(errors_do_not_echo_substituted_values) {
  auto errors = errors_of_doc(hubspot_with({{"destination", {{"endpoint", "${TENANT}"}}}}));
  BOOST_REQUIRE(has_prefix(errors, "destination.endpoint:"));
  BOOST_TEST(!has_text(errors, tenant), joined(errors));
}

BOOST_AUTO_TEST_SUITE_END()
