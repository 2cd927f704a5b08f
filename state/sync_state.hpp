// One sync's state in the shared LMDB environment: keys, change set, meta, runs, rejects, slots,
// pending jobs.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "state/lmdb.hpp"
#include "state/records.hpp"

namespace backflow::state {

/// Where a sync's current run stands; persisted so a crash can be resumed.
struct plan_record {
  enum class status { none, planning, applying };
  status state = status::none;
  uint64_t run_id = 0;                ///< the run that planned the pending change set
  uint64_t fingerprint = 0;           ///< seed of the change set's row hashes
  uint64_t config_fingerprint = 0;    ///< of the sync file parts that shape the payload
  std::vector<std::string> columns;   ///< projected column names of the change set's rows
  nlohmann::json counts = nlohmann::json::object();  ///< the plan's counts, for reporting

  [[nodiscard]] nlohmann::json to_json() const;
  static plan_record from_json(const nlohmann::json& j);
};

/// How a record's journey ended in this run.
enum class settlement : uint8_t {
  delivered,  ///< acknowledged by the destination: commit the new hash
  rejected,   ///< refused by the destination or by the mapping: remember why
  forgotten,  ///< a delete the mode does not send: drop the key
  skipped,    ///< a change the mode does not send (insert mode): adopt the new hash
};

struct settled_record {
  std::string key;
  change_kind change = change_kind::added;
  hash128 hash;
  settlement how = settlement::delivered;
  std::string dest_id;
  std::string reason;
};

/// Names and handles of one sync's databases, with the operations on them.
class sync_state {
 public:
  sync_state(std::shared_ptr<environment> env, std::string sync_name);

  [[nodiscard]] const std::string& name() const { return name_; }
  [[nodiscard]] environment& env() const { return *env_; }
  [[nodiscard]] const std::shared_ptr<environment>& env_ptr() const { return env_; }

  MDB_dbi keys = 0;     ///< canonical key → key_record
  MDB_dbi changes = 0;  ///< canonical key → change_record (the current run's change set)
  MDB_dbi meta = 0;     ///< "plan", "next_slot", "run_counter", "fingerprint"
  MDB_dbi runs = 0;     ///< run id (big-endian) → run summary JSON
  MDB_dbi rejects = 0;  ///< canonical key → reject_record
  MDB_dbi slots = 0;    ///< free slot numbers (big-endian) → ""
  MDB_dbi jobs = 0;     ///< checkpoint → pending_job JSON: asynchronous jobs to resume

  plan_record load_plan(transaction& txn) const;
  void store_plan(transaction& txn, const plan_record& plan) const;
  plan_record load_plan() const;

  uint64_t next_slot(transaction& txn) const;
  uint64_t committed_fingerprint(transaction& txn) const;
  void set_committed_fingerprint(transaction& txn, uint64_t fp) const;

  /// Allocates the next run id.
  uint64_t new_run_id() const;

  /// Applies settled records in one transaction: commits hashes and ids, frees slots, removes
  /// the records from the change set and records or clears rejects.
  void settle(transaction& txn, const std::vector<settled_record>& records, uint64_t run_id) const;

  /// An asynchronous job (e.g. a Salesforce bulk job) submitted for some changes: resumed by
  /// polling after a crash, never submitted twice.
  struct pending_job {
    std::string checkpoint;
    std::string batch_id;
    std::vector<std::string> keys;
  };
  void store_job(transaction& txn, const pending_job& job) const;
  void remove_job(transaction& txn, const std::string& checkpoint) const;
  std::vector<pending_job> pending_jobs() const;

  void store_run(uint64_t run_id, const nlohmann::json& summary) const;
  /// The newest `limit` run summaries, newest first.
  std::vector<nlohmann::json> recent_runs(size_t limit) const;
  /// Deletes all but the newest `keep` run summaries (bounded history); returns how many went.
  size_t prune_runs(size_t keep) const;

  /// A rejected record, as `backflow rejects` lists it.
  struct reject_entry {
    std::string key;  ///< canonical key (display_key() to show it)
    reject_record record;
    bool synced = false;  ///< an earlier version was delivered: the destination has that one
  };
  /// The first `limit` rejected records, in key order.
  std::vector<reject_entry> list_rejects(size_t limit) const;

  /// The stored summary of run `run_id`, or null when there is none.
  nlohmann::json load_run(uint64_t run_id) const;

  /// The diff re-plans every rejected record, changed or not (`retry_rejected: "always"`,
  /// `backflow retry`). A property of this run, set before its plan; never stored.
  bool retry_all_rejects = false;

  /// Forgets the synced keys, change set and rejects: the next run is a full resync.
  void reset() const;

  /// Counts of stored keys, pending changes and rejects.
  struct sizes {
    size_t keys = 0;
    size_t changes = 0;
    size_t rejects = 0;
  };
  sizes count() const;

 private:
  std::string db_name(const char* part) const;
  uint64_t allocate_slot(transaction& txn) const;

  std::shared_ptr<environment> env_;
  std::string name_;
};

}  // namespace backflow::state
