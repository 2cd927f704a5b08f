// CSV for Salesforce Bulk API 2.0 jobs (see salesforce_bulk_csv.hpp).
#include "emulators/salesforce_bulk_csv.hpp"

#include <unordered_set>

#include "emulators/emulator_util.hpp"
#include "emulators/salesforce_validation.hpp"

namespace backflow::emulators {
namespace {

constexpr std::string_view null_value = "#N/A";

/// Index of the column named `name` (case-insensitive), or -1.
long column(const csv_row& header, const std::string& name) {
  const auto lower = to_lower(name);
  for (std::size_t i = 0; i < header.size(); ++i)
    if (to_lower(header[i]) == lower)
      return static_cast<long>(i);
  return -1;
}

const char* verb(sf_operation op) { return op == sf_operation::insert ? "insert" : "upsert"; }

}  // namespace

std::optional<std::string> bulk_write_rows(const std::vector<csv_row>& csv, sf_operation op,
                                           const std::string& object, const std::string& ext_field,
                                           const sf_object_rules& rules,
                                           std::vector<sf_write_row>& out) {
  if (csv.empty() || (csv[0].size() == 1 && csv[0][0].empty()))
    return "InvalidBatch : Failed to process the upload: no header row";
  const auto& header = csv[0];
  std::unordered_set<std::string> names;
  for (const auto& name : header) {
    if (name.empty())
      return "InvalidBatch : Field name is empty in the header row";
    if (!names.insert(to_lower(name)).second)
      return "InvalidBatch : Duplicate field name in the header row: " + name;
  }
  const bool by_id = op == sf_operation::update || op == sf_operation::remove;
  const long key_column = column(header, by_id ? "Id" : ext_field);
  if (key_column < 0 && (by_id || op == sf_operation::upsert))
    return "InvalidBatch : Field name not found in the header row: " + (by_id ? "Id" : ext_field);
  std::vector<std::string> unknown;  // per column: the name, when the object does not have it
  std::vector<bool> is_id;
  for (const auto& name : header) {
    const auto lower = to_lower(name);
    is_id.push_back(lower == "id");
    unknown.push_back(rules.allowed && lower != "id" && rules.allowed->count(lower) == 0 ? name
                                                                                         : "");
  }
  out.clear();
  out.resize(csv.size() - 1);
  for (std::size_t r = 1; r < csv.size(); ++r) {
    const auto& values = csv[r];
    if (values.size() != header.size())
      return "InvalidBatch : ClientInputError : Record " + std::to_string(r) + " has " +
             std::to_string(values.size()) + " fields, the header row has " +
             std::to_string(header.size());
    auto& row = out[r - 1];
    if (key_column >= 0 && values[static_cast<std::size_t>(key_column)] != null_value)
      row.key = values[static_cast<std::size_t>(key_column)];
    if (op == sf_operation::remove)
      continue;
    row.fields.reserve(header.size());
    for (std::size_t c = 0; c < header.size(); ++c) {
      if (!unknown[c].empty() && !row.error)
        row.error = sf_error{"INVALID_FIELD",
                             "No such column '" + unknown[c] + "' on entity '" + object + "'",
                             {unknown[c]}};
      if (static_cast<long>(c) == key_column && by_id)
        continue;
      if (is_id[c]) {
        if (!values[c].empty() && !row.error)
          row.error = sf_error{"INVALID_FIELD_FOR_INSERT_UPDATE",
                               std::string("cannot specify Id in an ") + verb(op) + " call",
                               {"Id"}};
        continue;
      }
      if (values[c].empty())
        continue;  // an empty value leaves the field as it is
      row.fields.emplace_back(
          header[c], values[c] == null_value ? nlohmann::json() : nlohmann::json(values[c]));
    }
  }
  return std::nullopt;
}

std::string bulk_result_csv(const std::vector<csv_row>& csv,
                            const std::vector<sf_write_result>& outcomes, const std::string& kind,
                            const std::string& line_ending) {
  const std::string eol = line_ending == "CRLF" ? "\r\n" : "\n";
  std::string out;
  if (csv.empty())
    return out;
  auto append_row = [&](const std::vector<std::string>& lead, const csv_row& values) {
    bool first = true;
    for (const auto* part : {&lead, &values}) {
      for (const auto& field : *part) {
        if (!first)
          out.push_back(',');
        append_csv_field(out, field, true);
        first = false;
      }
    }
    out.append(eol);
  };
  if (kind == "unprocessedrecords") {
    append_row({}, csv[0]);
    if (outcomes.empty())
      for (std::size_t r = 1; r < csv.size(); ++r)
        append_row({}, csv[r]);
    return out;
  }
  const bool successful = kind == "successfulResults";
  append_row({"sf__Id", successful ? "sf__Created" : "sf__Error"}, csv[0]);
  for (std::size_t r = 1; r < csv.size() && r - 1 < outcomes.size(); ++r) {
    const auto& outcome = outcomes[r - 1];
    if (outcome.error.has_value() == successful)
      continue;
    append_row({outcome.id,
                successful ? (outcome.created ? "true" : "false") : sf_error_text(*outcome.error)},
               csv[r]);
  }
  return out;
}

}  // namespace backflow::emulators
