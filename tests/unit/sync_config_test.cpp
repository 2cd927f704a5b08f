// Valid sync files: parsed fields and defaults, secrets and redaction, paths, mapping, fingerprint.
#include <boost/test/unit_test.hpp>

#include "pipelines/config/sync_config.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/unit/sync_config_fixture.hpp"

using namespace backflow;
using namespace backflow::unit;
using nlohmann::json;

BOOST_AUTO_TEST_SUITE(sync_files)

BOOST_AUTO_TEST_CASE(a_hubspot_sync_parses_with_defaults) {
  auto r = parse_sync_config(hubspot_sync_text, "/srv/syncs", test_env());
  BOOST_REQUIRE_MESSAGE(r.config, joined(r.errors.items()));
  const auto& c = *r.config;
  BOOST_TEST(c.name == "pql_to_hubspot");
  BOOST_TEST(c.source.type == "sqlite");
  BOOST_TEST(c.source.string_option("path") == "/srv/syncs/data/warehouse.db");
  BOOST_TEST(c.source.query == "SELECT email, pql_score, tier FROM pql");
  BOOST_TEST(c.key_columns == std::vector<std::string>({"email"}));
  BOOST_TEST(c.destination_type == "hubspot");
  BOOST_TEST(c.destination == json({{"endpoint", "https://api.hubapi.com"},
                                    {"token", hubspot_token},
                                    {"object", "contacts"},
                                    {"id_property", "email"},
                                    {"batch_size", 100},
                                    {"rate_limit", {{"per_10s", 100}, {"daily", 250000}, {"budget", 1.0},
                                                    {"reset_utc_offset", "+00:00"}}}}));
  BOOST_TEST((c.mode == sync_mode::upsert));
  BOOST_TEST(c.mapping_given);
  BOOST_REQUIRE_EQUAL(c.mapping.size(), 3u);
  BOOST_TEST(c.mapping[0].from == "email");
  BOOST_TEST((c.mapping[0].transforms == std::vector<transform_kind>({transform_kind::lowercase})));
  BOOST_TEST(c.mapping[1].to == "pql_score");
  BOOST_TEST((c.mapping[1].type == field_type::number));
  BOOST_TEST((c.mapping[2].transforms ==
              std::vector<transform_kind>({transform_kind::trim, transform_kind::uppercase})));
  BOOST_TEST((c.mapping[2].type == field_type::keep));
  BOOST_TEST(*c.guards.max_changed_ratio == 0.25);
  BOOST_TEST(*c.guards.max_deleted_ratio == 0.05);
  BOOST_TEST(c.delivery.concurrency == 4);
  BOOST_TEST(c.delivery.retry.max_attempts == 6);
  BOOST_TEST(c.delivery.request_timeout.count() == 30000);
  BOOST_TEST(c.delivery.retry.initial.count() == 500);
  BOOST_TEST(c.delivery.retry.max.count() == 30000);
  BOOST_TEST(c.schedule == json({{"every", "5m"}}));
}

