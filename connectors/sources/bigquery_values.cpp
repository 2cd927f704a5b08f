// How BigQuery REST values become cells (see bigquery_values.hpp).
#include "connectors/sources/bigquery_values.hpp"

#include <charconv>
#include <cmath>
#include <cstdio>

#include "connectors/sources/snowflake_values.hpp"
#include "connectors/sources/text_cells.hpp"
#include "pipelines/core/crypto.hpp"
#include "pipelines/core/decimal.hpp"

namespace backflow {
namespace {

std::string bq_folded_type(const std::string& name) {
  std::string type = upper_type_name(name);
  if (type == "INTEGER")
    return "INT64";
  if (type == "FLOAT")
    return "FLOAT64";
  if (type == "BOOLEAN")
    return "BOOL";
  if (type == "STRUCT")
    return "RECORD";
  if (type == "DECIMAL")
    return "NUMERIC";
  if (type == "BIGDECIMAL")
    return "BIGNUMERIC";
  return type;
}

result<bq_field> bq_field_of(const nlohmann::json& f, const std::string& path) {
  if (!f.is_object() || !f.contains("name") || !f["name"].is_string())
    return failure{"source: BigQuery API: schema field " + path + " has no name"};
  bq_field out;
  out.name = f["name"].get<std::string>();
  out.type = bq_folded_type(f.value("type", "STRING"));
  out.repeated = f.value("mode", "") == "REPEATED";
  if (out.type == "RECORD") {
    for (const auto& sub : f.value("fields", nlohmann::json::array())) {
      auto child = bq_field_of(sub, path + "." + out.name);
      if (!child)
        return child.error();
      out.fields.push_back(std::move(*child));
    }
  }
  return out;
}

bool bq_parse_int(std::string_view text, int64_t& v) {
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  return ec == std::errc() && end == text.data() + text.size() && !text.empty();
}

/// A TIMESTAMP value: int64 microseconds (useInt64Timestamp) or float seconds ("1.7E9").
bool bq_timestamp_micros(std::string_view text, int64_t& micros) {
  if (bq_parse_int(text, micros))
    return true;
  double seconds = 0;
  if (!parse_real_text(text, seconds) || !std::isfinite(seconds))
    return false;
  micros = static_cast<int64_t>(std::llround(seconds * 1e6));
  return true;
}

void bq_append_quoted(std::string& out, std::string_view text) {
  out += nlohmann::json(std::string(text)).dump(-1, ' ', false,
                                                nlohmann::json::error_handler_t::replace);
}

void bq_append_scalar_json(std::string& out, const bq_field& field, const std::string& text) {
  const std::string& t = field.type;
  if (t == "INT64" || t == "NUMERIC" || t == "BIGNUMERIC") {
    auto decimal = normalize_decimal(text);
    if (decimal)
      out.append(*decimal);
    else
      bq_append_quoted(out, text);
    return;
  }
  if (t == "FLOAT64") {
    double v = 0;
    if (parse_real_text(text, v) && std::isfinite(v))
      out.append(shortest_real_text(v));
    else
      bq_append_quoted(out, text);
    return;
  }
  if (t == "BOOL" && (text == "true" || text == "false")) {
    out.append(text);
    return;
  }
  if (t == "JSON") {
    if (nlohmann::json::accept(text))
      out.append(minify_json_text(text));
    else
      bq_append_quoted(out, text);
    return;
  }
  std::string iso;
  int64_t micros = 0;
  if (t == "TIMESTAMP" && bq_timestamp_micros(text, micros) && bq_micros_to_iso(micros, iso))
    return bq_append_quoted(out, iso);
  bq_append_quoted(out, text);
}

void bq_append_one(std::string& out, const bq_field& field, const nlohmann::json& v) {
  if (v.is_null()) {
    out.append("null");
    return;
  }
  if (field.type == "RECORD" && v.is_object() && v.contains("f") && v["f"].is_array()) {
    out.push_back('{');
    const auto& cells = v["f"];
    for (size_t i = 0; i < field.fields.size() && i < cells.size(); ++i) {
      if (i > 0)
        out.push_back(',');
      bq_append_quoted(out, field.fields[i].name);
      out.push_back(':');
      append_bq_json(out, field.fields[i], cells[i].is_object() ? cells[i].value("v", nlohmann::json())
                                                                : nlohmann::json());
    }
    return out.push_back('}');
  }
  if (v.is_string())
    return bq_append_scalar_json(out, field, v.get_ref<const std::string&>());
  out.append(v.dump());  // not what BigQuery sends; kept rather than dropped
}

}  // namespace

result<std::vector<bq_field>> bq_fields_of(const nlohmann::json& schema) {
  std::vector<bq_field> out;
  if (!schema.is_object() || !schema.contains("fields") || !schema["fields"].is_array())
    return failure{"source: BigQuery API: the answer has no schema.fields"};
  for (const auto& f : schema["fields"]) {
    auto field = bq_field_of(f, std::to_string(out.size()));
    if (!field)
      return field.error();
    out.push_back(std::move(*field));
  }
  return out;
}

column_kind bq_column_kind(const bq_field& field) {
  if (field.repeated)
    return column_kind::text;
  const std::string& t = field.type;
  if (t == "INT64")
    return column_kind::integer;
  if (t == "NUMERIC" || t == "BIGNUMERIC")
    return column_kind::decimal;
  if (t == "FLOAT64")
    return column_kind::real;
  if (t == "BOOL")
    return column_kind::boolean;
  if (t == "BYTES")
    return column_kind::bytes;
  if (t == "DATE" || t == "DATETIME" || t == "TIMESTAMP")
    return column_kind::timestamp;
  return column_kind::text;
}

bool bq_micros_to_iso(int64_t micros, std::string& out) {
  int64_t seconds = micros >= 0 ? micros / 1'000'000 : -((-micros + 999'999) / 1'000'000);
  int64_t fraction = micros - seconds * 1'000'000;
  char text[40];
  std::snprintf(text, sizeof text, "%lld.%06lld", static_cast<long long>(seconds),
                static_cast<long long>(fraction));
  // sf_epoch_to_iso reads "[-]S.f" as a signed decimal: write negative instants that way.
  if (seconds < 0 && fraction != 0)
    std::snprintf(text, sizeof text, "-%lld.%06lld", static_cast<long long>(-(seconds + 1)),
                  static_cast<long long>(1'000'000 - fraction));
  if (!sf_epoch_to_iso(text, 0, out))
    return false;
  out += "+00:00";
  return true;
}

void append_bq_json(std::string& out, const bq_field& field, const nlohmann::json& value) {
  if (!field.repeated)
    return bq_append_one(out, field, value);
  if (!value.is_array()) {
    out.append("null");
    return;
  }
  bq_field element = field;
  element.repeated = false;
  out.push_back('[');
  for (size_t i = 0; i < value.size(); ++i) {
    if (i > 0)
      out.push_back(',');
    bq_append_one(out, element, value[i].is_object() ? value[i].value("v", nlohmann::json())
                                                  : nlohmann::json());
  }
  out.push_back(']');
}

void write_bq_value(row_writer& writer, const bq_field& field, const nlohmann::json& value) {
  if (value.is_null())
    return writer.null();
  if (field.repeated || field.type == "RECORD") {
    std::string json;
    append_bq_json(json, field, value);
    return writer.text(json);
  }
  if (!value.is_string())
    return writer.text(value.dump());
  const std::string& text = value.get_ref<const std::string&>();
  const std::string& t = field.type;
  if (t == "INT64")
    return write_exact_text(writer, text);
  if (t == "NUMERIC" || t == "BIGNUMERIC") {
    auto decimal = normalize_decimal(text);
    return decimal ? writer.decimal(*decimal) : writer.text(text);
  }
  if (t == "FLOAT64")
    return write_real_text(writer, text);
  if (t == "BOOL" && (text == "true" || text == "false"))
    return writer.boolean(text == "true");
  if (t == "BYTES") {
    auto bytes = base64_decode(text);
    return bytes ? writer.bytes(*bytes) : writer.text(text);
  }
  if (t == "DATE" || t == "DATETIME")
    return writer.timestamp(text);
  if (t == "TIMESTAMP") {
    int64_t micros = 0;
    std::string iso;
    if (bq_timestamp_micros(text, micros) && bq_micros_to_iso(micros, iso))
      return writer.timestamp(iso);
    return writer.text(text);
  }
  if (t == "JSON")
    return writer.text(minify_json_text(text));
  writer.text(text);
}

}  // namespace backflow
