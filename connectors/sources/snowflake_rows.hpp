// Decodes a Snowflake result partition's `data` straight into canonical rows, without a JSON tree.
#pragma once

#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "connectors/sources/snowflake_values.hpp"
#include "pipelines/core/result.hpp"
#include "pipelines/core/row_codec.hpp"

namespace backflow {

/// The rows of an answer `{"data": [[string|null, ...], ...], ...}` encoded by `cells` (one per
/// column). A hand-written scanner: a tree of a 10,000-row partition costs more than the rows.
/// A failure says what is malformed and where (row number, byte offset).
result<packed_rows> decode_sf_partition(std::string_view body, const std::vector<text_cell>& cells);

/// The same for an already parsed `data` array (partition 0, inline in the first answer).
result<packed_rows> encode_sf_rows(const nlohmann::json& data, const std::vector<text_cell>& cells);

}  // namespace backflow
