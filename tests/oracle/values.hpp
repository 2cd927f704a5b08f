// Ordinary and hostile warehouse values for the oracle's models, each with what a vendor must make
// of it. Hand-written tables: the expected forms are not computed by code under test.
#pragma once

#include <string>
#include <vector>

namespace backflow::oracle {

/// A raw value and its form after Meta's normalisation rule for its key, written by hand.
struct normalised_pair {
  std::string raw;
  std::string normalised;
};

/// First or last names in ASCII (FN/LN: lowercase).
const std::vector<normalised_pair>& plain_names();

/// Names across scripts with capitals beyond ASCII and punctuation: Latin with diacritics,
/// Cyrillic, Greek (no final sigma), CJK. FN/LN: Unicode lowercase, no punctuation.
const std::vector<normalised_pair>& hostile_names();

/// Shortest round-trip literals of doubles (stored as REAL).
const std::vector<std::string>& float_literals();

/// Integers, several past 2^53 (stored as INTEGER).
const std::vector<std::string>& big_integers();

/// Decimals a double keeps exactly when printed shortest (stored as TEXT, mapped as numbers).
const std::vector<std::string>& plain_decimals();

/// Decimals a double cannot hold: 17+ significant digits, 38-digit values.
const std::vector<std::string>& exact_decimals();

/// Text values: Unicode from several scripts, quotes, backslashes, tabs, newlines; all short
/// (under 100 bytes, so Salesforce's 255-byte text fields take them).
const std::vector<std::string>& texts();

/// Key parts that hold the composite-key separator `|` and the escape `\`.
const std::vector<std::string>& separator_parts();

}  // namespace backflow::oracle
