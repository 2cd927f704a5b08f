// Meta Custom Audience identifiers: the schema keys, Meta's normalisation rules, SHA-256 hashing.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "pipelines/core/row_codec.hpp"

namespace backflow {

enum class meta_key {
  email, phone, fn, ln, fi, ct, st, zip, country, gen, doby, dobm, dobd, extern_id, madid
};

/// "EMAIL" → meta_key::email (also accepts the "_SHA256" spellings of EMAIL and PHONE).
std::optional<meta_key> parse_meta_key(std::string_view name);
const char* meta_key_name(meta_key k);
const std::vector<std::string>& meta_key_names();

/// Whether Meta wants the key hashed (all but EXTERN_ID and MADID).
bool meta_key_hashed(meta_key k);

/// A value normalised by Meta's rules for the key (before hashing). "Lowercase" is Unicode's
/// full lowercase in ICU's root locale, on text in NFC (so "ÉMILE" and "E\u0301MILE" both give
/// "émile"); "punctuation" is Unicode's general category P plus ASCII symbols, and "spaces" every
/// White_Space character (see unicode_text.hpp).
/// EMAIL trim + lowercase; PHONE digits only, no leading zeros; FN/LN/CT/ST/COUNTRY lowercase
/// without punctuation or spaces; FI the first character of the normalised FN; ZIP the same,
/// US ZIP+4 cut to 5 digits; GEN m/f; DOBY 4 digits, DOBM/DOBD 2; EXTERN_ID trimmed; MADID
/// lowercase.
std::string normalize_meta_value(meta_key k, std::string_view raw);

/// The value to send for one cell: "" when null or empty after normalising; a 64-hex value
/// passes through (lowercased); otherwise SHA-256 hex of the normalised text for hashed keys.
std::string meta_identifier(meta_key k, const cell& value);

}  // namespace backflow
