// `writeback`: its defaults, the sync's own source as the connection, secrets kept out of
// printed files, every source type writable, and an unknown type refused with its key path.
#include <boost/test/unit_test.hpp>

#include "pipelines/config/sync_config.hpp"
#include "tests/unit/sync_config_fixture.hpp"

using namespace backflow;
using namespace backflow::unit;
using nlohmann::json;

namespace {

config_result parse_writeback_patch(const json& patch) {
  auto doc = hubspot_sync_json();
  doc.merge_patch(patch);
  return parse_sync_config(doc.dump(), "/srv", test_env());
}

std::string writeback_errors(const config_result& r) {
  std::string out;
  for (const auto& e : r.errors.items())
    out += e + "\n";
  return out;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(writeback_config)

BOOST_AUTO_TEST_CASE(defaults_write_to_the_syncs_own_source) {
  auto r = parse_writeback_patch({{"writeback", json::object()}});
  BOOST_REQUIRE_MESSAGE(r.config, writeback_errors(r));
  BOOST_REQUIRE(r.config->writeback);
  const auto& wb = *r.config->writeback;
  BOOST_TEST(wb.connection.type == "sqlite");
  BOOST_TEST(wb.connection.string_option("path") == "/srv/data/warehouse.db");
  BOOST_TEST(wb.schema == "backflow");
  BOOST_TEST(wb.retention.count() == 30LL * 86400 * 1000);
  BOOST_TEST(wb.batch_rows == 500u);
  BOOST_TEST(!parse_writeback_patch(json::object()).config->writeback);
}

BOOST_AUTO_TEST_CASE(a_connection_of_its_own_keeps_its_secrets_out_of_printed_files) {
  auto r = parse_writeback_patch({{"writeback", {{"connection", {{"type", "postgres"},
                                                                 {"dsn", "${WAREHOUSE_DSN}"}}},
                                                 {"schema", "ops_log"},
                                                 {"retention", 0},
                                                 {"batch_rows", 20}}}});
  BOOST_REQUIRE_MESSAGE(r.config, writeback_errors(r));
  const auto& wb = *r.config->writeback;
  BOOST_TEST(wb.connection.type == "postgres");
  BOOST_TEST(wb.connection.string_option("dsn") == warehouse_dsn);
  BOOST_TEST(wb.schema == "ops_log");
  BOOST_TEST(wb.retention.count() == 0);
  BOOST_TEST(wb.batch_rows == 20u);
  BOOST_TEST(r.config->redacted.dump().find("pw-987") == std::string::npos);
  BOOST_TEST(r.config->redacted["writeback"]["connection"]["dsn"] == "***");
}

BOOST_AUTO_TEST_CASE(a_snowflake_source_is_written_back_to_with_its_token_kept_out) {
  auto snowflake = parse_writeback_patch(
      {{"source", {{"type", "snowflake"}, {"path", nullptr}, {"account", "acme"},
                   {"token", "sf-token-4c1d"}}},
       {"writeback", json::object()}});
  BOOST_REQUIRE_MESSAGE(snowflake.config, writeback_errors(snowflake));
  BOOST_REQUIRE(snowflake.config->writeback);
  BOOST_TEST(snowflake.config->writeback->connection.type == "snowflake");
  BOOST_TEST(snowflake.config->writeback->connection.string_option("account") == "acme");
  BOOST_TEST(snowflake.config->redacted.dump().find("sf-token-4c1d") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_bigquery_connection_is_written_back_to) {
  auto bigquery = parse_writeback_patch(
      {{"writeback", {{"connection", {{"type", "bigquery"}, {"project", "p"},
                                      {"access_token", "ya29.bq-9f3e"}}},
                      {"schema", "ops_log"}}}});
  BOOST_REQUIRE_MESSAGE(bigquery.config, writeback_errors(bigquery));
  BOOST_TEST(bigquery.config->writeback->connection.type == "bigquery");
  BOOST_TEST(bigquery.config->writeback->schema == "ops_log");
  BOOST_TEST(bigquery.config->redacted.dump().find("ya29.bq-9f3e") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(every_source_type_can_be_written_back_to) {
  // Databricks as the sync's own source, Redshift as a connection of its own.
  auto databricks = parse_writeback_patch(
      {{"source", {{"type", "databricks"}, {"path", nullptr}, {"host", "https://dbc.example"},
                   {"warehouse_id", "w1"}, {"token", "dapi-4c1d"}}},
       {"writeback", json::object()}});
  BOOST_REQUIRE_MESSAGE(databricks.config, writeback_errors(databricks));
  BOOST_TEST(databricks.config->writeback->connection.type == "databricks");
  BOOST_TEST(databricks.config->redacted.dump().find("dapi-4c1d") == std::string::npos);
  auto redshift = parse_writeback_patch(
      {{"writeback", {{"connection", {{"type", "redshift"},
                                      {"dsn", "host=rs.example port=5439 password=rs-pw-77"}}}}}});
  BOOST_REQUIRE_MESSAGE(redshift.config, writeback_errors(redshift));
  BOOST_TEST(redshift.config->writeback->connection.type == "redshift");
  BOOST_TEST(redshift.config->redacted.dump().find("rs-pw-77") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(what_cannot_be_written_to_is_named_by_its_key_path) {
  auto nothing = parse_writeback_patch(
      {{"writeback", {{"connection", {{"type", "oracle"}, {"dsn", "x"}}}}}});
  BOOST_TEST(writeback_errors(nothing).find("writeback.connection.type: expected one of the "
                                            "writable source types (sqlite, postgres, mysql, "
                                            "clickhouse, snowflake, bigquery, databricks, "
                                            "redshift), got \"oracle\"") != std::string::npos,
             writeback_errors(nothing));
  auto unknown = parse_writeback_patch(
      {{"writeback", {{"connection", {{"type", "sqlite"}, {"path", "w.db"}, {"query", "x"}}},
                      {"schema", "has space"},
                      {"retention", "soon"},
                      {"tables", "x"}}}});
  auto text = writeback_errors(unknown);
  for (const char* path : {"writeback.connection.query", "writeback.schema", "writeback.retention",
                           "writeback.tables"})
    BOOST_TEST(text.find(path) != std::string::npos, path << " in:\n" << text);
  BOOST_TEST(!unknown.config);
}

BOOST_AUTO_TEST_SUITE_END()
