// Declarative option tables (name, type, default, required, secret) and the validator that reads them.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace backflow {

enum class option_type {
  string,
  integer,
  number,
  boolean,
  duration,     ///< "500ms", "30s", "5m", "1h" or a number of seconds
  url,          ///< http:// or https:// with a host
  object,       ///< validated against `children`
  string_list,  ///< a string or a list of strings
  custom,       ///< present in the table for unknown-key checks; validated by its own code
};

const char* to_string(option_type t);

/// One key of a configuration object, as the connector (or the sync file format) declares it.
struct option_spec {
  std::string name;
  option_type type = option_type::string;
  std::string description;
  bool required = false;
  bool secret = false;             ///< redacted wherever it could be printed
  nlohmann::json default_value;    ///< null: no default
  std::vector<std::string> allowed;  ///< for strings: the only accepted values
  std::vector<option_spec> children;  ///< for objects
  std::string pattern;             ///< for strings: a regular expression the whole value matches
  std::string example;             ///< for strings with a pattern: a value that matches it
  double minimum = -1e300;         ///< for numbers, integers
  double maximum = 1e300;
  bool fingerprint = false;        ///< changes what is sent: part of the mapping fingerprint

  // Fluent modifiers, so tables read like declarations:
  //   option("token", option_type::string, "access token").mandatory().secret_value()
  option_spec&& mandatory() && { required = true; return std::move(*this); }
  option_spec&& secret_value() && { secret = true; return std::move(*this); }
  option_spec&& defaults_to(nlohmann::json v) && { default_value = std::move(v); return std::move(*this); }
  option_spec&& one_of(std::vector<std::string> v) && { allowed = std::move(v); return std::move(*this); }
  option_spec&& looks_like(std::string re, std::string ex) && {
    pattern = std::move(re);
    example = std::move(ex);
    return std::move(*this);
  }
  option_spec&& between(double lo, double hi) && { minimum = lo; maximum = hi; return std::move(*this); }
  option_spec&& at_least(double lo) && { minimum = lo; return std::move(*this); }
  option_spec&& shapes_payload() && { fingerprint = true; return std::move(*this); }
  option_spec&& with(std::vector<option_spec> c) && { children = std::move(c); return std::move(*this); }
};

/// Starts an option declaration; refine it with the fluent modifiers.
inline option_spec option(std::string name, option_type type, std::string description) {
  option_spec s;
  s.name = std::move(name);
  s.type = type;
  s.description = std::move(description);
  return s;
}

/// Every configuration error found, each prefixed with its key path.
class config_errors {
 public:
  void add(const std::string& path, const std::string& message);
  [[nodiscard]] bool empty() const { return items_.empty(); }
  [[nodiscard]] const std::vector<std::string>& items() const { return items_; }
  void append(const config_errors& other);
  /// Replaces every occurrence of these values in the messages with "***".
  void redact(const std::vector<std::string>& secrets);

 private:
  std::vector<std::string> items_;
};

/// Joins a key path: `join_path("destination", "token")` is "destination.token".
std::string join_path(const std::string& parent, const std::string& key);
std::string index_path(const std::string& parent, size_t i);

/// Checks `value` against the table: types, required keys, allowed values, unknown keys.
/// Returns a copy with defaults filled in; a key whose JSON type is wrong is left out, so every
/// value in the result has its declared type. Errors go to `errors`, with paths under `path`.
nlohmann::json validate_options(const nlohmann::json& value, const std::vector<option_spec>& spec,
                                const std::string& path, config_errors& errors);

/// Parses "500ms", "30s", "5m", "2h", "1d" or a bare number of seconds. Returns milliseconds.
bool parse_duration(const nlohmann::json& value, long long& millis);

/// Parses a UTC offset "+HH:MM" or "-HH:MM" (as a number of minutes).
std::optional<std::chrono::minutes> parse_utc_offset(const std::string& text);

/// Copies `value` with every secret option replaced by "***".
nlohmann::json redact(const nlohmann::json& value, const std::vector<option_spec>& spec);

/// Renders the table for `backflow describe`.
std::string describe_options(const std::vector<option_spec>& spec, int indent = 0);

/// A string as a list of one, or the strings of an array (other elements left out).
std::vector<std::string> string_list(const nlohmann::json& v);

}  // namespace backflow
