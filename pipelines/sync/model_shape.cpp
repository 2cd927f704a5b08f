// What a sync makes of its model's columns (see model_shape.hpp).
#include "pipelines/sync/model_shape.hpp"

#include <algorithm>

#include "pipelines/diff/row_identity.hpp"

namespace backflow {
namespace {

uint64_t shape_fingerprint(const sync_config& cfg, const std::vector<std::string>& names) {
  std::string description = std::to_string(cfg.config_fingerprint());
  for (const auto& n : names)
    description += '\x1f' + n;
  return fingerprint_of(description);
}

}  // namespace

model_shape model_shape::of(const sync_config& cfg, const schema& columns) {
  model_shape shape;
  auto keep = [&](const std::string& name) {
    auto idx = find_column(columns, name);
    if (idx && std::find(shape.projection.begin(), shape.projection.end(), *idx) ==
                   shape.projection.end()) {
      shape.projection.push_back(*idx);
      shape.projected.push_back(columns[*idx]);
    }
  };
  for (const auto& k : cfg.key_columns)
    keep(k);
  shape.mapping = effective_mapping(cfg, columns);
  for (const auto& rule : shape.mapping)
    keep(rule.from);
  shape.fingerprint = shape_fingerprint(cfg, shape.column_names());
  return shape;
}

model_shape model_shape::of_stored(const sync_config& cfg, const std::vector<std::string>& names) {
  model_shape shape;
  for (size_t i = 0; i < names.size(); ++i) {
    shape.projection.push_back(i);
    shape.projected.push_back({names[i], column_kind::unknown});
  }
  shape.mapping = effective_mapping(cfg, shape.projected);
  shape.fingerprint = shape_fingerprint(cfg, names);
  return shape;
}

std::vector<std::string> model_shape::column_names() const {
  std::vector<std::string> names;
  for (const auto& c : projected)
    names.push_back(c.name);
  return names;
}

}  // namespace backflow
