// Thin RAII wrappers over LMDB: one environment per state directory, short transactions,
// and a map that grows instead of failing with MDB_MAP_FULL.
#pragma once

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <lmdb.h>

namespace backflow::state {

/// `s` as LMDB's value struct (no copy: valid while `s` is).
inline MDB_val val(std::string_view s) {
  return MDB_val{s.size(), const_cast<char*>(s.data())};
}

/// LMDB's value struct as a view (valid while its transaction is).
inline std::string_view view(const MDB_val& v) {
  return {static_cast<const char*>(v.mv_data), v.mv_size};
}

/// An LMDB call failed; the message names the operation.
class lmdb_error : public std::runtime_error {
 public:
  lmdb_error(const std::string& what, int code);
  [[nodiscard]] int code() const { return code_; }

 private:
  int code_;
};

/// Throws for a failed LMDB call: state_damaged when LMDB's checks found a damaged file
/// (MDB_CORRUPTED, MDB_PAGE_NOTFOUND, ...), else lmdb_error naming `what`.
void check(int rc, const std::string& what);

/// The state directory's contents are damaged (a truncated or overwritten file, a record that
/// fails its checksum): nothing may be sent from it. The message names the file and what is wrong.
class state_damaged : public std::runtime_error {
 public:
  explicit state_damaged(const std::string& what);
};

/// The exit code of a run or command that found its state directory damaged.
constexpr int exit_state_damaged = 6;

class transaction;

/// How much of the process may be resident before the LMDB map's pages are let go (see
/// environment::keep_resident_below): the engine itself needs a few tens of MB beside it.
constexpr size_t resident_budget = size_t{144} << 20;
/// How often the environment's guard thread checks the budget. Short, because the kernel maps up
/// to 16 neighbouring cached pages on each fault ("fault-around"): walking a large tree's branch
/// pages (an mdb_drop, say) can map tens of MB per millisecond.
constexpr std::chrono::milliseconds resident_check_interval{2};

/// One LMDB environment (a state directory), shared by every sync stored in it.
class environment {
 public:
  /// Opens (creating, mode 0700) the state directory and its environment. Throws state_damaged
  /// when data.mdb is not a whole LMDB file (truncated, or not LMDB at all).
  static std::shared_ptr<environment> open(const std::filesystem::path& dir);
  ~environment();
  environment(const environment&) = delete;
  environment& operator=(const environment&) = delete;

  /// The handle of named database `name`, created on first use. A state directory holds a fixed
  /// set of them (see state_dir.hpp): syncs share databases through key prefixes.
  MDB_dbi db(const std::string& name);

  /// Names of the named databases that exist in the file (to recognise older layouts).
  std::vector<std::string> database_names();
  /// The name `dbi` was opened under ("?" when unknown), for messages.
  std::string name_of(MDB_dbi dbi);

  /// Runs `fn` in a write transaction and commits it. If the map is full, the transaction is
  /// aborted, the map doubled, and `fn` run again: `fn` must only touch the transaction.
  void write(const std::function<void(transaction&)>& fn);

  /// Runs `fn` in a read-only transaction.
  void read(const std::function<void(transaction&)>& fn);

  /// Empties (or with `remove`, deletes) a named database.
  void drop(const std::string& name, bool remove);

  /// Drops this process's mapping of the database pages it touched. The pages stay in the OS
  /// page cache (a later access is a cheap minor fault), but no longer count as our resident
  /// memory: without this, scanning a 10M-key state would make the process look gigabytes big.
  void release_resident_pages() const;

  /// Releases the pages (as above) only when the whole process is resident beyond
  /// `budget_bytes`. A guard thread calls it every few milliseconds for the environment's whole
  /// life, whatever runs (diff, commit, a large drop): small states stay mapped and fast, and a
  /// 10M-key state read at random cannot grow the process much past the budget.
  void keep_resident_below(size_t budget_bytes) const;

  [[nodiscard]] const std::filesystem::path& dir() const { return dir_; }
  [[nodiscard]] MDB_env* raw() const { return env_; }

