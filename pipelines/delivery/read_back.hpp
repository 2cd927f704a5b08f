// Reading back what a destination holds: its answer per key, and whether a field still holds
// what Backflow delivered (type-aware: numbers as exact decimals, never doubles).
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "pipelines/core/row_codec.hpp"

namespace backflow {

/// One field's value as the destination answered it: its JSON kind and its exact text.
struct read_value {
  enum class kind : uint8_t { absent, null, text, number, boolean };
  kind what = kind::absent;
  std::string text;  ///< text: as is; number: the digits as written; boolean: "true"/"false"

  static read_value of_json(const nlohmann::json& value);
};

/// A synced record to read back: its canonical key and the destination's id kept for it.
struct read_back_key {
  std::string key;
  std::string dest_id;  ///< "" when the destination never returned one
};

/// The fields of one record the destination holds, by field name.
using read_record = std::map<std::string, read_value>;

/// A read-back answer for a batch of keys.
struct read_back_answer {
  /// Records found, by canonical key; a key the destination does not hold is left out. A
  /// record holds every field the destination reads back (absent: it holds no value); fields it
  /// does not read back (e.g. links) are left out and not compared.
  std::map<std::string, read_record> found;
  /// Keys the destination could not look up (no id kept for them): neither found nor missing.
  std::vector<std::string> unchecked;
  /// The answer failed as a whole (the status classifier's reading): retry, or stop.
  bool retry = false;
  bool fatal = false;
  std::string error;  ///< why, when retry or fatal
};

/// How a destination stores values, as the comparison needs to know.
struct read_back_rules {
  /// The destination keeps "" as no value (HubSpot and Salesforce clear a field with it).
  bool empty_is_null = true;
  /// Fields whose text the destination treats without regard to ASCII case (emails, which
  /// vendors match and may store lower-cased): "Ann@Example.com" sent equals "ann@example.com".
  std::vector<std::string> case_insensitive;
};

/// Whether the destination's `value` is the mapped cell `sent` Backflow delivered: null (and,
/// with empty_is_null, "") matches null, absent or ""; numbers (integers, decimals, reals, and
/// text that is a decimal number) compare as exact decimals, so 1.50 equals "1.5" and
/// 12345678901234567890123456789012345678 never equals its double; booleans match true/false in
/// either form; text and timestamps compare byte for byte; bytes as their base64.
bool same_value(const cell& sent, const read_value& value, const read_back_rules& rules);

/// same_value() for mapped field `field`: text of a field in rules.case_insensitive also
/// matches when it differs only in ASCII case.
bool same_value(const cell& sent, const read_value& value, const read_back_rules& rules,
                std::string_view field);

/// Parses JSON keeping every number exact: integers that fit stay integers; every other number
/// (fractions, exponents, integers past 64 bits) is kept as its text in a binary value
/// (JSON text never yields one). Discarded (is_discarded()) when `text` is not JSON.
nlohmann::json parse_exact_json(std::string_view text);

}  // namespace backflow
