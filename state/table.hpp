// One sync's slice of a database shared by every sync: keys carry the sync's 8-byte prefix.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "state/lmdb.hpp"
#include "state/lookup_cursor.hpp"

namespace backflow::state {

/// The LMDB key a canonical row key is stored under: the key itself, or for keys too long for
/// LMDB (which allows 511 bytes with the prefix) its first bytes, a NUL and its SHA-256. The
/// whole key is then kept in the record (long_key).
std::string storage_key(std::string_view canonical_key);
/// storage_key() into `out` (its buffer reused: no allocation per row).
void storage_key(std::string_view canonical_key, std::string& out);

/// Whether `canonical_key` needs storage_key()'s long form.
bool is_long_key(std::string_view canonical_key);

/// Keys of one sync in a shared named database. Every method prefixes the keys it is given and
/// strips the prefix from those it hands out, so callers never see other syncs' entries.
class table {
 public:
  table() = default;
  table(MDB_dbi dbi, std::string prefix) : dbi_(dbi), prefix_(std::move(prefix)) {}

  [[nodiscard]] std::optional<std::string_view> get(const transaction& txn,
                                                    std::string_view key) const;
  /// A cursor for many get(cursor, key) calls in `txn`, fastest in ascending key order.
  [[nodiscard]] lookup_cursor cursor(const transaction& txn) const {
    return lookup_cursor(txn, dbi_);
  }
  /// get() through `cursor` (made by this table's cursor()).
  [[nodiscard]] std::optional<std::string_view> get(lookup_cursor& cursor,
                                                    std::string_view key) const {
    return cursor.get(full(key));
  }
  void put(transaction& txn, std::string_view key, std::string_view value) const;
  /// Inserts only if absent; false when the key already existed.
  bool insert(transaction& txn, std::string_view key, std::string_view value) const;
  /// Deletes `key`; false when it did not exist.
  bool del(transaction& txn, std::string_view key) const;
  /// Calls `fn(key, value)` for this sync's entries with key >= `from`, in order, until it
  /// returns false.
  void scan(const transaction& txn, std::string_view from,
            const std::function<bool(std::string_view, std::string_view)>& fn) const;
  /// Deletes every entry of this sync; returns how many there were.
  size_t clear(transaction& txn) const;
  /// Counts this sync's entries (a scan: use the sync's counters where they exist).
  [[nodiscard]] size_t count(const transaction& txn) const;

 private:
  /// prefix + key, in a buffer reused by the calling thread.
  [[nodiscard]] std::string_view full(std::string_view key) const;

  MDB_dbi dbi_ = 0;
  std::string prefix_;
};

}  // namespace backflow::state
