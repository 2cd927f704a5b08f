// Column names and kinds of a model's result set.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace backflow {

/// What the warehouse says a column holds; cells may still be null.
enum class column_kind { text, integer, real, boolean, timestamp, unknown, decimal, bytes };

const char* to_string(column_kind k);

struct column {
  std::string name;
  column_kind kind = column_kind::unknown;
};

using schema = std::vector<column>;

/// Index of `name` in `cols` (exact match), if present.
std::optional<size_t> find_column(const schema& cols, const std::string& name);

}  // namespace backflow
