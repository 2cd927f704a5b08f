// The source catalogue. Adding a source: one line here, one in CMakeLists.txt.
#include "connectors/sources/registry.hpp"

#include "connectors/sources/bigquery_source.hpp"
#include "connectors/sources/clickhouse_source.hpp"
#include "connectors/sources/databricks_source.hpp"
#include "connectors/sources/mysql_source.hpp"
#include "connectors/sources/postgres_source.hpp"
#include "connectors/sources/redshift_source.hpp"
#include "connectors/sources/snowflake_source.hpp"
#include "connectors/sources/sqlite_source.hpp"

namespace backflow {

const std::vector<source_type>& source_types() {
  static const std::vector<source_type> types = {
    sqlite_source_type(),
    postgres_source_type(),
    clickhouse_source_type(),
    mysql_source_type(),
    snowflake_source_type(),
    redshift_source_type(),
    bigquery_source_type(),
    databricks_source_type(),
  };
  return types;
}

const source_type* find_source_type(std::string_view name) {
  for (const auto& t : source_types())
    if (t.name == name)
      return &t;
  return nullptr;
}

}  // namespace backflow
