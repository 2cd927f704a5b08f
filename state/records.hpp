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
  hash128 hash;         ///< the payload hash last acknowledged
  uint64_t slot = 0;    ///< dense ordinal for the plan's seen-set bitmap
  std::string dest_id;  ///< the destination's record id (or identity), if it returned one
  /// The row left the model, but the sync's mode did not remove its record (upsert, insert):
  /// the destination still holds it, so a later mirror run can.
  bool orphan = false;
  std::string long_key{};  ///< the whole canonical key when it is too long to be the LMDB key
};

/// How a row differs from the synced state (`changes` database).
enum class change_kind : uint8_t { added = 1, changed = 2, deleted = 3 };

const char* to_string(change_kind k);

/// One entry of a run's change set.
struct change_record {
  change_kind kind = change_kind::added;
  hash128 hash;         ///< the new payload hash (zero for deletes)
  std::string dest_id;  ///< known destination id (changed, deleted)
  /// The mapped fields (row_codec, in the plan's field order) for added/changed; for a row the
  /// mapping refused, the reason (and `mapping_failed`); empty for deletes.
  std::string payload;
  bool mapping_failed = false;
  std::string long_key{};  ///< as in key_record
  /// Audiences: a changed member whose identity (its destination id) is not the one its new
  /// payload has: the old one is removed before the new one is added...
  bool identity_moved = false;
  /// ...unless other rows of the model still hold it after this run (also for a deleted
  /// member): then the record goes without a request for its old identity.
  bool keep_identity = false;
};

/// A record the destination refused (`rejects` database). Retried when its row hash changes.
struct reject_record {
  hash128 hash;         ///< the hash that was rejected; zero for a refused delete
  std::string reason;
  uint64_t run_id = 0;
  uint32_t attempts = 0;
  bool deletion = false;
  std::string long_key{};  ///< as in key_record
};

// Encodings: a version byte, then the fields. Damage on disk is caught one layer down: every
// value the state stores is sealed with a checksum of its key and bytes (see lmdb.hpp).

std::string encode(const key_record& r);
std::optional<key_record> decode_key_record(std::string_view bytes);

std::string encode(const change_record& r);
std::optional<change_record> decode_change_record(std::string_view bytes);

std::string encode(const reject_record& r);
std::optional<reject_record> decode_reject_record(std::string_view bytes);

/// Reads only the hash, slot and orphan flag of a key record (the diff's hot path); false when
/// the record is damaged.
bool peek_key_record(std::string_view bytes, hash128& hash, uint64_t& slot,
                     bool& orphan);

// -- the layout of version 1 (before key prefixes), read only to migrate --------------------

std::optional<key_record> decode_v1_key_record(std::string_view bytes);
std::optional<reject_record> decode_v1_reject_record(std::string_view bytes);

}  // namespace backflow::state
