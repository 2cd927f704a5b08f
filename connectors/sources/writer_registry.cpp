// The source types Backflow can write back to, one line each (see warehouse_writer.hpp).
#include "connectors/sources/warehouse_writer.hpp"

#include <functional>

#include "connectors/sources/bigquery_writer.hpp"
#include "connectors/sources/clickhouse_writer.hpp"
#include "connectors/sources/databricks_writer.hpp"
#include "connectors/sources/mysql_writer.hpp"
#include "connectors/sources/postgres_writer.hpp"
#include "connectors/sources/redshift_writer.hpp"
#include "connectors/sources/snowflake_writer.hpp"
#include "connectors/sources/sqlite_writer.hpp"

namespace backflow {
namespace {

struct writer_entry {
  const char* type;
  std::function<result<std::unique_ptr<warehouse_writer>>(const source_spec&)> open;
};

const std::vector<writer_entry>& writers() {
  static const std::vector<writer_entry> all = {
    {"sqlite", open_sqlite_writer},
    {"postgres", open_postgres_writer},
    {"mysql", open_mysql_writer},
    {"clickhouse", open_clickhouse_writer},
    {"snowflake", open_snowflake_writer},
    {"bigquery", open_bigquery_writer},
    {"databricks", open_databricks_writer},
    {"redshift", open_redshift_writer},
  };
  return all;
}

}  // namespace

bool can_write_back(std::string_view type) {
  for (const auto& w : writers())
    if (type == w.type)
      return true;
  return false;
}

std::string writable_source_types() {
  std::string out;
  for (const auto& w : writers())
    out += (out.empty() ? "" : ", ") + std::string(w.type);
  return out;
}

result<std::unique_ptr<warehouse_writer>> open_writer(const source_spec& spec) {
  for (const auto& w : writers())
    if (spec.type == w.type)
      return w.open(spec);
  return failure{"writeback: a " + spec.type + " source cannot be written back to (writable: " +
                 writable_source_types() + ")"};
}

}  // namespace backflow
