// Declarative option tables and their validator (see option_spec.hpp).
#include "pipelines/core/option_spec.hpp"

#include <cctype>
#include <cmath>
#include <regex>
#include <sstream>

namespace backflow {
namespace {

const char* json_type_name(const nlohmann::json& v) {
  switch (v.type()) {
    case nlohmann::json::value_t::null:
      return "null";
    case nlohmann::json::value_t::boolean:
      return "a boolean";
    case nlohmann::json::value_t::number_integer:
    case nlohmann::json::value_t::number_unsigned:
      return "an integer";
    case nlohmann::json::value_t::number_float:
      return "a number";
    case nlohmann::json::value_t::string:
      return "a string";
    case nlohmann::json::value_t::array:
      return "a list";
    case nlohmann::json::value_t::object:
      return "an object";
    default:
      return "an unsupported value";
  }
}

std::string expected(const option_spec& s, const nlohmann::json& got) {
  std::string what;
  switch (s.type) {
    case option_type::string:
      what = "a string";
      break;
    case option_type::integer:
      what = "an integer";
      break;
    case option_type::number:
      what = "a number";
      break;
    case option_type::boolean:
      what = "true or false";
      break;
    case option_type::duration:
      what = "a duration such as \"30s\", \"500ms\" or \"5m\"";
      break;
    case option_type::url:
      what = "an http:// or https:// URL";
      break;
    case option_type::object:
      what = "an object";
      break;
    case option_type::string_list:
      what = "a string or a list of strings";
      break;
    case option_type::custom:
      what = "a value";
      break;
  }
  return "expected " + what + ", got " + json_type_name(got);
}

bool valid_url(const std::string& s) {
  auto scheme_end = s.find("://");
  if (scheme_end == std::string::npos)
    return false;
  auto scheme = s.substr(0, scheme_end);
  if (scheme != "http" && scheme != "https")
    return false;
  auto host_begin = scheme_end + 3;
  auto host_end = s.find_first_of("/?#", host_begin);
  auto authority = s.substr(host_begin, host_end == std::string::npos ? std::string::npos
                                                                       : host_end - host_begin);
  if (authority.empty() || authority.front() == ':')
    return false;
  for (char c : authority)
    if (std::isspace(static_cast<unsigned char>(c)))
      return false;
  return true;
}

void check_range(const option_spec& s, double v, const std::string& path, config_errors& errors) {
  if (v < s.minimum || v > s.maximum) {
    std::ostringstream msg;
    msg << "must be between " << s.minimum << " and " << s.maximum;
    if (s.maximum >= 1e300) {
      msg.str("");
      msg << "must be at least " << s.minimum;
    }
    errors.add(path, msg.str());
  }
}

/// Checks one value; returns false (after reporting) when its JSON type is wrong, so callers
/// never read a value of an unexpected type.
bool check_value(const option_spec& s, const nlohmann::json& v, const std::string& path,
                 config_errors& errors, nlohmann::json& out) {
  auto fail = [&] {
    errors.add(path, expected(s, v));
    return false;
  };
  switch (s.type) {
    case option_type::string:
      if (!v.is_string())
        return fail();
      if (!s.allowed.empty()) {
        bool found = false;
        for (const auto& a : s.allowed)
          found = found || a == v.get<std::string>();
        if (!found) {
          std::string list;
          for (const auto& a : s.allowed)
            list += (list.empty() ? "" : ", ") + ("\"" + a + "\"");
          errors.add(path, "must be one of " + list +
                               (s.secret ? "" : ", got \"" + v.get<std::string>() + "\""));
        }
      }
      if (!s.pattern.empty() && !std::regex_match(v.get<std::string>(), std::regex(s.pattern)))
        errors.add(path, "must look like \"" + s.example + "\"" +
                             (s.secret ? "" : ", got \"" + v.get<std::string>() + "\""));
      return true;
    case option_type::integer:
      if (!v.is_number_integer())
        return fail();
      check_range(s, v.get<double>(), path, errors);
      return true;
    case option_type::number:
      if (!v.is_number())
        return fail();
      check_range(s, v.get<double>(), path, errors);
      return true;
    case option_type::boolean:
      return v.is_boolean() || fail();
    case option_type::duration: {
      long long ms;
      if (!parse_duration(v, ms))
        return fail();
      check_range(s, static_cast<double>(ms) / 1000.0, path, errors);
      return true;
    }
    case option_type::url:
      if (!v.is_string())
        return fail();
      if (!valid_url(v.get<std::string>()))
        errors.add(path, s.secret ? "is not a valid http(s) URL"
                                  : "\"" + v.get<std::string>() + "\" is not a valid http(s) URL");
      return true;
    case option_type::object:
      if (!v.is_object())
        return fail();
      out = validate_options(v, s.children, path, errors);
      return true;
    case option_type::string_list: {
      if (v.is_string())
        return true;
      if (!v.is_array() || v.empty())
        return fail();
      bool ok = true;
      for (size_t i = 0; i < v.size(); ++i)
        if (!v[i].is_string()) {
          errors.add(index_path(path, i), std::string("expected a string, got ") + json_type_name(v[i]));
          ok = false;
        }
      return ok;
    }
    case option_type::custom:
      return true;
  }
  return true;
}

}  // namespace

const char* to_string(option_type t) {
  switch (t) {
    case option_type::string:
      return "string";
    case option_type::integer:
      return "integer";
    case option_type::number:
      return "number";
    case option_type::boolean:
      return "boolean";
    case option_type::duration:
      return "duration";
    case option_type::url:
      return "url";
    case option_type::object:
      return "object";
    case option_type::string_list:
      return "string or list";
    case option_type::custom:
      return "see below";
  }
  return "?";
}

void config_errors::add(const std::string& path, const std::string& message) {
  items_.push_back(path.empty() ? message : path + ": " + message);
}

void config_errors::redact(const std::vector<std::string>& secrets) {
  for (auto& item : items_)
    for (const auto& secret : secrets)
      for (auto pos = secret.empty() ? std::string::npos : item.find(secret);
           pos != std::string::npos; pos = item.find(secret, pos + 3))
        item.replace(pos, secret.size(), "***");
}

void config_errors::append(const config_errors& other) {
  items_.insert(items_.end(), other.items_.begin(), other.items_.end());
}

std::string join_path(const std::string& parent, const std::string& key) {
  return parent.empty() ? key : parent + "." + key;
}

std::string index_path(const std::string& parent, size_t i) {
  return parent + "[" + std::to_string(i) + "]";
}

nlohmann::json validate_options(const nlohmann::json& value, const std::vector<option_spec>& spec,
                                const std::string& path, config_errors& errors) {
  nlohmann::json out = nlohmann::json::object();
  if (!value.is_object()) {
    errors.add(path, std::string("expected an object, got ") + json_type_name(value));
    return out;
  }
  for (const auto& [key, v] : value.items()) {
    bool known = false;
    for (const auto& s : spec)
      known = known || s.name == key;
    if (!known) {
      std::string names;
      for (const auto& s : spec)
        names += (names.empty() ? "" : ", ") + s.name;
      errors.add(join_path(path, key), "unknown key (known keys: " + names + ")");
    }
  }
  for (const auto& s : spec) {
    auto key_path = join_path(path, s.name);
    auto it = value.find(s.name);
    if (it == value.end() || it->is_null()) {
      if (s.required)
        errors.add(key_path, "is required (" + s.description + ")");
      else if (!s.default_value.is_null())
        out[s.name] = s.default_value;
      else if (s.type == option_type::object && !s.children.empty()) {
        config_errors ignored;
        auto defaults = validate_options(nlohmann::json::object(), s.children, key_path, ignored);
        if (!defaults.empty() && ignored.empty())
          out[s.name] = defaults;
      }
      continue;
    }
    nlohmann::json checked = *it;
    if (check_value(s, *it, key_path, errors, checked))
      out[s.name] = checked;
  }
  return out;
}

bool parse_duration(const nlohmann::json& value, long long& millis) {
  if (value.is_number()) {
    double seconds = value.get<double>();
    if (!std::isfinite(seconds) || seconds < 0)
      return false;
    millis = static_cast<long long>(seconds * 1000.0);
    return true;
  }
  if (!value.is_string())
    return false;
  const auto& s = value.get_ref<const std::string&>();
  size_t pos = 0;
  while (pos < s.size() && (std::isdigit(static_cast<unsigned char>(s[pos])) || s[pos] == '.'))
    ++pos;
  if (pos == 0)
    return false;
  double number;
  try {
    size_t used = 0;
    number = std::stod(s.substr(0, pos), &used);
    if (used != pos)
      return false;
  } catch (...) {
    return false;
  }
  if (!std::isfinite(number) || number < 0)
    return false;
  auto unit = s.substr(pos);
  double factor;
  if (unit == "ms")
    factor = 1;
  else if (unit == "s" || unit.empty())
    factor = 1000;
  else if (unit == "m")
    factor = 60'000;
  else if (unit == "h")
    factor = 3'600'000;
  else if (unit == "d")
    factor = 86'400'000;
  else
    return false;
  millis = static_cast<long long>(number * factor);
  return true;
}

std::optional<std::chrono::minutes> parse_utc_offset(const std::string& text) {
  if (text.size() != 6 || (text[0] != '+' && text[0] != '-') || text[3] != ':')
    return std::nullopt;
  for (size_t i : {1, 2, 4, 5})
    if (!std::isdigit(static_cast<unsigned char>(text[i])))
      return std::nullopt;
  int hours = (text[1] - '0') * 10 + (text[2] - '0');
  int minutes = (text[4] - '0') * 10 + (text[5] - '0');
  if (hours > 14 || minutes > 59)
    return std::nullopt;
  auto total = std::chrono::minutes(hours * 60 + minutes);
  return text[0] == '-' ? -total : total;
}

nlohmann::json redact(const nlohmann::json& value, const std::vector<option_spec>& spec) {
  if (!value.is_object())
    return value;
  auto out = value;
  for (const auto& s : spec) {
    auto it = out.find(s.name);
    if (it == out.end())
      continue;
    if (s.secret)
      *it = "***";
    else if (s.type == option_type::object)
      *it = redact(*it, s.children);
  }
  return out;
}

std::string describe_options(const std::vector<option_spec>& spec, int indent) {
  std::ostringstream out;
  std::string pad(static_cast<size_t>(indent), ' ');
  for (const auto& s : spec) {
    out << pad << s.name << " (" << to_string(s.type);
    if (s.required)
      out << ", required";
    if (s.secret)
      out << ", secret";
    if (!s.default_value.is_null())
      out << ", default " << s.default_value.dump();
    out << ")";
    if (!s.allowed.empty()) {
      out << " one of:";
      for (const auto& a : s.allowed)
        out << " " << a;
    }
    if (!s.example.empty())
      out << " like " << s.example;
    out << "\n" << pad << "    " << s.description << "\n";
    if (s.type == option_type::object)
      out << describe_options(s.children, indent + 4);
  }
  return out.str();
}

std::vector<std::string> string_list(const nlohmann::json& v) {
  if (v.is_string())
    return {v.get<std::string>()};
  std::vector<std::string> out;
  if (v.is_array())
    for (const auto& e : v)
      if (e.is_string())
        out.push_back(e.get<std::string>());
  return out;
}

}  // namespace backflow
