// Declarative option tables (name, type, default, required, secret) and the validator that reads them.
#pragma once

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
  double minimum = -1e300;         ///< for numbers, integers
  double maximum = 1e300;
  bool fingerprint = false;        ///< changes what is sent: part of the mapping fingerprint
};

/// Every configuration error found, each prefixed with its key path.
class config_errors {
 public:
  void add(const std::string& path, const std::string& message);
  [[nodiscard]] bool empty() const { return items_.empty(); }
  [[nodiscard]] const std::vector<std::string>& items() const { return items_; }
  void append(const config_errors& other);

 private:
  std::vector<std::string> items_;
};

/// Joins a key path: `join_path("destination", "token")` is "destination.token".
std::string join_path(const std::string& parent, const std::string& key);
std::string index_path(const std::string& parent, size_t i);

/// Checks `value` against the table: types, required keys, allowed values, unknown keys.
/// Returns a copy with defaults filled in. Errors go to `errors`, with paths under `path`.
nlohmann::json validate_options(const nlohmann::json& value, const std::vector<option_spec>& spec,
                                const std::string& path, config_errors& errors);

/// Parses "500ms", "30s", "5m", "2h", "1d" or a bare number of seconds. Returns milliseconds.
bool parse_duration(const nlohmann::json& value, long long& millis);

/// Copies `value` with every secret option replaced by "***".
nlohmann::json redact(const nlohmann::json& value, const std::vector<option_spec>& spec);

/// Renders the table for `backflow describe`.
std::string describe_options(const std::vector<option_spec>& spec, int indent = 0);

}  // namespace backflow
