// ClickHouse-only type edges (FixedString, UUID, Enum, Array, Float32, zoned DateTime, day 0); the
// edges every source shares are the conformance suite's (tests/sources/conformance/).
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "pipelines/core/row_codec.hpp"

namespace backflow::testing {

/// One expected cell: its type and cell_to_string() text (hand-derived, not from our code).
struct expected_cell {
  std::string column;
  cell_type type;
  std::string text;
};

/// Creates `table` (ClickHouse SQL run through `exec`) holding the ClickHouse-only edge rows.
void create_clickhouse_type_edges(const std::function<void(const std::string&)>& exec,
                                  const std::string& table);

/// The model that reads it, in row order.
std::string clickhouse_type_edges_query(const std::string& table);

/// The cells each row of that model must read as.
std::vector<std::vector<expected_cell>> clickhouse_type_edges_expected();

}  // namespace backflow::testing
