// `${VAR}` interpolation of environment variables in sync files (see env_interpolation.hpp).
#include "pipelines/core/env_interpolation.hpp"

#include <cctype>
#include <cstdlib>

namespace backflow {
namespace {

bool valid_name(const std::string& name) {
  if (name.empty() || std::isdigit(static_cast<unsigned char>(name[0])))
    return false;
  for (char c : name)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_')
      return false;
  return true;
}

std::string interpolate_string(const std::string& in, const env_lookup& env, config_errors& errors,
                               std::vector<std::string>& substituted, const std::string& path) {
  std::string out;
  size_t i = 0;
  while (i < in.size()) {
    if (in.compare(i, 3, "$${") == 0) {
      out += "${";
      i += 3;
      continue;
    }
    if (in.compare(i, 2, "${") != 0) {
      out.push_back(in[i++]);
      continue;
    }
    auto close = in.find('}', i + 2);
    if (close == std::string::npos) {
      errors.add(path, "unterminated \"${\" (write \"$${\" for a literal \"${\")");
      return in;
    }
    auto expr = in.substr(i + 2, close - i - 2);
    std::optional<std::string> fallback;
    auto dflt = expr.find(":-");
    if (dflt != std::string::npos) {
      fallback = expr.substr(dflt + 2);
      expr = expr.substr(0, dflt);
    }
    if (!valid_name(expr)) {
      errors.add(path, "\"${" + expr + "}\" is not a valid environment variable reference");
    } else if (auto value = env(expr); value && !value->empty()) {
      substituted.push_back(*value);
      out += *value;
    } else if (fallback) {
      out += *fallback;
    } else {
      errors.add(path, "environment variable " + expr + " is not set");
    }
    i = close + 1;
  }
  return out;
}

}  // namespace

env_lookup process_environment() {
  return [](const std::string& name) -> std::optional<std::string> {
    if (const char* v = std::getenv(name.c_str()))
      return std::string(v);
    return std::nullopt;
  };
}

nlohmann::json interpolate_env(const nlohmann::json& doc, const env_lookup& env,
                               config_errors& errors, std::vector<std::string>& substituted,
                               const std::string& path) {
  if (doc.is_string())
    return interpolate_string(doc.get<std::string>(), env, errors, substituted, path);
  if (doc.is_object()) {
    nlohmann::json out = nlohmann::json::object();
    for (const auto& [k, v] : doc.items())
      out[k] = interpolate_env(v, env, errors, substituted, join_path(path, k));
    return out;
  }
  if (doc.is_array()) {
    nlohmann::json out = nlohmann::json::array();
    for (size_t i = 0; i < doc.size(); ++i)
      out.push_back(interpolate_env(doc[i], env, errors, substituted, index_path(path, i)));
    return out;
  }
  return doc;
}

}  // namespace backflow
