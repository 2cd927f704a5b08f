// Compiled field mapping (see row_mapper.hpp).
#include "pipelines/mapping/row_mapper.hpp"

namespace backflow {

result<row_mapper> row_mapper::compile(const std::vector<mapping_rule>& rules,
                                       const schema& columns) {
  row_mapper m;
  for (size_t i = 0; i < rules.size(); ++i) {
    const auto& r = rules[i];
    auto idx = find_column(columns, r.from);
    if (!idx) {
      std::string names;
      for (const auto& c : columns)
        names += (names.empty() ? "" : ", ") + c.name;
      return failure{"mapping[" + std::to_string(i) + "].from: column \"" + r.from +
                     "\" is not returned by the query (columns: " + names + ")"};
    }
    m.rules_.push_back({*idx, r.from, r.type, r.transforms, r.binary});
    m.names_.push_back(r.to);
  }
  return m;
}

status row_mapper::map(std::string_view row, std::string& out) {
  cells_.clear();
  row_reader reader{row};
  cell c;
  while (reader.next(c))
    cells_.push_back(c);
  staging_.clear();
  row_writer writer{staging_};
  for (const auto& r : rules_) {
    if (r.column >= cells_.size())
      return failure{"row has no value for column \"" + r.column_name + "\""};
    cell value = cells_[r.column];
    if (value.type == cell_type::bytes && r.binary == binary_policy::reject)
      return failure{"column \"" + r.column_name + "\": a binary value (" +
                     std::to_string(value.text.size()) +
                     " bytes) and the sync says \"binary\": \"reject\""};
    // Alternate scratch buffers: each step may read the previous step's text.
    bool use_a = true;
    for (auto t : r.transforms) {
      value = apply_transform(t, value, use_a ? scratch_a_ : scratch_b_);
      use_a = !use_a;
    }
    auto converted = convert_cell(r.type, value, use_a ? scratch_a_ : scratch_b_);
    if (!converted)
      return failure{"column \"" + r.column_name + "\": " + converted.error().message};
    writer.write(*converted);
  }
  out.append(staging_);
  return {};
}

}  // namespace backflow
