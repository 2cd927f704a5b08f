// Values stored per key in LMDB: synced keys, pending changes and rejects, with their encodings.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "pipelines/delivery/record.hpp"

namespace backflow::state {

/// A key the destination acknowledged (`keys` database).
struct key_record {
  hash128 hash;         ///< row hash last acknowledged
  uint64_t slot = 0;    ///< dense ordinal for the plan's seen-set bitmap
  std::string dest_id;  ///< the destination's record id, if it returned one
};

/// How a row differs from the synced state (`changes` database).
enum class change_kind : uint8_t { added = 1, changed = 2, deleted = 3 };

const char* to_string(change_kind k);

/// One entry of a run's change set.
struct change_record {
  change_kind kind = change_kind::added;
  hash128 hash;         ///< the new row hash (zero for deletes)
  std::string dest_id;  ///< known destination id (changed, deleted)
  std::string row;      ///< projected row (row_codec) for added/changed; empty for deletes
};

/// A record the destination refused (`rejects` database). Retried when its row hash changes.
struct reject_record {
  hash128 hash;         ///< the row hash that was rejected; deletion_marker() for a refused delete
  std::string reason;
  uint64_t run_id = 0;
  uint32_t attempts = 0;
  bool deletion = false;
};

std::string encode(const key_record& r);
std::optional<key_record> decode_key_record(std::string_view bytes);

std::string encode(const change_record& r);
std::optional<change_record> decode_change_record(std::string_view bytes);

std::string encode(const reject_record& r);
std::optional<reject_record> decode_reject_record(std::string_view bytes);

/// Reads only the hash and slot of a key record (the diff's hot path).
bool peek_key_record(std::string_view bytes, hash128& hash, uint64_t& slot);

}  // namespace backflow::state
