// Model rows as the diff compares them: key, the payload the destination would get, its hash.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "pipelines/core/row_codec.hpp"
#include "pipelines/delivery/record.hpp"
#include "pipelines/diff/row_identity.hpp"
#include "pipelines/diff/span_tag.hpp"
#include "pipelines/mapping/row_mapper.hpp"

namespace backflow {

/// A batch of planned rows: canonical key, the mapped payload (or why the mapping refused the
/// row), and the hash of that payload.
struct planned_rows {
  packed_rows keys;
  packed_rows payloads;  ///< mapped fields (row_codec), or the mapping's reason
  std::vector<hash128> hashes;
  std::vector<uint8_t> mapping_failed;
  /// The destination id each payload will have, for destinations whose records are identified
  /// by their values (audience members); empty otherwise.
  packed_rows identities;
  /// The spans the rows fall into, in row order, each covering the next `rows` rows; empty when
  /// the plan does not cut spans (incremental reads).
  std::vector<span_tag> spans;

  [[nodiscard]] size_t size() const { return hashes.size(); }
  /// The bytes the rows hold (keys, payloads, identities).
  [[nodiscard]] size_t bytes() const {
    return keys.bytes.size() + payloads.bytes.size() + identities.bytes.size();
  }
  void clear() {
    keys.clear();
    payloads.clear();
    hashes.clear();
    mapping_failed.clear();
    identities.clear();
    spans.clear();
  }
};

/// What a destination identifies a payload by (destination::identity), when it does.
using identity_function = std::function<std::optional<std::string>(std::string_view payload)>;

/// Keys, maps and hashes projected model rows (key columns first). A row the mapping refuses
/// is kept with the reason and a hash of its source values, so its reject is retried when the
/// row changes.
class row_planner {
 public:
  row_planner() = default;
  /// `seed`: the payload fingerprint (sync_config::payload_fingerprint).
  row_planner(size_t key_columns, row_mapper mapper, uint64_t seed,
              identity_function identity = {});

  /// Appends `row`'s plan to `out`; false (nothing appended) when it has no usable key.
  bool plan(std::string_view row, planned_rows& out);

  [[nodiscard]] const std::vector<std::string>& field_names() const { return mapper_.field_names(); }

 private:
  size_t key_columns_ = 0;
  row_mapper mapper_;
  identity_function identity_;
  payload_hasher hasher_;
  uint64_t seed_ = 0;
  std::string key_;
  std::string payload_;
};

}  // namespace backflow
