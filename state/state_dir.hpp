// A state directory: the LMDB environment shared by syncs, their registry, quotas and run locks.
#pragma once

#include <cstdint>
#include <filesystem>
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

class state_dir {
 public:
  /// Opens or creates `dir` (mode 0700).
  static result<std::shared_ptr<state_dir>> open(const std::filesystem::path& dir);

  [[nodiscard]] const std::shared_ptr<environment>& env() const { return env_; }
  [[nodiscard]] const std::filesystem::path& path() const { return env_->dir(); }

  /// Records that a sync exists (for `status`), with its last known summary.
  void register_sync(const std::string& name, const nlohmann::json& info) const;
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

  MDB_dbi quota_db = 0;

 private:
  explicit state_dir(std::shared_ptr<environment> env);
  std::shared_ptr<environment> env_;
  MDB_dbi syncs_db_ = 0;
};

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