BOOST_AUTO_TEST_CASE(a_webhook_sync_parses_with_its_options) {
  auto r = parse_sync_config(webhook_sync_text, "/srv/syncs", test_env());
  BOOST_REQUIRE_MESSAGE(r.config, joined(r.errors.items()));
  const auto& c = *r.config;
  BOOST_TEST(c.name == "orders-webhook.v2");
  BOOST_TEST(c.source.type == "postgres");
  BOOST_TEST(c.source.string_option("dsn") == warehouse_dsn);
  BOOST_TEST(!c.source.options.contains("path"));
  BOOST_TEST(c.key_columns == std::vector<std::string>({"id", "region"}));
  BOOST_TEST(c.destination_type == "webhook");
  BOOST_TEST(c.destination == json({{"endpoint", "http://127.0.0.1:9000/hooks"},
                                    {"secret", hook_secret},
                                    {"batch_size", 100},
                                    {"rate_limit", {{"per_second", 5}}}}));
  BOOST_TEST((c.mode == sync_mode::mirror));
  BOOST_TEST(!c.mapping_given);
  BOOST_TEST(c.mapping.empty());
  BOOST_TEST(!c.guards.max_changed_ratio);
  BOOST_TEST(!c.guards.max_deleted_ratio);
  BOOST_TEST(c.delivery.concurrency == 8);
  BOOST_TEST(c.delivery.retry.max_attempts == 3);
  BOOST_TEST(c.delivery.request_timeout.count() == 5000);
  BOOST_TEST(c.delivery.retry.initial.count() == 100);
  BOOST_TEST(c.delivery.retry.max.count() == 2000);
  auto ctx = c.connector_context(77);
  BOOST_TEST(ctx.options == c.destination);
  BOOST_TEST(ctx.sync_name == "orders-webhook.v2");
  BOOST_TEST(ctx.run_id == 77u);
  BOOST_TEST((ctx.mode == sync_mode::mirror));
  BOOST_TEST(ctx.key_columns == c.key_columns);
}

BOOST_AUTO_TEST_CASE(secrets_are_collected_and_redacted) {
  auto hub = parse_sync_config(hubspot_sync_text, "/srv", test_env());
  BOOST_REQUIRE(hub.config);
  BOOST_TEST(has_text(hub.config->secrets, hubspot_token));
  BOOST_TEST(hub.config->redacted["destination"]["token"] == "***");
  BOOST_TEST(hub.config->redacted.dump().find(hubspot_token) == std::string::npos);
  BOOST_TEST(hub.config->redacted["name"] == "pql_to_hubspot");  // the rest is kept

  auto hook = parse_sync_config(webhook_sync_text, "/srv", test_env());
  BOOST_REQUIRE(hook.config);
  BOOST_TEST(has_text(hook.config->secrets, warehouse_dsn));
  BOOST_TEST(has_text(hook.config->secrets, hook_secret));
  BOOST_TEST(hook.config->redacted["source"]["dsn"] == "***");
  BOOST_TEST(hook.config->redacted["destination"]["secret"] == "***");
  BOOST_TEST(hook.config->redacted.dump().find(warehouse_dsn) == std::string::npos);
  BOOST_TEST(hook.config->redacted.dump().find(hook_secret) == std::string::npos);
}

BOOST_AUTO_TEST_CASE(env_values_in_plain_fields_count_as_secrets) {
  auto doc = hubspot_sync_json();
  doc["source"]["query"] = "SELECT email, pql_score, tier FROM pql WHERE tenant = '${TENANT}'";
  doc["destination"]["token"] = "literal-token-1";
  auto r = parse_sync_config(doc.dump(), "/srv", test_env());
  BOOST_REQUIRE_MESSAGE(r.config, joined(r.errors.items()));
  BOOST_TEST(has_text(r.config->secrets, tenant));
  BOOST_TEST(has_text(r.config->secrets, "literal-token-1"));  // a secret option, even if literal
  BOOST_TEST(r.config->redacted["destination"]["token"] == "***");
}

// `redacted` is documented as the whole file with secrets replaced, and `secrets` counts
// env-substituted values as secrets; but only options marked secret are replaced, so a value
// interpolated into a plain field (here the query) stays readable. The CLI happens to pipe the
// dump through redact_secrets(); other users of `redacted` get the value in clear.
BOOST_AUTO_TEST_CASE(env_values_in_plain_fields_are_hidden_in_redacted) {
  auto doc = hubspot_sync_json();
  doc["source"]["query"] = "SELECT email, pql_score, tier FROM pql WHERE tenant = '${TENANT}'";
  auto r = parse_sync_config(doc.dump(), "/srv", test_env());
  BOOST_REQUIRE(r.config);
  BOOST_TEST(r.config->redacted.dump().find(tenant) == std::string::npos,
             r.config->redacted["source"].dump());
}

