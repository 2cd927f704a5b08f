// Helpers connectors share to render mapped fields as JSON, read vendor JSON and identify accounts.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "pipelines/core/row_codec.hpp"

namespace backflow {

/// A cell as JSON: text and timestamps as strings, numbers, booleans, null (or `null_as`).
nlohmann::json cell_to_json(const cell& c, const nlohmann::json& null_as = nullptr);

/// The mapped fields of one record as a JSON object `{field: value}`.
nlohmann::json fields_to_json(const std::vector<std::string>& names, std::string_view encoded,
                              const nlohmann::json& null_as = nullptr);

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
