// Unicode text operations backed by ICU (root locale): normalisation, case mapping, character classes.
#pragma once

#include <string>
#include <string_view>

namespace backflow {

/// True when `text` is well-formed UTF-8.
bool is_utf8(std::string_view text);

/// `text` in Normalization Form C: a decomposed "E" + U+0301 becomes the single "É".
/// Text that is not valid UTF-8 comes back unchanged.
std::string nfc(std::string_view text);

/// Full Unicode lowercase of `text` in NFC, by ICU's root-locale rules (no Turkish dotless i):
/// "ÉMILE" → "émile", "ẞ" → "ß", "ΑΘΗΝΑ" → "αθηνα"; scripts without case are unchanged.
/// Text that is not valid UTF-8 only has A-Z lowercased.
std::string unicode_lower(std::string_view text);

/// Full Unicode uppercase of `text` in NFC (root locale): "straße" → "STRASSE", "émile" → "ÉMILE".
/// Text that is not valid UTF-8 only has a-z uppercased.
std::string unicode_upper(std::string_view text);

/// `text` without whitespace (Unicode White_Space), punctuation (general category P: ASCII
/// `'-.,` as well as "’", "«", "、", "·") and the ASCII symbols `$+<=>^`|~`. Letters, digits,
/// marks and other symbols stay. Text that is not valid UTF-8 only loses ASCII ones.
std::string without_punctuation_or_space(std::string_view text);

/// The first character of `text`: its first code point with the combining marks after it
/// ("é" whether composed or not), or "" for empty or invalid UTF-8 text.
std::string first_character(std::string_view text);

}  // namespace backflow