BOOST_AUTO_TEST_CASE(sqlite_paths_resolve_against_the_base_dir) {
  auto path_for = [](const std::string& path, const std::string& base) {
    auto doc = hubspot_sync_json();
    doc["source"]["path"] = path;
    auto r = parse_sync_config(doc.dump(), base, test_env());
    BOOST_REQUIRE_MESSAGE(r.config, joined(r.errors.items()));
    return r.config->source.string_option("path");
  };
  BOOST_TEST(path_for("w.db", "/srv/syncs") == "/srv/syncs/w.db");
  BOOST_TEST(path_for("../data/./w.db", "/srv/syncs") == "/srv/data/w.db");
  BOOST_TEST(path_for("/var/lib/w.db", "/srv/syncs") == "/var/lib/w.db");
  BOOST_TEST(path_for("w.db", "") == "w.db");
}

BOOST_AUTO_TEST_CASE(load_sync_file_reads_relative_to_the_file) {
  backflow::testing::temp_dir dir;
  auto file = dir.file("pql.json");
  backflow::testing::write_file(file, hubspot_sync_text);
  auto r = load_sync_file(file, test_env());
  BOOST_REQUIRE_MESSAGE(r.config, joined(r.errors.items()));
  BOOST_TEST(r.config->file == std::filesystem::path(file));
  BOOST_TEST(r.config->source.string_option("path") == (dir.path() / "data/warehouse.db").string());
  auto missing = load_sync_file(dir.file("nope.json"), test_env());
  BOOST_TEST(!missing.config);
  BOOST_TEST(missing.errors.items() ==
             std::vector<std::string>({"cannot read sync file " + dir.file("nope.json")}));
}

BOOST_AUTO_TEST_CASE(without_a_mapping_every_non_key_column_maps_by_name) {
  auto r = parse_sync_config(webhook_sync_text, "/srv", test_env());
  BOOST_REQUIRE(r.config);
  schema cols = {{"id", column_kind::integer},
                 {"total", column_kind::real},
                 {"region", column_kind::text},
                 {"note", column_kind::text}};
  auto rules = effective_mapping(*r.config, cols);
  BOOST_REQUIRE_EQUAL(rules.size(), 2u);
  BOOST_TEST(rules[0].from == "total");
  BOOST_TEST(rules[0].to == "total");
  BOOST_TEST((rules[0].type == field_type::keep));
  BOOST_TEST(rules[0].transforms.empty());
  BOOST_TEST(rules[1].from == "note");
  BOOST_TEST(rules[1].to == "note");

  auto hub = parse_sync_config(hubspot_sync_text, "/srv", test_env());
  BOOST_REQUIRE(hub.config);
  BOOST_TEST(effective_mapping(*hub.config, cols).size() == 3u);  // the configured rules
}

BOOST_AUTO_TEST_CASE(the_binary_policy_reaches_every_mapping_rule) {
  auto doc = json::parse(webhook_sync_text, nullptr, true, true);
  schema cols = {{"id", column_kind::integer}, {"photo", column_kind::bytes}};
  auto defaults = parse_sync_config(doc.dump(), "/srv", test_env());
  BOOST_REQUIRE(defaults.config);
  BOOST_TEST((defaults.config->binary == binary_policy::base64));
  BOOST_TEST((effective_mapping(*defaults.config, cols)[0].binary == binary_policy::base64));
  doc["binary"] = "reject";
  auto rejecting = parse_sync_config(doc.dump(), "/srv", test_env());
  BOOST_REQUIRE(rejecting.config);
  BOOST_TEST((effective_mapping(*rejecting.config, cols)[0].binary == binary_policy::reject));
  doc["mapping"] = json::array({json{{"from", "photo"}, {"to", "picture"}}});
  auto mapped = parse_sync_config(doc.dump(), "/srv", test_env());
  BOOST_REQUIRE(mapped.config);
  BOOST_TEST((effective_mapping(*mapped.config, cols)[0].binary == binary_policy::reject));
  doc["binary"] = "hex";
  auto bad = parse_sync_config(doc.dump(), "/srv", test_env());
  BOOST_TEST(!bad.config);
  BOOST_TEST(has_prefix(bad.errors.items(), "binary: "), joined(bad.errors.items()));
}

