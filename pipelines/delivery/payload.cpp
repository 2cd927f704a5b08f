// Helpers connectors share to render payloads (see payload.hpp).
#include "pipelines/delivery/payload.hpp"

#include <cctype>
#include <cmath>
#include <random>

#include "pipelines/core/crypto.hpp"

namespace backflow {
namespace {

/// `"bf-exact-number:<128 random bits in hex>:`: the start of an exact_number() string as
/// dump() writes it. Random per process, so no value read from a warehouse can pose as one.
const std::string& exact_number_prefix() {
  static const std::string prefix = [] {
    std::random_device random;
    std::string token;
    for (int i = 0; i < 4; ++i) {
      uint32_t word = random();
      token += std::string(reinterpret_cast<const char*>(&word), sizeof word);
    }
    return "\"bf-exact-number:" + hex_encode(token) + ":";
  }();
  return prefix;
}

/// True when `text` is a number by JSON's grammar: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?
bool is_json_number(std::string_view text) {
  size_t i = 0;
  auto digits = [&] {
    size_t first = i;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9')
      ++i;
    return i - first;
  };
  if (i < text.size() && text[i] == '-')
    ++i;
  size_t whole_at = i;
  size_t whole = digits();
  if (whole == 0 || (whole > 1 && text[whole_at] == '0'))
    return false;
  if (i < text.size() && text[i] == '.' && (++i, digits() == 0))
    return false;
  if (i < text.size() && (text[i] == 'e' || text[i] == 'E')) {
    ++i;
    if (i < text.size() && (text[i] == '+' || text[i] == '-'))
      ++i;
    if (digits() == 0)
      return false;
  }
  return i == text.size();
}

/// True when the '"' at `quote` in dumped JSON is a string delimiter, not an escaped quote.
bool is_delimiter(const std::string& json, size_t quote) {
  size_t backslashes = 0;
  while (quote > backslashes && json[quote - backslashes - 1] == '\\')
    ++backslashes;
  return backslashes % 2 == 0;
}

}  // namespace

nlohmann::json exact_number(std::string_view number) {
  if (!is_json_number(number))
    return std::string(number);
  return exact_number_prefix().substr(1) + std::string(number);
}

std::string dump_exact(const nlohmann::json& document) {
  std::string json = document.dump();
  const std::string& prefix = exact_number_prefix();
  std::string out;
  size_t copied = 0;
  for (size_t at = json.find(prefix); at != std::string::npos; at = json.find(prefix, at + 1)) {
    size_t begin = at + prefix.size();
    size_t end = json.find('"', begin);
    if (end == std::string::npos || !is_delimiter(json, at))
      continue;
    std::string_view number(json.data() + begin, end - begin);
    bool is_key = end + 1 < json.size() && json[end + 1] == ':';
    if (is_key || !is_json_number(number))
      continue;
    out.append(json, copied, at - copied);
    out.append(number);
    copied = end + 1;
  }
  if (copied == 0)
    return json;
  out.append(json, copied, std::string::npos);
  return out;
}

nlohmann::json cell_to_json(const cell& c, const nlohmann::json& null_as, number_style numbers) {
  switch (c.type) {
    case cell_type::null:
      return null_as;
    case cell_type::boolean_false:
    case cell_type::boolean_true:
      return c.boolean();
    case cell_type::integer:
      return c.integer;
    case cell_type::real:
      if (!std::isfinite(c.real))
        return nullptr;
      // nlohmann's Grisu2 always reads back, but about one double in 2,000 gets a digit more
      // than needed (203.95924529348719 for 203.9592452934872): exact bodies use std::to_chars.
      return numbers == number_style::plain ? nlohmann::json(c.real)
                                            : exact_number(shortest_real_text(c.real));
    case cell_type::text:
    case cell_type::timestamp:
      return std::string(c.text);
    case cell_type::decimal:
      return numbers == number_style::exact ? exact_number(c.text)
                                            : nlohmann::json(std::string(c.text));
    case cell_type::bytes:
      return base64_encode(c.text);
  }
  return nullptr;
}

nlohmann::json fields_to_json(const std::vector<std::string>& names, std::string_view encoded,
                              const nlohmann::json& null_as, number_style numbers) {
  nlohmann::json out = nlohmann::json::object();
  row_reader reader{encoded};
  cell c;
  for (const auto& name : names) {
    if (!reader.next(c))
      break;
    out[name] = cell_to_json(c, null_as, numbers);
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
