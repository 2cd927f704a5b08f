// Validation for the Salesforce emulator (see salesforce_validation.hpp).
#include "emulators/salesforce_validation.hpp"

#include <algorithm>
#include <cctype>

#include <strings.h>

#include "emulators/emulator_util.hpp"
#include "emulators/hubspot_validation.hpp"

namespace backflow::emulators {
namespace {

sf_request_error parser_error(const std::string& message) {
  return {400, "JSON_PARSER_ERROR", message};
}

/// Salesforce names the JSON token it could not bind a field to.
std::string token_name(const nlohmann::json& value) {
  return value.is_object() ? "START_OBJECT" : "START_ARRAY";
}

/// Parses one entry of "records"; a whole-request problem is returned, per-row ones kept in `row`.
std::optional<sf_request_error> parse_record(const nlohmann::json& record, std::size_t index,
                                             const std::string& object,
                                             const std::string& ext_field,
                                             const sf_object_rules& rules, sf_write_row& row) {
  if (!record.is_object())
    return parser_error(
        "Cannot deserialize instance of SObject from a non-object value at "
        "records[" +
        std::to_string(index) + "]");
  const auto ext_lower = to_lower(ext_field);
  bool has_type = false;
  for (const auto& [name, value] : record.items()) {
    const auto lower = to_lower(name);
    if (lower == "attributes") {
      if (!value.is_object())
        return parser_error("Cannot deserialize attributes from a non-object value");
      auto type = value.find("type");
      if (type != value.end() && type->is_string()) {
        has_type = true;
        if (to_lower(type->get<std::string>()) != to_lower(object) && !row.error)
          row.error = sf_error{"INVALID_FIELD",
                               "Record type " + type->get<std::string>() +
                                   " does not match the sObject type " + object + " of the request",
                               {}};
      }
      continue;
    }
    if (value.is_object() || value.is_array())
      return parser_error("Cannot deserialize instance of string from " + token_name(value) +
                          " value for field " + name);
    if (lower == "id") {
      if (!row.error)
        row.error = sf_error{"INVALID_FIELD", "cannot specify Id in an upsert call", {"Id"}};
      continue;
    }
    if (rules.allowed && rules.allowed->count(lower) == 0)
      return sf_request_error{400, "INVALID_FIELD",
                              "No such column '" + name + "' on sobject of type " + object};
    if (lower == ext_lower && !value.is_null())
      row.key = scalar_text(value);
    row.fields.emplace_back(name, value);
  }
  if (!has_type && !row.error)
    row.error = sf_error{"INVALID_TYPE", "Must send a concrete entity type.", {}};
  return std::nullopt;
}

}  // namespace

sf_parsed_upsert parse_collection_upsert(const std::string& body, const std::string& object,
                                         const std::string& ext_field,
                                         const sf_object_rules& rules) {
  sf_parsed_upsert out;
  nlohmann::json doc;
  try {
    doc = nlohmann::json::parse(body);
  } catch (const nlohmann::json::exception& e) {  // syntax, or a number out of range
    out.error = parser_error(std::string("Unexpected content in the request body: ") + e.what());
    return out;
  }
  auto records = doc.is_object() ? doc.find("records") : doc.end();
  if (!doc.is_object() || records == doc.end() || !records->is_array()) {
    out.error = parser_error("Cannot deserialize the request: expected {\"records\":[...]}");
    return out;
  }
  out.received = records->size();
  if (auto all = doc.find("allOrNone"); all != doc.end() && !all->is_null()) {
    if (!all->is_boolean()) {
      out.error = parser_error("Cannot deserialize value of type boolean for allOrNone");
      return out;
    }
    out.all_or_none = all->get<bool>();
  }
  if (records->size() > sf_max_collection) {
    out.error = sf_request_error{400, "EXCEEDED_MAX_SIZE_REQUEST",
                                 "Maximum size of request reached. Maximum size of request is " +
                                     std::to_string(sf_max_collection) + " records."};
    return out;
  }
  out.rows.resize(records->size());
  for (std::size_t i = 0; i < records->size(); ++i)
    if (auto e = parse_record((*records)[i], i, object, ext_field, rules, out.rows[i])) {
      out.rows.clear();
      out.error = *e;
      return out;
    }
  return out;
}

std::size_t count_records(const std::string& body) {
  auto doc = nlohmann::json::parse(body, nullptr, false);
  auto records = doc.is_object() ? doc.find("records") : doc.end();
  return doc.is_object() && records != doc.end() && records->is_array() ? records->size() : 0;
}

std::optional<sf_error> check_values(const sf_write_row& row, bool creating,
                                     const sf_object_rules& rules) {
  for (const auto& [name, value] : row.fields) {
    if (value.is_null())
      continue;
    const auto text = scalar_text(value);
    if (strcasecmp(name.c_str(), "email") == 0 && !is_valid_email(text))
      return sf_error{"INVALID_EMAIL_ADDRESS", name + ": invalid email address: " + text, {name}};
    if (value.is_string() && text.size() > sf_max_string)
      return sf_error{"STRING_TOO_LONG",
                      name + ": data value too large: " + text.substr(0, 20) +
                          "... (max length=" + std::to_string(sf_max_string) + ")",
                      {name}};
  }
  if (!creating)
    return std::nullopt;
  std::vector<std::string> missing;
  for (const auto& required : rules.required) {
    auto it = std::find_if(row.fields.begin(), row.fields.end(), [&](const auto& field) {
      return strcasecmp(field.first.c_str(), required.c_str()) == 0;
    });
    if (it == row.fields.end() || it->second.is_null() || scalar_text(it->second).empty())
      missing.push_back(required);
  }
  if (missing.empty())
    return std::nullopt;
  std::string list;
  for (const auto& name : missing)
    list += (list.empty() ? "" : ", ") + name;
  return sf_error{"REQUIRED_FIELD_MISSING", "Required fields are missing: [" + list + "]", missing};
}

bool is_sf_id(std::string_view id) {
  return (id.size() == 15 || id.size() == 18) && std::all_of(id.begin(), id.end(), [](char c) {
           return std::isalnum(static_cast<unsigned char>(c)) != 0;
         });
}

std::string sf_error_body(const std::string& code, const std::string& message) {
  nlohmann::json entry = nlohmann::json::object();
  entry["message"] = message;
  entry["errorCode"] = code;
  return nlohmann::json::array({entry}).dump(-1, ' ', false,
                                             nlohmann::json::error_handler_t::replace);
}

nlohmann::json sf_error_json(const sf_error& e) {
  nlohmann::json out = nlohmann::json::object();
  out["statusCode"] = e.code;
  out["message"] = e.message;
  out["fields"] = e.fields;
  return out;
}

std::string sf_error_text(const sf_error& e) {
  std::string fields;
  for (const auto& f : e.fields)
    fields += (fields.empty() ? "" : ",") + f;
  return e.code + ":" + e.message + ":" + fields;
}

bool is_valid_utf8(std::string_view text) {
  auto byte = [&](std::size_t i) { return static_cast<unsigned char>(text[i]); };
  std::size_t i = 0;
  while (i < text.size()) {
    const auto c = byte(i);
    if (c < 0x80) {
      ++i;
      continue;
    }
    // The well-formed sequences of Unicode 3.9 table 3-7: no overlongs, surrogates or > U+10FFFF.
    if (c < 0xc2 || c > 0xf4)
      return false;
    const std::size_t extra = c <= 0xdf ? 1 : c <= 0xef ? 2 : 3;
    // The second byte's range narrows after E0, ED, F0 and F4.
    const unsigned char low = c == 0xe0 ? 0xa0 : c == 0xf0 ? 0x90 : 0x80;
    const unsigned char high = c == 0xed ? 0x9f : c == 0xf4 ? 0x8f : 0xbf;
    if (i + extra >= text.size() || byte(i + 1) < low || byte(i + 1) > high)
      return false;
    for (std::size_t k = 2; k <= extra; ++k)
      if (byte(i + k) < 0x80 || byte(i + k) > 0xbf)
        return false;
    i += extra + 1;
  }
  return true;
}

}  // namespace backflow::emulators