BOOST_AUTO_TEST_CASE(model_columns_are_checked_against_key_and_mapping) {
  auto r = parse_sync_config(hubspot_sync_text, "/srv", test_env());
  BOOST_REQUIRE(r.config);
  config_errors ok;
  check_model_columns(
      *r.config,
      {{"email", column_kind::text}, {"pql_score", column_kind::real}, {"tier", column_kind::text}},
      ok);
  BOOST_TEST(ok.empty(), joined(ok.items()));
  config_errors errors;
  check_model_columns(*r.config, {{"mail", column_kind::text}, {"tier", column_kind::text}},
                      errors);
  BOOST_TEST(
      errors.items() ==
          std::vector<std::string>(
              {"source.key: column \"email\" is not returned by the query (columns: mail, tier)",
               "mapping[0].from: column \"email\" is not returned by the query (columns: mail, "
               "tier)",
               "mapping[1].from: column \"pql_score\" is not returned by the query (columns: mail, "
               "tier)"}),
      joined(errors.items()));
}

BOOST_AUTO_TEST_CASE(names_allow_letters_digits_and_three_marks) {
  BOOST_TEST(valid_sync_name("pql_to-hubspot.v2"));
  BOOST_TEST(!valid_sync_name(""));
  BOOST_TEST(!valid_sync_name("with space"));
  BOOST_TEST(!valid_sync_name("a/b"));
  BOOST_TEST(!valid_sync_name("../x"));
  BOOST_TEST(valid_sync_name(std::string(100, 'a')));
  BOOST_TEST(!valid_sync_name(std::string(101, 'a')));
}

BOOST_AUTO_TEST_CASE(fingerprint_follows_what_shapes_the_payload) {
  auto fp = [](const json& patch) {
    auto doc = fingerprint_base();
    doc.merge_patch(patch);
    auto r = parse_sync_config(doc.dump(), "/srv", test_env());
    BOOST_REQUIRE_MESSAGE(r.config, joined(r.errors.items()));
    return r.config->config_fingerprint();
  };
  const auto base = fp(json::object());
  BOOST_TEST(fp(json::object()) == base);  // deterministic
  // What changes the records sent:
  BOOST_TEST(fp({{"mapping",
                  json::array({json{{"from", "score"}, {"to", "score"}, {"type", "number"}}})}}) !=
             base);
  BOOST_TEST(fp({{"mapping", json::array({json{{"from", "score"}, {"to", "points"}}})}}) != base);
  BOOST_TEST(fp({{"mapping", nullptr}}) != base);
  BOOST_TEST(fp({{"mode", "update"}}) != base);
  BOOST_TEST(fp({{"destination", {{"id_property", "hs_key"}}}}) != base);
  BOOST_TEST(fp({{"destination", {{"object", "companies"}, {"id_property", "domain"}}}}) !=
             fp({{"destination", {{"id_property", "domain"}}}}));
  BOOST_TEST(fp({{"source", {{"key", "id"}}}}) != base);
  BOOST_TEST(fp({{"binary", "reject"}}) != base);
  // What does not:
  BOOST_TEST(fp({{"binary", "base64"}}) == base);  // the default: existing syncs keep theirs
  BOOST_TEST(fp({{"destination", {{"token", "another-token"}}}}) == base);
  BOOST_TEST(fp({{"destination", {{"endpoint", "http://127.0.0.1:8080"}}}}) == base);
  BOOST_TEST(fp({{"destination", {{"batch_size", 10}, {"rate_limit", {{"per_10s", 190}}}}}}) ==
             base);
  BOOST_TEST(fp({{"schedule", {{"every", "1h"}}}, {"guards", {{"max_deleted_ratio", 0.5}}}}) ==
             base);
  BOOST_TEST(fp({{"name", "renamed"}, {"description", "x"}}) == base);
}

BOOST_AUTO_TEST_SUITE_END()
