// How the diff identifies rows: canonical keys, column projection and XXH3-128 row hashes.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "pipelines/core/row_codec.hpp"
#include "pipelines/delivery/record.hpp"

namespace backflow {

/// XXH3-128 of an encoded row, seeded with the sync's fingerprint (mapping + mode + destination
/// shape), so a mapping change makes every affected row differ.
hash128 hash_row(std::string_view encoded_row, uint64_t fingerprint);

/// XXH3-64 of a canonical description of the sync's mapping, mode and destination shape.
uint64_t fingerprint_of(std::string_view canonical_description);

/// Hashes what the destination receives for a row: its mapped fields by name, whatever their
/// order in the mapping or the query, seeded with the destination's shape. Two runs that would
/// send the same payload get the same hash, so a column reorder or a mode switch resends nothing.
class payload_hasher {
 public:
  payload_hasher() = default;
  payload_hasher(std::vector<std::string> field_names, uint64_t seed);

  /// The hash of `fields` (row_codec cells in field_names order); false if they are malformed.
  bool hash(std::string_view fields, hash128& out);

 private:
  std::vector<std::string> names_;
  std::vector<size_t> by_name_;  ///< field positions, sorted by name
  std::vector<std::pair<uint32_t, uint32_t>> spans_;
  uint64_t seed_ = 0;
};

/// Builds the canonical key from the first `key_count` cells of `row`: text is trimmed and,
/// when it looks like an email, lowercased; numbers are written in decimal (floats shortest);
/// composite parts are escaped and joined as row_key.hpp says. Returns false when a key part is
/// null or empty (the row has no usable key).
bool canonical_key(std::string_view row, size_t key_count, std::string& out);

/// Copies the cells at `indices` (in that order) of an encoded row; the projection keeps only
/// the columns a sync hashes and sends, so unmapped columns never cause resends.
class row_projection {
 public:
  row_projection() = default;
  row_projection(std::vector<size_t> indices, size_t width);

  /// True when the projection keeps every column in order (then rows are used as they are).
  [[nodiscard]] bool identity() const { return identity_; }

  /// Appends the projected row to `out`; false if `row` is malformed.
  bool project(std::string_view row, std::string& out);

 private:
  std::vector<size_t> indices_;
  std::vector<std::pair<uint32_t, uint32_t>> spans_;
  bool identity_ = true;
};

}  // namespace backflow
