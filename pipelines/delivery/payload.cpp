// Helpers connectors share to render payloads (see payload.hpp).
#include "pipelines/delivery/payload.hpp"

#include <cctype>
#include <cmath>

#include "pipelines/core/crypto.hpp"

namespace backflow {

nlohmann::json cell_to_json(const cell& c, const nlohmann::json& null_as) {
  switch (c.type) {
    case cell_type::null:
      return null_as;
    case cell_type::boolean_false:
    case cell_type::boolean_true:
      return c.boolean();
    case cell_type::integer:
      return c.integer;
    case cell_type::real:
      return std::isfinite(c.real) ? nlohmann::json(c.real) : nlohmann::json(nullptr);
    case cell_type::text:
    case cell_type::timestamp:
      return std::string(c.text);
  }
  return nullptr;
}

nlohmann::json fields_to_json(const std::vector<std::string>& names, std::string_view encoded,
                              const nlohmann::json& null_as) {
  nlohmann::json out = nlohmann::json::object();
  row_reader reader{encoded};
  cell c;
  for (const auto& name : names) {
    if (!reader.next(c))
      break;
    out[name] = cell_to_json(c, null_as);
  }
  return out;
}

std::string json_text(const nlohmann::json& object, const char* key, std::string fallback) {
  if (!object.is_object())
    return fallback;
  auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : fallback;
}

uint64_t json_count(const nlohmann::json& object, const char* key, uint64_t fallback) {
  if (!object.is_object())
    return fallback;
  auto it = object.find(key);
  // nlohmann stores every non-negative integer it parses as unsigned.
  return it != object.end() && it->is_number_unsigned() ? it->get<uint64_t>() : fallback;
}

std::string account_id(std::string_view kind, std::string_view endpoint, std::string_view credential) {
  // One account however the endpoint is spelled: scheme and host are case-insensitive, and a
  // trailing slash changes nothing.
  std::string normal(endpoint);
  while (!normal.empty() && normal.back() == '/')
    normal.pop_back();
  auto host_end = normal.find('/', normal.find("://") == std::string::npos ? 0 : normal.find("://") + 3);
  for (size_t i = 0; i < normal.size() && i < host_end; ++i)
    normal[i] = static_cast<char>(std::tolower(static_cast<unsigned char>(normal[i])));
  return std::string(kind) + ":" + normal + "#" + sha256_hex(credential).substr(0, 16);
}

std::string join_url(std::string_view base, std::string_view path) {
  std::string out(base);
  while (!out.empty() && out.back() == '/')
    out.pop_back();
  if (path.empty() || path.front() != '/')
    out.push_back('/');
  out.append(path);
  return out;
}

}  // namespace backflow
