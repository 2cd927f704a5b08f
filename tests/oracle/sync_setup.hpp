// What an oracle sequence controls in its sync file (mode, keys, SELECT order, mapping, delivery)
// and the sync file it makes.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace backflow::oracle {

/// One mapping entry: model column → destination field, with an optional `type`.
struct mapping_entry {
  std::string from;
  std::string to;
  std::string type;  ///< "" (none), "number", "string"
};

/// The parts of the sync file a sequence changes between runs.
struct sync_setup {
  std::string mode;
  std::vector<std::string> key_columns;
  std::vector<std::string> select_order;  ///< every model column, in SELECT order
  std::vector<mapping_entry> mapping;
  /// The sync file has no mapping: every non-key column goes, same name, no type (README);
  /// `mapping` then lists those columns for the expectations.
  bool implicit_mapping = false;
  nlohmann::json destination = nlohmann::json::object();
  nlohmann::json delivery = nlohmann::json::object();

  /// The sync file reading `people` from the SQLite file at `warehouse_path`.
  [[nodiscard]] nlohmann::json sync_file(const std::string& warehouse_path) const;

  /// Drops the mapping from the sync file; `mapping` becomes every non-key column of the SELECT.
  void use_implicit_mapping();

  /// The mapping entry writing destination field `to`, or nullptr.
  [[nodiscard]] const mapping_entry* target(const std::string& to) const;
};

}  // namespace backflow::oracle