  /// `v` as LMDB returned it, once it is plausible: a damaged file can make LMDB hand out a
  /// size or an address far outside its pages. Throws state_damaged otherwise.
  [[nodiscard]] std::string_view checked(const MDB_val& v, bool read_only) const;
  [[nodiscard]] size_t map_size() const;

 private:
  explicit environment(std::filesystem::path dir);
  void grow();
  void check_whole_file() const;
  /// Publishes where the map is, for the SIGBUS guard (see lmdb.cpp).
  void register_mapping() const;
  /// Rethrows a failed write, saying "no space left" when the file system is full.
  [[noreturn]] void rethrow_write_failure(const lmdb_error& e) const;
  [[nodiscard]] std::pair<uintptr_t, size_t> find_mapping() const;
  void forget_mapping();

  std::filesystem::path dir_;
  MDB_env* env_ = nullptr;
  std::mutex dbi_mutex_;
  std::map<std::string, MDB_dbi> dbis_;
  std::shared_mutex resize_mutex_;  ///< shared by transactions, exclusive while growing
  mutable std::mutex mapping_mutex_;
  mutable std::pair<uintptr_t, size_t> mapping_{0, 0};  ///< where data.mdb is mapped (cached)
  std::atomic<uintptr_t> map_begin_{0};  ///< where data.mdb is mapped, for checked()
  std::atomic<uintptr_t> map_end_{0};
  int statm_fd_ = -1;  ///< /proc/self/statm, kept open: the guard reads it every interval
  std::mutex guard_mutex_;
  std::condition_variable guard_wakeup_;
  bool guard_stop_ = false;
  std::thread resident_guard_;
};

/// A transaction in progress; only valid inside environment::read/write callbacks.
class transaction {
 public:
  transaction(MDB_txn* txn, environment& env, bool read_only)
      : txn_(txn), env_(env), read_only_(read_only) {}

  [[nodiscard]] std::optional<std::string_view> get(MDB_dbi db, std::string_view key) const;
  void put(MDB_dbi db, std::string_view key, std::string_view value, unsigned flags = 0);
  /// Inserts only if absent; returns false when the key already existed.
  bool insert(MDB_dbi db, std::string_view key, std::string_view value);
  /// Deletes `key`; returns false when it did not exist.
  bool del(MDB_dbi db, std::string_view key);
  [[nodiscard]] size_t count(MDB_dbi db) const;
  void clear(MDB_dbi db);
  /// Deletes every entry whose key starts with `prefix`; returns how many.
  size_t erase_prefix(MDB_dbi db, std::string_view prefix);

  /// Calls `fn(key, value)` for entries with key >= `from` in order, until it returns false.
  void scan(MDB_dbi db, std::string_view from,
            const std::function<bool(std::string_view, std::string_view)>& fn) const;
  /// scan() of values the state did not write (LMDB's own, an older layout's): unchecked.
  void scan_unsealed(MDB_dbi db, std::string_view from,
                     const std::function<bool(std::string_view, std::string_view)>& fn) const;

  [[nodiscard]] MDB_txn* raw() const { return txn_; }
  environment& env() { return env_; }

 private:
  friend class lookup_cursor;  // its lookups check values as get() does

  MDB_txn* txn_;
  environment& env_;
  bool read_only_;
};

/// Every value the state stores is sealed: followed by a 32-bit checksum (XXH32) of its key and
/// bytes, which get() and scan() verify, so damage on disk (a value or its key overwritten) is
/// a state_damaged error, never data read wrong.
std::string sealed(std::string_view key, std::string_view value);
/// The value of a sealed entry; throws state_damaged (naming database `where`) when its checksum
/// does not match.
std::string_view unsealed(std::string_view key, std::string_view stored,
                          const std::string& where = "the state");

/// Big-endian u64: sorts numerically as an LMDB key.
std::string u64_key(uint64_t v);
uint64_t u64_from_key(std::string_view key);

}  // namespace backflow::state
