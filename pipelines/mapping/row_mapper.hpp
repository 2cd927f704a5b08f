// Compiled field mapping: turns a model row into the destination's typed fields.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "pipelines/core/result.hpp"
#include "pipelines/core/row_codec.hpp"
#include "pipelines/core/schema.hpp"
#include "pipelines/mapping/transforms.hpp"

namespace backflow {

/// What the mapping does with a binary value (BLOB, bytea): the sync's `binary` option.
enum class binary_policy {
  base64,  ///< send it as standard base64 text
  reject,  ///< reject the record, naming the column
};

/// One `mapping` entry of a sync file.
struct mapping_rule {
  std::string from;  ///< model column
  std::string to;    ///< destination field
  field_type type = field_type::keep;
  std::vector<transform_kind> transforms;  ///< applied in order, before the type conversion
  binary_policy binary = binary_policy::base64;  ///< checked before the transforms
};

/// Maps encoded rows of one schema to encoded field values, in field_names() order.
class row_mapper {
 public:
  row_mapper() = default;

  /// Resolves each rule's `from` column in `columns`; a missing column is an error naming it.
  static result<row_mapper> compile(const std::vector<mapping_rule>& rules, const schema& columns);

  [[nodiscard]] const std::vector<std::string>& field_names() const { return names_; }

  /// Appends the mapped fields of `row` to `out`. On a bad value, returns an error naming the
  /// column and value, and leaves `out` unchanged.
  status map(std::string_view row, std::string& out);

 private:
  struct compiled_rule {
    size_t column = 0;
    std::string column_name;
    field_type type = field_type::keep;
    std::vector<transform_kind> transforms;
    binary_policy binary = binary_policy::base64;
  };
  std::vector<compiled_rule> rules_;
  std::vector<std::string> names_;
  std::vector<cell> cells_;
  std::string scratch_a_;
  std::string scratch_b_;
  std::string staging_;
};

}  // namespace backflow
