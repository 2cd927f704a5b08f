// Unicode text operations backed by ICU (see unicode_text.hpp).
#include "pipelines/core/unicode_text.hpp"

#include <unicode/bytestream.h>
#include <unicode/casemap.h>
#include <unicode/normalizer2.h>
#include <unicode/uchar.h>
#include <unicode/utf8.h>

#include <cctype>
#include <climits>

namespace backflow {
namespace {

constexpr const char* root_locale = "";  // ICU: "" is the root locale, nullptr the process default

bool is_ascii(std::string_view text) {
  for (unsigned char c : text)
    if (c >= 0x80)
      return false;
  return true;
}

std::string ascii_mapped(std::string_view text, bool upper) {
  std::string out(text);
  for (auto& c : out) {
    if (!upper && c >= 'A' && c <= 'Z')
      c = static_cast<char>(c - 'A' + 'a');
    else if (upper && c >= 'a' && c <= 'z')
      c = static_cast<char>(c - 'a' + 'A');
  }
  return out;
}

icu::StringPiece piece(std::string_view text) {
  return {text.data(), static_cast<int32_t>(text.size())};
}

const icu::Normalizer2* nfc_instance() {
  UErrorCode error = U_ZERO_ERROR;
  const icu::Normalizer2* instance = icu::Normalizer2::getNFCInstance(error);
  return U_SUCCESS(error) ? instance : nullptr;
}

/// NFC of valid UTF-8 `text`; `text` itself when already normalised or when ICU fails.
std::string nfc_of_valid(std::string_view text) {
  const icu::Normalizer2* normalizer = nfc_instance();
  UErrorCode error = U_ZERO_ERROR;
  if (normalizer == nullptr || normalizer->isNormalizedUTF8(piece(text), error) || U_FAILURE(error))
    return std::string(text);
  std::string out;
  icu::StringByteSink<std::string> sink(&out);
  error = U_ZERO_ERROR;
  normalizer->normalizeUTF8(0, piece(text), sink, nullptr, error);
  return U_SUCCESS(error) ? out : std::string(text);
}

/// Case-maps valid UTF-8 `text` in the root locale, in NFC before and after.
std::string case_mapped(std::string_view text, bool upper) {
  if (is_ascii(text))
    return ascii_mapped(text, upper);  // ASCII is NFC, and its case mapping stays ASCII
  if (!is_utf8(text))
    return ascii_mapped(text, upper);
  std::string composed = nfc_of_valid(text);
  std::string out;
  icu::StringByteSink<std::string> sink(&out);
  UErrorCode error = U_ZERO_ERROR;
  if (upper)
    icu::CaseMap::utf8ToUpper(root_locale, 0, piece(composed), sink, nullptr, error);
  else
    icu::CaseMap::utf8ToLower(root_locale, 0, piece(composed), sink, nullptr, error);
  if (U_FAILURE(error))
    return ascii_mapped(composed, upper);
  return nfc_of_valid(out);  // a mapping may leave a mark that composes with its letter
}

/// Decodes the code point at `i` (advancing it); a negative value for an ill-formed sequence.
UChar32 next_code_point(std::string_view text, size_t& i) {
  const auto* s = reinterpret_cast<const uint8_t*>(text.data());
  auto at = static_cast<int32_t>(i);
  const auto length = static_cast<int32_t>(text.size());
  UChar32 c;
  U8_NEXT(s, at, length, c);
  i = static_cast<size_t>(at);
  return c;
}

}  // namespace

bool is_utf8(std::string_view text) {
  if (text.size() > static_cast<size_t>(INT32_MAX))
    return false;
  for (size_t i = 0; i < text.size();)
    if (next_code_point(text, i) < 0)
      return false;
  return true;
}

std::string nfc(std::string_view text) {
  if (is_ascii(text) || !is_utf8(text))
    return std::string(text);
  return nfc_of_valid(text);
}

std::string unicode_lower(std::string_view text) {
  return case_mapped(text, false);
}

std::string unicode_upper(std::string_view text) {
  return case_mapped(text, true);
}

std::string without_punctuation_or_space(std::string_view text) {
  const bool valid = is_utf8(text);
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size();) {
    auto c = static_cast<unsigned char>(text[i]);
    if (c < 0x80 || !valid) {
      if (c >= 0x80 || !(std::ispunct(c) || std::isspace(c)))
        out.push_back(static_cast<char>(c));
      ++i;
      continue;
    }
    size_t begin = i;
    UChar32 cp = next_code_point(text, i);
    if (!u_isUWhiteSpace(cp) && (U_GET_GC_MASK(cp) & U_GC_P_MASK) == 0)
      out.append(text.substr(begin, i - begin));
  }
  return out;
}

std::string first_character(std::string_view text) {
  if (text.empty() || !is_utf8(text))
    return {};
  size_t end = 0;
  next_code_point(text, end);
  while (end < text.size()) {
    size_t next = end;
    UChar32 cp = next_code_point(text, next);
    if ((U_GET_GC_MASK(cp) & U_GC_M_MASK) == 0)
      break;
    end = next;
  }
  return std::string(text.substr(0, end));
}

}  // namespace backflow
