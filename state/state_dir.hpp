// A state directory: the LMDB environment shared by syncs, their registry, quotas and run locks.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "pipelines/core/result.hpp"
#include "state/lmdb.hpp"

namespace backflow::state {

/// Calls used against a destination account today, persisted so restarts keep the count.
struct quota_usage {
  std::string day;  ///< the account's quota day, "YYYY-MM-DD"
  int64_t used = 0;
  int64_t paused_until_ms = 0;  ///< unix ms until which the destination asked us to wait
};

/// An account a destination asked to wait, as `status` and `unpause` show it.
struct account_pause {
  std::string account;
  int64_t until_ms = 0;
};

/// The databases every sync shares; a sync's entries carry its key prefix (see table.hpp).
struct shared_databases {
  MDB_dbi keys = 0;     ///< canonical key → key_record
  MDB_dbi changes = 0;  ///< canonical key → change_record (the current run's change set)
  MDB_dbi meta = 0;     ///< "plan", "next_slot", "run_counter", counters, ...
  MDB_dbi runs = 0;     ///< run id (big-endian) → run summary JSON
  MDB_dbi rejects = 0;  ///< canonical key → reject_record
  MDB_dbi slots = 0;    ///< free slot numbers (big-endian) → ""
  MDB_dbi jobs = 0;     ///< checkpoint → pending job JSON
  MDB_dbi identities = 0;  ///< audiences: identity digest → synced keys holding it
};

/// The layout version this build writes. 1: a set of named databases per sync (at most 584
/// syncs per directory); 2: shared databases with key prefixes, checksummed records; 3: layout
/// 2 with remembered unchanged spans (span_memo.hpp), which a build without them would leave
/// stale when it commits keys, so it must refuse the directory.
constexpr uint64_t state_format = 3;

class state_dir {
 public:
  /// Opens or creates `dir` (mode 0700), migrating an older layout. Throws state_damaged when
  /// the directory's contents are damaged; other problems are failures.
  static result<std::shared_ptr<state_dir>> open(const std::filesystem::path& dir);

  [[nodiscard]] const std::shared_ptr<environment>& env() const { return env_; }
  [[nodiscard]] const std::filesystem::path& path() const { return env_->dir(); }
  [[nodiscard]] const shared_databases& databases() const { return dbs_; }

  /// The key prefix of sync `name`'s entries, allocated on first use.
  std::string sync_prefix(const std::string& name) const;
  /// The prefix of `name` when it has one (never allocates).
  std::optional<std::string> existing_prefix(const std::string& name) const;

  /// Records that a sync exists (for `status`), with its last known summary and identity.
  void register_sync(const std::string& name, const nlohmann::json& info) const;
  /// The registry entry of `name` (null when unknown).
  nlohmann::json sync_info(const std::string& name) const;
  void forget_sync(const std::string& name) const;
  /// Every registered sync: name → info.
  std::vector<std::pair<std::string, nlohmann::json>> syncs() const;

  /// The usage of `account` on quota day `day` (zero on a new day), and any pause.
  quota_usage quota(const std::string& account, const std::string& day) const;
  /// Adds `calls` to the usage of `account` on quota day `day`, in an open write transaction.
  void add_quota(transaction& txn, const std::string& account, const std::string& day,
                 int64_t calls) const;
  /// Remembers that `account` must not be called before `until_ms` (unix ms), across restarts.
  void pause_account(transaction& txn, const std::string& account, int64_t until_ms) const;
  /// Accounts paused beyond `now_ms`.
  std::vector<account_pause> pauses(int64_t now_ms) const;
  /// Lifts the pause of `account`; returns the time it was paused until (0: it was not).
  int64_t unpause(const std::string& account) const;

  MDB_dbi quota_db = 0;

 private:
  explicit state_dir(std::shared_ptr<environment> env);
  std::shared_ptr<environment> env_;
  shared_databases dbs_;
  MDB_dbi syncs_db_ = 0;
  MDB_dbi sync_ids_db_ = 0;
  MDB_dbi catalog_db_ = 0;
};

/// Rewrites a version-1 layout (named databases per sync) into shared databases, in one write
/// transaction; a no-op for a current one. Keeps synced keys with their destination ids, rejects,
/// run history and counters; an interrupted change set is dropped (the next run plans anew).
void migrate_v1(environment& env, const shared_databases& dbs, const std::vector<MDB_dbi>& reseal,
                const std::function<std::string(transaction&, const std::string&)>& prefix_of);

/// An exclusive, process-wide lock on one sync, so two runs of it never overlap.
/// Released when destroyed (or when the process dies).
class sync_lock {
 public:
  /// Takes the lock or explains who holds it.
  static result<std::unique_ptr<sync_lock>> acquire(const std::filesystem::path& state_dir,
                                                    const std::string& sync_name);
  ~sync_lock();
  sync_lock(const sync_lock&) = delete;
  sync_lock& operator=(const sync_lock&) = delete;

 private:
  explicit sync_lock(int fd) : fd_(fd) {}
  int fd_;
};

}  // namespace backflow::state
