// Secrets scrubbed from everything stored or printed (see redaction.hpp).
#include "pipelines/core/redaction.hpp"

#include <algorithm>
#include <mutex>

#include "pipelines/core/crypto.hpp"

namespace backflow {
namespace {

/// Encoded forms shorter than this are too likely to occur by chance.
constexpr size_t min_form = 6;
/// The shortest base64 fragment of a secret worth matching inside a longer encoded value.
constexpr size_t min_base64_core = 8;

bool is_secret(std::string_view s) {
  bool numeric = std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
  return s.size() >= min_form && !numeric;
}

/// The secret as a JSON string body holds it (nlohmann's escaping).
std::string json_escaped(std::string_view s) {
  auto dumped = nlohmann::json(std::string(s)).dump();
  return dumped.substr(1, dumped.size() - 2);
}

}  // namespace

std::string percent_encoded(std::string_view s, bool upper, bool plus_for_space) {
  const char* digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
  std::string out;
  for (unsigned char c : s) {
    bool plain = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                 c == '-' || c == '_' || c == '.' || c == '~';
    if (plain) {
      out.push_back(static_cast<char>(c));
    } else if (c == ' ' && plus_for_space) {
      out.push_back('+');
    } else {
      out.push_back('%');
      out.push_back(digits[c >> 4]);
      out.push_back(digits[c & 0xf]);
    }
  }
  return out;
}

namespace {

std::string url_safe(std::string b64) {
  for (auto& c : b64)
    c = c == '+' ? '-' : c == '/' ? '_' : c;
  return b64;
}

/// The base64 characters that encode only the secret's own bits, for each of the three
/// alignments it can have inside a longer value ("user:" + secret, say).
std::vector<std::string> base64_cores(std::string_view s) {
  std::vector<std::string> out;
  for (size_t pad = 0; pad < 3; ++pad) {
    auto encoded = base64_encode(std::string(pad, '\0') + std::string(s));
    size_t first = (8 * pad + 5) / 6;           // first character made of the secret's bits only
    size_t last = 8 * (pad + s.size()) / 6;     // characters wholly inside the secret end here
    if (last > first && last - first >= min_base64_core)
      out.push_back(encoded.substr(first, last - first));
  }
  return out;
}

std::mutex& registry_mutex() {
  static std::mutex m;
  return m;
}

redactor& registry() {
  static redactor r;
  return r;
}

}  // namespace

redactor::redactor(const std::vector<std::string>& secrets) {
  for (const auto& s : secrets)
    add(s);
}

void redactor::add(std::string_view secret) {
  if (!is_secret(secret))
    return;
  std::vector<std::string> forms = {std::string(secret), json_escaped(secret),
                                    percent_encoded(secret, true, false),
                                    percent_encoded(secret, false, false),
                                    percent_encoded(secret, true, true),
                                    hex_encode(secret),
                                    base64_encode(secret)};
  for (auto& core : base64_cores(secret)) {
    forms.push_back(url_safe(core));
    forms.push_back(std::move(core));
  }
  for (auto& f : forms)
    if (f.size() >= min_form && std::find(forms_.begin(), forms_.end(), f) == forms_.end())
      forms_.push_back(std::move(f));
  // Longest first, so a form containing another is replaced whole.
  std::sort(forms_.begin(), forms_.end(),
            [](const auto& a, const auto& b) { return a.size() > b.size(); });
}

std::string redactor::text(std::string text) const {
  for (const auto& f : forms_)
    for (auto pos = text.find(f); pos != std::string::npos; pos = text.find(f, pos + 3))
      text.replace(pos, f.size(), "***");
  return text;
}

nlohmann::json redactor::json(const nlohmann::json& value) const {
  if (forms_.empty())
    return value;
  if (value.is_string())
    return text(value.get<std::string>());
  if (value.is_array()) {
    auto out = nlohmann::json::array();
    for (const auto& item : value)
      out.push_back(json(item));
    return out;
  }
  if (value.is_object()) {
    auto out = nlohmann::json::object();
    for (const auto& [k, v] : value.items())
      out[text(k)] = json(v);
    return out;
  }
  return value;
}

void register_secret(std::string_view secret) {
  std::lock_guard<std::mutex> guard(registry_mutex());
  registry().add(secret);
}

std::string redact_secrets(std::string text) {
  std::lock_guard<std::mutex> guard(registry_mutex());
  return registry().text(std::move(text));
}

redactor registered_secrets() {
  std::lock_guard<std::mutex> guard(registry_mutex());
  return registry();
}

}  // namespace backflow
