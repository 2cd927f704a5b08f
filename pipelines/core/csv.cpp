// RFC 4180 CSV writing and parsing (see csv.hpp).
#include "pipelines/core/csv.hpp"

namespace backflow {

void append_csv_field(std::string& out, std::string_view field, bool always_quote) {
  bool quote = always_quote || field.find_first_of(",\"\r\n") != std::string_view::npos;
  if (!quote) {
    out.append(field);
    return;
  }
  out.push_back('"');
  for (char c : field) {
    if (c == '"')
      out.push_back('"');
    out.push_back(c);
  }
  out.push_back('"');
}

void append_csv_record(std::string& out, const std::vector<std::string>& fields,
                       std::string_view line_ending) {
  for (size_t i = 0; i < fields.size(); ++i) {
    if (i > 0)
      out.push_back(',');
    append_csv_field(out, fields[i]);
  }
  out.append(line_ending);
}

result<std::vector<csv_row>> parse_csv(std::string_view text) {
  std::vector<csv_row> rows;
  csv_row row;
  std::string field;
  size_t line = 1;
  size_t i = 0;
  bool row_started = false;
  auto end_field = [&] {
    row.push_back(std::move(field));
    field.clear();
  };
  auto end_row = [&] {
    end_field();
    rows.push_back(std::move(row));
    row.clear();
    row_started = false;
  };
  while (i < text.size()) {
    char c = text[i];
    row_started = true;
    if (c == '"' && field.empty()) {
      // A quoted field: up to the closing quote; "" is a literal quote.
      size_t start_line = line;
      ++i;
      bool closed = false;
      while (i < text.size()) {
        if (text[i] == '"') {
          if (i + 1 < text.size() && text[i + 1] == '"') {
            field.push_back('"');
            i += 2;
            continue;
          }
          ++i;
          closed = true;
          break;
        }
        if (text[i] == '\n')
          ++line;
        field.push_back(text[i++]);
      }
      if (!closed)
        return failure{"CSV: unterminated quoted field starting on line " + std::to_string(start_line)};
      if (i < text.size() && text[i] != ',' && text[i] != '\n' && text[i] != '\r')
        return failure{"CSV: unexpected character after a closing quote on line " +
                       std::to_string(line)};
      continue;
    }
    if (c == ',') {
      end_field();
      ++i;
    } else if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') {
      end_row();
      i += 2;
      ++line;
    } else if (c == '\n') {
      end_row();
      ++i;
      ++line;
    } else {
      field.push_back(c);
      ++i;
    }
  }
  if (row_started || !field.empty() || !row.empty())
    end_row();
  return rows;
}

}  // namespace backflow
