// Column names and kinds of a model's result set (see schema.hpp).
#include "pipelines/core/schema.hpp"

namespace backflow {

const char* to_string(column_kind k) {
  switch (k) {
    case column_kind::text:
      return "text";
    case column_kind::integer:
      return "integer";
    case column_kind::real:
      return "real";
    case column_kind::boolean:
      return "boolean";
    case column_kind::timestamp:
      return "timestamp";
    case column_kind::unknown:
      return "unknown";
    case column_kind::decimal:
      return "decimal";
    case column_kind::bytes:
      return "bytes";
  }
  return "unknown";
}

std::optional<size_t> find_column(const schema& cols, const std::string& name) {
  for (size_t i = 0; i < cols.size(); ++i)
    if (cols[i].name == name)
      return i;
  return std::nullopt;
}

}  // namespace backflow
