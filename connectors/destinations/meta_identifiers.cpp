// Meta Custom Audience identifiers (see meta_identifiers.hpp and docs/connectors/meta_audience.md).
#include "connectors/destinations/meta_identifiers.hpp"

#include "pipelines/core/crypto.hpp"
#include "pipelines/core/text.hpp"
#include "pipelines/core/unicode_text.hpp"

namespace backflow {
namespace {

struct named_key {
  const char* name;
  meta_key key;
};

constexpr named_key keys[] = {
  {"EMAIL", meta_key::email},     {"PHONE", meta_key::phone},         {"FN", meta_key::fn},
  {"LN", meta_key::ln},           {"FI", meta_key::fi},               {"CT", meta_key::ct},
  {"ST", meta_key::st},           {"ZIP", meta_key::zip},             {"COUNTRY", meta_key::country},
  {"GEN", meta_key::gen},         {"DOBY", meta_key::doby},           {"DOBM", meta_key::dobm},
  {"DOBD", meta_key::dobd},       {"EXTERN_ID", meta_key::extern_id}, {"MADID", meta_key::madid},
};

/// Unicode lowercase (NFC, root locale) without punctuation or whitespace, Unicode's included:
/// "O’Brien" (U+2019) and "O'Brien" are one name. Letters of every script, digits and marks stay.
std::string letters_only(std::string_view s) {
  return without_punctuation_or_space(unicode_lower(s));
}

std::string digits_only(std::string_view s) {
  std::string out;
  for (char c : s)
    if (c >= '0' && c <= '9')
      out.push_back(c);
  return out;
}

std::string padded(std::string digits, size_t width) {
  if (digits.size() < width && !digits.empty())
    digits.insert(0, width - digits.size(), '0');
  return digits;
}

}  // namespace

std::optional<meta_key> parse_meta_key(std::string_view name) {
  if (name == "EMAIL_SHA256")
    return meta_key::email;
  if (name == "PHONE_SHA256")
    return meta_key::phone;
  for (const auto& k : keys)
    if (name == k.name)
      return k.key;
  return std::nullopt;
}

const char* meta_key_name(meta_key k) {
  for (const auto& entry : keys)
    if (entry.key == k)
      return entry.name;
  return "?";
}

const std::vector<std::string>& meta_key_names() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> v;
    for (const auto& k : keys)
      v.emplace_back(k.name);
    return v;
  }();
  return names;
}

bool meta_key_hashed(meta_key k) {
  return k != meta_key::extern_id && k != meta_key::madid;
}

std::string normalize_meta_value(meta_key k, std::string_view raw) {
  auto text = trim_view(raw);
  switch (k) {
    case meta_key::email:
      return unicode_lower(text);
    case meta_key::phone: {
      auto digits = digits_only(text);
      auto first = digits.find_first_not_of('0');
      return first == std::string::npos ? std::string() : digits.substr(first);
    }
    case meta_key::fn:
    case meta_key::ln:
    case meta_key::ct:
    case meta_key::st:
    case meta_key::country:
      return letters_only(text);
    case meta_key::fi:
      return first_character(letters_only(text));
    case meta_key::zip: {
      auto compact = letters_only(text);  // also drops '-' and spaces
      bool us = compact.size() == 9 || compact.size() == 5;
      for (char c : compact)
        us = us && c >= '0' && c <= '9';
      return us ? compact.substr(0, 5) : compact;
    }
    case meta_key::gen: {
      auto letters = letters_only(text);
      if (letters.empty())
        return {};
      return letters[0] == 'm' || letters[0] == 'f' ? letters.substr(0, 1) : std::string();
    }
    case meta_key::doby:
      return digits_only(text).substr(0, 4);
    case meta_key::dobm:
    case meta_key::dobd:
      return padded(digits_only(text), 2);
    case meta_key::extern_id:
      return std::string(text);
    case meta_key::madid:
      return unicode_lower(text);
  }
  return std::string(text);
}

std::string meta_identifier(meta_key k, const cell& value) {
  if (value.is_null())
    return {};
  std::string raw = value.is_text_like() ? std::string(value.text) : cell_to_string(value);
  auto trimmed = trim_view(raw);
  if (meta_key_hashed(k) && is_sha256_hex(trimmed))
    return ascii_lower(trimmed);  // already hashed upstream
  auto normal = normalize_meta_value(k, raw);
  if (normal.empty() || !meta_key_hashed(k))
    return normal;
  return sha256_hex(normal);
}

}  // namespace backflow
