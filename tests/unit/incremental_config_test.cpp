// `source.incremental` in a sync file: parsed into the source spec, every error under its key path.
#include <boost/test/unit_test.hpp>

#include "pipelines/config/sync_config.hpp"
#include "tests/unit/sync_config_fixture.hpp"

using namespace backflow;
using namespace backflow::unit;
using nlohmann::json;

namespace {

config_result parse_incremental_sync(const json& incremental) {
  auto doc = hubspot_sync_json();
  doc["source"]["incremental"] = incremental;
  return parse_sync_config(doc.dump(), "/srv", test_env());
}

std::string incremental_errors(const config_result& r) {
  std::string out;
  for (const auto& e : r.errors.items())
    out += e + "\n";
  return out;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(incremental_config)

BOOST_AUTO_TEST_CASE(defaults_are_no_lookback_and_a_key_scan) {
  auto r = parse_incremental_sync({{"cursor", "updated_at"}});
  BOOST_REQUIRE_MESSAGE(r.config, incremental_errors(r));
  const auto& inc = r.config->source.incremental;
  BOOST_REQUIRE(inc.has_value());
  BOOST_TEST(inc->cursor == "updated_at");
  BOOST_TEST(inc->lookback_ms == 0);
  BOOST_TEST((inc->delete_detection == incremental_read::deletes::key_scan));
  BOOST_TEST(!parse_sync_config(hubspot_sync_json().dump(), "/srv", test_env())
                  .config->source.incremental.has_value());
}

BOOST_AUTO_TEST_CASE(every_form_of_deletes_is_read) {
  auto none = parse_incremental_sync({{"cursor", "u"}, {"lookback", "15m"}, {"deletes", "none"}});
  BOOST_REQUIRE_MESSAGE(none.config, incremental_errors(none));
  BOOST_TEST(none.config->source.incremental->lookback_ms == 15 * 60'000);
  BOOST_TEST((none.config->source.incremental->delete_detection == incremental_read::deletes::none));
  auto periodic = parse_incremental_sync({{"cursor", "u"}, {"deletes", {{"full_scan_every", "24h"}}}});
  BOOST_REQUIRE_MESSAGE(periodic.config, incremental_errors(periodic));
  BOOST_TEST(periodic.config->source.incremental->full_scan_every_ms == 24LL * 3'600'000);
}

BOOST_AUTO_TEST_CASE(errors_name_their_key_path_all_at_once) {
  auto r = parse_incremental_sync({{"lookback", "soon"}, {"deletes", {{"full_scan_every", "0s"}, {"x", 1}}},
                       {"curser", "u"}});
  BOOST_TEST(!r.config);
  auto text = incremental_errors(r);
  for (const char* path : {"source.incremental.cursor:", "source.incremental.lookback:",
                           "source.incremental.deletes.full_scan_every:",
                           "source.incremental.deletes.x:", "source.incremental.curser:"})
    BOOST_TEST(text.find(path) != std::string::npos, path << " in:\n" << text);
  auto bad = incremental_errors(parse_incremental_sync({{"cursor", " "}, {"deletes", "sometimes"}}));
  BOOST_TEST(bad.find("source.incremental.cursor: is empty") != std::string::npos, bad);
  BOOST_TEST(bad.find("source.incremental.deletes: expected \"key_scan\"") != std::string::npos, bad);
}

BOOST_AUTO_TEST_SUITE_END()
