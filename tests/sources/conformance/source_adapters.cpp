// The source conformance suite's adapter list (each adapter in its own file of adapters/) and the
// helpers the suites build specs with.
#include "tests/sources/conformance/source_adapter.hpp"

#include <algorithm>

#include "tests/sources/conformance/adapters/adapter_support.hpp"

namespace backflow::testing {

const std::vector<source_adapter>& source_adapters() {
  static const std::vector<source_adapter> adapters = {
      sqlite_adapter(),
      postgres_adapter(),
      mysql_adapter(),
      clickhouse_adapter(),
      redshift_adapter(),
      snowflake_adapter(),
      bigquery_adapter(),
      databricks_adapter(),
  };
  return adapters;
}

std::vector<std::string> source_adapter_gaps(const std::vector<std::string>& registered,
                                             const std::vector<std::string>& adapted) {
  std::vector<std::string> gaps;
  for (const auto& t : registered)
    if (std::find(adapted.begin(), adapted.end(), t) == adapted.end())
      gaps.push_back("source type \"" + t + "\" is registered but has no conformance adapter "
                     "(tests/sources/conformance/adapters/, listed in source_adapters.cpp)");
  for (const auto& t : adapted)
    if (std::find(registered.begin(), registered.end(), t) == registered.end())
      gaps.push_back("adapter \"" + t + "\" names no registered source type");
  return gaps;
}

nlohmann::json source_object(const source_adapter& a, const test_warehouse& w,
                             const std::string& query, const std::string& key) {
  nlohmann::json s = w.options();
  s["type"] = a.type;
  s["query"] = query;
  s["key"] = key;
  return s;
}

source_spec source_spec_of(const source_adapter& a, const test_warehouse& w,
                           const std::string& query) {
  return source_spec{a.type, w.options(), query};
}

}  // namespace backflow::testing
