// The oracle's sync files (see sync_setup.hpp).
#include "tests/oracle/sync_setup.hpp"

#include <algorithm>

namespace backflow::oracle {

nlohmann::json sync_setup::sync_file(const std::string& warehouse_path) const {
  std::string select;
  for (const auto& column : select_order)
    select += (select.empty() ? "" : ", ") + column;
  nlohmann::json keys = nlohmann::json::array();
  for (const auto& k : key_columns)
    keys.push_back(k);
  nlohmann::json map = nlohmann::json::array();
  for (const auto& m : mapping) {
    nlohmann::json entry = {{"from", m.from}, {"to", m.to}};
    if (!m.type.empty())
      entry["type"] = m.type;
    map.push_back(entry);
  }
  nlohmann::json sync = {{"name", "oracle"},
                         {"source",
                          {{"type", "sqlite"},
                           {"path", warehouse_path},
                           {"query", "SELECT " + select + " FROM people"},
                           {"key", keys.size() == 1 ? keys[0] : keys}}},
                         {"destination", destination},
                         {"mode", mode},
                         {"mapping", map},
                         // Models change by a large share between runs on purpose: no ratio guard.
                         {"guards", {{"min_rows", 1}}},
                         {"delivery", delivery}};
  if (implicit_mapping)
    sync.erase("mapping");
  return sync;
}

void sync_setup::use_implicit_mapping() {
  implicit_mapping = true;
  mapping.clear();
  for (const auto& column : select_order)
    if (std::find(key_columns.begin(), key_columns.end(), column) == key_columns.end())
      mapping.push_back({column, column, ""});
}

const mapping_entry* sync_setup::target(const std::string& to) const {
  for (const auto& m : mapping)
    if (m.to == to)
      return &m;
  return nullptr;
}

}  // namespace backflow::oracle
