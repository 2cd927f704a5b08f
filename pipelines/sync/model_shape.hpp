// What a sync makes of its model's columns: the projection it hashes, the mapping it sends.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "pipelines/config/sync_config.hpp"
#include "pipelines/core/schema.hpp"

namespace backflow {

/// The columns a sync keeps (key columns first, then mapped columns), and the mapping over them.
struct model_shape {
  std::vector<size_t> projection;  ///< model column indices kept, in order
  schema projected;                ///< the kept columns
  std::vector<mapping_rule> mapping;
  uint64_t fingerprint = 0;        ///< seeds the row hashes: config shape + projected columns

  /// Builds the shape for a model with `columns` (already checked with check_model_columns).
  static model_shape of(const sync_config& cfg, const schema& columns);

  /// Rebuilds the shape of a pending change set from its stored column names.
  static model_shape of_stored(const sync_config& cfg, const std::vector<std::string>& columns);

  [[nodiscard]] std::vector<std::string> column_names() const;
};

}  // namespace backflow
