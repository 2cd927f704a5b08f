// What a sync makes of its model's columns: the projection it reads, the mapping it sends.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "pipelines/config/sync_config.hpp"
#include "pipelines/core/schema.hpp"

namespace backflow {

/// The columns a sync keeps (key columns first, then mapped columns), the mapping over them and
/// the destination fields it produces.
struct model_shape {
  std::vector<size_t> projection;  ///< model column indices kept, in order
  schema projected;                ///< the kept columns
  std::vector<mapping_rule> mapping;
  std::vector<std::string> fields;  ///< the mapping's destination fields, in mapping order
  uint64_t fingerprint = 0;        ///< seeds the payload hashes (sync_config::payload_fingerprint)

  /// Builds the shape for a model with `columns` (already checked with check_model_columns).
  static model_shape of(const sync_config& cfg, const schema& columns);

  /// The shape of a pending change set, whose payloads were mapped to `fields` when planned.
  static model_shape of_stored(const sync_config& cfg, const std::vector<std::string>& fields);

  [[nodiscard]] std::vector<std::string> column_names() const;
};

}  // namespace backflow
