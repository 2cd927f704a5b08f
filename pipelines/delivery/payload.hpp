// Helpers connectors share to render mapped fields as JSON, read vendor JSON and identify accounts.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "pipelines/core/row_codec.hpp"

namespace backflow {

/// How numbers that JSON libraries cannot write exactly are rendered.
enum class number_style {
  /// Decimals as strings of their exact text, reals as nlohmann doubles: safe for any dump(),
  /// for displays and samples.
  plain,
  /// Decimals as JSON numbers of their exact text ("12345678901234567.89"), reals as JSON numbers
  /// in the shortest form that reads back as the same double ("19.99"). Needs dump_exact().
  exact,
  /// Reals as in `exact`, decimals as strings of their exact text: for destinations whose fields
  /// are text on the wire (HubSpot properties). Needs dump_exact().
  exact_decimal_strings,
};

/// A cell as JSON: text and timestamps as strings; integers; reals (NaN and infinities as null)
/// and decimals per `numbers`; bytes as standard base64 strings; booleans; null as `null_as`.
nlohmann::json cell_to_json(const cell& c, const nlohmann::json& null_as = nullptr,
                            number_style numbers = number_style::plain);

/// The mapped fields of one record as a JSON object `{field: value}` (see cell_to_json()).
nlohmann::json fields_to_json(const std::vector<std::string>& names, std::string_view encoded,
                              const nlohmann::json& null_as = nullptr,
                              number_style numbers = number_style::plain);

/// A JSON value that dump_exact() writes as the number `number`, character for character (e.g.
/// 12345678901234567.89, which a double would turn into 12345678901234568). Text that is not a
/// number by JSON's grammar becomes a plain string. Until dump_exact() writes it, the value is a
/// string holding a per-process random token: never dump() it.
nlohmann::json exact_number(std::string_view number);

/// `document.dump()` with every exact_number() in it written as a plain JSON number. Every
/// connector dumps bodies that carry mapped fields with this.
std::string dump_exact(const nlohmann::json& document);

/// `object[key]` when `object` is a JSON object with a string there, else `fallback`. Vendor
/// answers are read with these, never with json::value(), which throws on an unexpected type.
std::string json_text(const nlohmann::json& object, const char* key, std::string fallback = {});

/// `object[key]` when `object` is a JSON object with a non-negative integer there, else `fallback`.
uint64_t json_count(const nlohmann::json& object, const char* key, uint64_t fallback = 0);

/// "<kind>:<endpoint>#<first 16 hex of sha256(credential)>": the account syncs share limits on,
/// without keeping the credential itself anywhere.
std::string account_id(std::string_view kind, std::string_view endpoint, std::string_view credential);

/// Joins a base URL and a path with exactly one '/'.
std::string join_url(std::string_view base, std::string_view path);

}  // namespace backflow
