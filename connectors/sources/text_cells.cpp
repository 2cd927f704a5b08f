// The cell kinds of text-valued warehouses and their shared renderings (see text_cells.hpp).
#include "connectors/sources/text_cells.hpp"

#include <cctype>
#include <charconv>
#include <limits>

#include "pipelines/core/decimal.hpp"

namespace backflow {

column_kind text_cell_kind(text_cell cell) {
  switch (cell) {
    case text_cell::integer:
      return column_kind::integer;
    case text_cell::decimal:
      return column_kind::decimal;
    case text_cell::real:
      return column_kind::real;
    case text_cell::boolean:
      return column_kind::boolean;
    case text_cell::date:
    case text_cell::timestamp:
    case text_cell::timestamp_ntz:
    case text_cell::timestamp_tz:
      return column_kind::timestamp;
    case text_cell::binary:
      return column_kind::bytes;
    case text_cell::time:
    case text_cell::json:
    case text_cell::text:
      return column_kind::text;
  }
  return column_kind::unknown;
}

void write_common_cell(row_writer& writer, text_cell cell, std::string_view text) {
  switch (cell) {
    case text_cell::integer:
    case text_cell::decimal:
      return write_exact_text(writer, text);
    case text_cell::real:
      return write_real_text(writer, text);
    case text_cell::boolean:
      if (text == "true" || text == "false")
        return writer.boolean(text == "true");
      return writer.text(text);
    case text_cell::json:
      return writer.text(minify_json_text(text));
    default:
      return writer.text(text);  // text, or a kind whose wire format is a warehouse's own
  }
}

void write_exact_text(row_writer& writer, std::string_view text) {
  auto decimal = normalize_decimal(text);
  if (!decimal)
    return writer.text(text);
  if (auto whole = decimal_to_int64(*decimal))
    writer.integer(*whole);
  else
    writer.decimal(*decimal);
}

bool parse_real_text(std::string_view text, double& v) {
  if (text == "NaN" || text == "nan") {
    v = std::numeric_limits<double>::quiet_NaN();
    return true;
  }
  if (text == "inf" || text == "Infinity" || text == "-inf" || text == "-Infinity") {
    v = (text[0] == '-' ? -1 : 1) * std::numeric_limits<double>::infinity();
    return true;
  }
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  return ec == std::errc() && end == text.data() + text.size();
}

void write_real_text(row_writer& writer, std::string_view text) {
  double v = 0;
  if (parse_real_text(text, v))
    writer.real(v);
  else
    writer.text(text);
}

std::string minify_json_text(std::string_view json) {
  std::string out;
  out.reserve(json.size());
  bool in_string = false;
  for (size_t i = 0; i < json.size(); ++i) {
    char c = json[i];
    if (in_string) {
      out.push_back(c);
      if (c == '\\' && i + 1 < json.size())
        out.push_back(json[++i]);
      else if (c == '"')
        in_string = false;
    } else if (c == '"') {
      in_string = true;
      out.push_back(c);
    } else if (c != ' ' && c != '\n' && c != '\r' && c != '\t') {
      out.push_back(c);
    }
  }
  return out;
}

std::string upper_type_name(std::string type) {
  for (auto& c : type)
    c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return type;
}

}  // namespace backflow
