// What a sync makes of its model's columns (see model_shape.hpp).
#include "pipelines/sync/model_shape.hpp"

#include <algorithm>

namespace backflow {

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
  for (const auto& rule : shape.mapping) {
    keep(rule.from);
    shape.fields.push_back(rule.to);
  }
  shape.fingerprint = cfg.payload_fingerprint();
  return shape;
}

model_shape model_shape::of_stored(const sync_config& cfg, const std::vector<std::string>& fields) {
  model_shape shape;
  shape.fields = fields;
  shape.fingerprint = cfg.payload_fingerprint();
  return shape;
}

std::vector<std::string> model_shape::column_names() const {
  std::vector<std::string> names;
  for (const auto& c : projected)
    names.push_back(c.name);
  return names;
}

}  // namespace backflow
