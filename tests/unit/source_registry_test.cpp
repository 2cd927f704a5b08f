// The source registry: every type is complete, the sync file's `source` object is checked by
// its type's table (all errors at once, with key paths), and a secret DSN is never shown.
#include <boost/test/unit_test.hpp>

#include <set>

#include "connectors/sources/registry.hpp"
#include "connectors/sources/source_location.hpp"
#include "pipelines/config/sync_config.hpp"
#include "pipelines/config/sync_options.hpp"
#include "tests/unit/sync_config_fixture.hpp"

using namespace backflow;
using namespace backflow::unit;
using nlohmann::json;

namespace {

const std::string literal_dsn = "postgresql://etl:Lit3ral-Pa55word@db.internal:6432/wh";

/// A webhook sync (any key shape is fine there) whose `source` is exactly `source`.
json with_source(const json& source) {
  return {{"name", "registry"},
          {"source", source},
          {"destination", {{"type", "webhook"}, {"endpoint", "http://127.0.0.1:9/hooks"}}}};
}

std::vector<std::string> source_errors(const json& source) {
  auto r = parse_sync_config(with_source(source).dump(), "/srv/syncs", test_env());
  BOOST_TEST(!r.config);
  return r.errors.items();
}

json sqlite(json extra = json::object()) {
  json s = {{"type", "sqlite"}, {"path", "w.db"}, {"query", "SELECT email FROM t"}, {"key", "email"}};
  s.merge_patch(extra);
  return s;
}

json postgres(json extra = json::object()) {
  json s = {{"type", "postgres"}, {"dsn", literal_dsn}, {"query", "SELECT email FROM t"},
            {"key", "email"}};
  s.merge_patch(extra);
  return s;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(source_registry)

BOOST_AUTO_TEST_CASE(every_registered_type_is_complete_and_named_once) {
  std::set<std::string> names;
  for (const auto& t : source_types()) {
    BOOST_TEST_CONTEXT(t.name) {
      BOOST_TEST(names.insert(t.name).second);
      BOOST_TEST(!t.summary.empty());
      BOOST_TEST(static_cast<bool>(t.open));
      BOOST_TEST(static_cast<bool>(t.describe));
      BOOST_TEST(static_cast<bool>(t.location));
      BOOST_TEST(find_source_type(t.name) == &t);
      for (const auto& o : t.options) {
        BOOST_TEST(!o.description.empty(), o.name);
        // The common keys are the sync file's; a type may not redefine them.
        for (const auto& common : source_options())
          BOOST_TEST(o.name != common.name);
      }
    }
  }
  BOOST_TEST(names.count("sqlite") == 1u);
  BOOST_TEST(names.count("postgres") == 1u);
  BOOST_TEST(find_source_type("oracle") == nullptr);
}

BOOST_AUTO_TEST_CASE(every_type_names_its_missing_options_and_hides_its_secrets) {
  for (const auto& t : source_types()) {
    BOOST_TEST_CONTEXT(t.name) {
      json bare = {{"type", t.name}, {"query", "SELECT email FROM t"}, {"key", "email"}};
      // A type whose options are all optional (mysql: url, or user and the rest) parses.
      auto missing = parse_sync_config(with_source(bare).dump(), "/srv/syncs", test_env()).errors.items();
      size_t required = 0;
      for (const auto& o : t.options) {
        if (!o.required)
          continue;
        ++required;
        BOOST_TEST(has_prefix(missing, "source." + o.name + ": is required for a " + t.name +
                                           " source (" + o.description + ")"),
                   joined(missing));
      }
      BOOST_TEST(missing.size() == required, joined(missing));
      // Every secret option given a literal value, next to an error: the value is not shown,
      // neither in the errors nor in the printed file.
      auto given = bare;
      std::vector<std::string> secrets;
      for (const auto& o : t.options)
        if (o.secret) {
          secrets.push_back("s3cret-" + o.name + "-Xq7Zp");
          given[o.name] = secrets.back();
        }
      given["colour"] = "blue";
      auto errors = source_errors(given);
      BOOST_TEST(has_prefix(errors, "source.colour: unknown key"), joined(errors));
      for (const auto& secret : secrets)
        BOOST_TEST(!has_text(errors, secret), joined(errors));
    }
  }
}

BOOST_AUTO_TEST_CASE(the_allowed_types_come_from_the_registry) {
  const auto& type = source_options().front();
  BOOST_TEST(type.name == "type");
  std::vector<std::string> names;
  for (const auto& t : source_types())
    names.push_back(t.name);
  BOOST_TEST(type.allowed == names);
  std::string quoted;
  std::string listed;
  for (const auto& n : names) {
    quoted += (quoted.empty() ? "\"" : ", \"") + n + "\"";
    listed += (listed.empty() ? "" : ", ") + n;
  }
  BOOST_TEST(quoted.rfind("\"sqlite\", \"postgres\"", 0) == 0u);
  // The type's other keys are not judged without a type to judge them by: one error.
  auto errors = source_errors(sqlite({{"type", "oracle"}}));
  BOOST_TEST(errors == std::vector<std::string>(
                           {"source.type: must be one of " + quoted + ", got \"oracle\""}),
             joined(errors));
  auto untyped = source_errors(sqlite({{"type", nullptr}}));
  BOOST_TEST(untyped ==
                 std::vector<std::string>({"source.type: is required (warehouse type: " + listed + ")"}),
             joined(untyped));
}

BOOST_AUTO_TEST_CASE(a_sqlite_source_reports_all_its_errors_with_key_paths) {
  auto errors = source_errors(
      sqlite({{"path", nullptr}, {"colour", "blue"}, {"query", 42}, {"key", {"email", ""}},
              {"dsn", "${WAREHOUSE_DSN}"}}));
  for (const char* expected :
       {"source.path: is required for a sqlite source (the SQLite database file, relative to the "
        "sync file's directory)",
        "source.colour: unknown key (known keys: type, query, key, incremental, dbt, path)",
        "source.query: expected a string",
        "source.key[1]: must name a column",
        "source.dsn: only applies to a postgres or redshift source"})
    BOOST_TEST(has_prefix(errors, expected), expected << "\n" << joined(errors));
  BOOST_TEST(errors.size() == 5u, joined(errors));
  BOOST_TEST(!has_text(errors, warehouse_dsn), joined(errors));
}

BOOST_AUTO_TEST_CASE(a_postgres_source_reports_all_its_errors_without_its_dsn) {
  auto errors =
      source_errors(postgres({{"path", "w.db"}, {"key", {"email", "email"}}, {"colour", 5432}}));
  for (const char* expected :
       {"source.path: only applies to a sqlite source", "source.key: column \"email\" is listed twice",
        "source.colour: unknown key (known keys: type, query, key, incremental, dbt, dsn)"})
    BOOST_TEST(has_prefix(errors, expected), expected << "\n" << joined(errors));
  BOOST_TEST(errors.size() == 3u, joined(errors));
  BOOST_TEST(!has_text(errors, "Lit3ral-Pa55word"), joined(errors));

  auto missing = source_errors(postgres({{"dsn", nullptr}}));
  BOOST_TEST(missing == std::vector<std::string>(
                            {"source.dsn: is required for a postgres source (libpq connection "
                             "string or URI, e.g. \"${WAREHOUSE_DSN}\")"}),
             joined(missing));
  // A DSN of the wrong type is reported by its path, and its text is not quoted.
  auto wrong = source_errors(postgres({{"dsn", json::array({literal_dsn})}}));
  BOOST_TEST(has_prefix(wrong, "source.dsn: expected a string"), joined(wrong));
  BOOST_TEST(!has_text(wrong, "Lit3ral-Pa55word"), joined(wrong));
}

BOOST_AUTO_TEST_CASE(blank_locations_are_refused_before_any_connection) {
  auto no_file = source_errors(sqlite({{"path", ""}}));
  BOOST_TEST(no_file == std::vector<std::string>(
                            {"source.path: is empty; give the SQLite database file to read"}),
             joined(no_file));
  auto no_server = source_errors(postgres({{"dsn", " \t"}}));
  BOOST_TEST(no_server == std::vector<std::string>({"source.dsn: is empty; give a libpq connection "
                                                    "string or URI (an empty variable?)"}),
             joined(no_server));
  // A variable that is not set is reported once, as such.
  auto unset = source_errors(postgres({{"dsn", "${NOT_SET_ANYWHERE}"}}));
  BOOST_TEST(unset == std::vector<std::string>(
                          {"source.dsn: environment variable NOT_SET_ANYWHERE is not set"}),
             joined(unset));
}

BOOST_AUTO_TEST_CASE(a_literal_dsn_is_a_secret_of_the_parsed_sync) {
  auto r = parse_sync_config(with_source(postgres()).dump(), "/srv", test_env());
  BOOST_REQUIRE_MESSAGE(r.config, joined(r.errors.items()));
  const auto& c = *r.config;
  BOOST_TEST(c.source.type == "postgres");
  BOOST_TEST(c.source.options == json({{"dsn", literal_dsn}}));
  BOOST_TEST(c.source.query == "SELECT email FROM t");
  BOOST_TEST(c.key_columns == std::vector<std::string>({"email"}));
  BOOST_TEST((std::find(c.secrets.begin(), c.secrets.end(), literal_dsn) != c.secrets.end()));
  BOOST_TEST(c.redacted["source"]["dsn"] == "***");
  BOOST_TEST(c.redacted.dump().find("Lit3ral-Pa55word") == std::string::npos);
  // Its location names the server, never the user or password.
  BOOST_TEST(source_location(c.source) == "postgres:host=db.internal port=6432 dbname=wh");
}

BOOST_AUTO_TEST_CASE(a_sqlite_path_resolves_through_its_type) {
  auto r = parse_sync_config(with_source(sqlite({{"path", "../data/w.db"}})).dump(),
                             "/srv/syncs", test_env());
  BOOST_REQUIRE_MESSAGE(r.config, joined(r.errors.items()));
  BOOST_TEST(r.config->source.options == json({{"path", "/srv/data/w.db"}}));
  BOOST_TEST(source_location(r.config->source) == "sqlite:/srv/data/w.db");
}

BOOST_AUTO_TEST_CASE(open_and_describe_go_through_the_registry) {
  source_spec missing{"sqlite", {{"path", "/nonexistent/dir/w.db"}}, "SELECT 1"};
  auto opened = open_source(missing);
  BOOST_REQUIRE(!opened.ok());
  BOOST_TEST(opened.error().message.rfind("source.path: cannot open SQLite database", 0) == 0,
             opened.error().message);
  // A SQLite file that is not there is the sync file's fault ...
  BOOST_TEST(is_config_problem(missing, opened.error()));
  // ... a PostgreSQL server that is not up is not (validate only warns), a query always is.
  source_spec down{"postgres", {{"dsn", "host=127.0.0.1 port=1 dbname=x connect_timeout=2"}},
                   "SELECT 1"};
  auto described = describe_source(down);
  BOOST_REQUIRE(!described.ok());
  BOOST_TEST(described.error().message.rfind("source.dsn: cannot connect", 0) == 0,
             described.error().message);
  BOOST_TEST(!is_config_problem(down, described.error()));
  BOOST_TEST(is_config_problem(down, failure{"source.query: PostgreSQL error: syntax error"}));
  source_spec unknown{"oracle", json::object(), "SELECT 1"};
  BOOST_TEST(describe_source(unknown).error().message.rfind(
                 "source.type: unknown source type \"oracle\"; expected one of \"sqlite\", "
                 "\"postgres\"", 0) == 0u);
  BOOST_TEST(source_location(unknown) == "oracle:?");
}

BOOST_AUTO_TEST_CASE(described_options_mark_the_dsn_secret) {
  const auto* pg = find_source_type("postgres");
  BOOST_REQUIRE(pg != nullptr);
  auto text = describe_options(pg->options);
  BOOST_TEST(text.find("dsn (string, required, secret)") != std::string::npos, text);
}

BOOST_AUTO_TEST_SUITE_END()
