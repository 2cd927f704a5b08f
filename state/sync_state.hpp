// One sync's state in the shared LMDB environment: keys, change set, meta, runs, rejects, slots,
// pending jobs, each a prefixed slice of a database every sync shares.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "pipelines/core/redaction.hpp"
#include "state/lmdb.hpp"
#include "state/records.hpp"
#include "state/state_dir.hpp"
#include "state/table.hpp"

namespace backflow::state {

/// Where a sync's current run stands; persisted so a crash can be resumed.
struct plan_record {
  enum class status { none, planning, applying };
  status state = status::none;
  uint64_t run_id = 0;                ///< the run that planned the pending change set
  uint64_t fingerprint = 0;           ///< seed of the change set's payload hashes
  uint64_t config_fingerprint = 0;    ///< of the sync file parts that shape the payload
  std::vector<std::string> fields;    ///< the destination fields of the change set's payloads
  std::string nonce;                  ///< random, per change set: makes its batch ids unique
  nlohmann::json counts = nlohmann::json::object();  ///< the plan's counts, for reporting

  [[nodiscard]] nlohmann::json to_json() const;
  static plan_record from_json(const nlohmann::json& j);
};

/// How a record's journey ended in this run.
enum class settlement : uint8_t {
  delivered,  ///< acknowledged by the destination: commit the new hash
  rejected,   ///< refused by the destination or by the mapping: remember why
  forgotten,  ///< a delete the mode does not send: the destination keeps the record (orphan)
  skipped,    ///< a change the mode does not send: the destination keeps what it has
  /// The identity a changed record was sent with before was removed from the destination
  /// (audiences): the key stays, marked as not holding any version, until the new one is added.
  retired,
};

struct settled_record {
  std::string key;  ///< canonical key
  change_kind change = change_kind::added;
  hash128 hash;
  settlement how = settlement::delivered;
  std::string dest_id;
  std::string reason;
};

/// One entry of the change set as apply reads it.
struct pending_change {
  std::string key;  ///< canonical key
  change_record change;
};

/// A sync's counters, kept with every write so that `status` never scans.
enum class counter : uint8_t { keys, changes, rejects, orphans };

/// The key an identity is counted under: XXH3-128 of its text (16 bytes).
std::string identity_digest(std::string_view identity);

/// One sync's tables and the operations on them.
class sync_state {
 public:
  sync_state(std::shared_ptr<state_dir> dir, std::string sync_name);

  [[nodiscard]] const std::string& name() const { return name_; }
  [[nodiscard]] environment& env() const { return *dir_->env(); }
  [[nodiscard]] const std::shared_ptr<state_dir>& dir() const { return dir_; }

  /// Secrets to scrub from everything this sync stores: a vendor's reason or error that echoes
  /// a token is stored without it.
  void set_redactor(redactor r) { redact_ = std::move(r); }
  [[nodiscard]] const redactor& redaction() const { return redact_; }

  // The sync's slices of the shared databases (for the state layer's own use).
  [[nodiscard]] const table& keys() const { return keys_; }
  [[nodiscard]] const table& changes() const { return changes_; }
  [[nodiscard]] const table& meta() const { return meta_; }
  [[nodiscard]] const table& rejects() const { return rejects_; }
  [[nodiscard]] const table& outcomes() const { return outcomes_; }
  [[nodiscard]] const table& spans() const { return spans_; }

  plan_record load_plan(transaction& txn) const;
  void store_plan(transaction& txn, const plan_record& plan) const;
  plan_record load_plan() const;

  uint64_t next_slot(transaction& txn) const;
  /// A free slot for a newly synced key.
  uint64_t allocate_slot(transaction& txn) const;
  /// Slots freed by removed keys, waiting to be reused.
  size_t free_slots() const;
  uint64_t committed_fingerprint(transaction& txn) const;
  void set_committed_fingerprint(transaction& txn, uint64_t fp) const;
  /// The config fingerprint (sync_config::config_fingerprint) of the last plan that was applied:
  /// records rejected under another mode or mapping are worth sending again.
  uint64_t applied_config() const;
  void set_applied_config(transaction& txn, uint64_t config) const;

  /// Allocates the next run id.
  uint64_t new_run_id() const;
  /// The last run id allocated (0 before the first run); the next run takes this + 1.
  uint64_t last_run_id(const transaction& txn) const;

  /// Applies settled records in one transaction: commits hashes and ids, frees slots, removes
  /// the records from the change set and records or clears rejects.
  void settle(transaction& txn, const std::vector<settled_record>& records, uint64_t run_id) const;

  // -- the change set --------------------------------------------------------------------------

  /// Up to `limit` changes after storage key `after` (exclusive; "" from the start), in key
  /// order, skipping those `skip` says to; `after` is moved to the last key seen.
  std::vector<pending_change> read_changes(std::string& after, size_t limit,
                                           const std::function<bool(const std::string&)>& skip) const;
  /// The pending change of `key`, if any.
  std::optional<change_record> load_change(transaction& txn, const std::string& key) const;
  /// The pending changes of `keys` (keys with none are left out), read in one transaction.
  std::vector<pending_change> changes_of(const std::vector<std::string>& keys) const;
  /// Forgets the change set and the plan (a plan that was stopped or only shown).
  void clear_change_set() const;
  /// Every change settled: no plan is pending any more.
  void finish_change_set() const;

  // -- asynchronous jobs -----------------------------------------------------------------------

  /// An asynchronous job (e.g. a Salesforce bulk job) submitted for some changes: resumed by
  /// polling after a crash, never submitted twice.
  struct pending_job {
    std::string checkpoint;
    std::string batch_id;
    std::vector<std::string> keys;
  };
  void store_job(transaction& txn, const pending_job& job) const;
  void remove_job(transaction& txn, const std::string& checkpoint) const;
  void clear_jobs(transaction& txn) const;
  std::vector<pending_job> pending_jobs() const;
  /// Forgets the jobs of these checkpoints (their changes all settled meanwhile).
  void forget_jobs(const std::vector<std::string>& checkpoints) const;

  // -- run history -----------------------------------------------------------------------------

  void store_run(uint64_t run_id, const nlohmann::json& summary) const;
  /// The newest `limit` run summaries, newest first.
  std::vector<nlohmann::json> recent_runs(size_t limit) const;
  /// Deletes all but the newest `keep` run summaries (bounded history); returns how many went.
  size_t prune_runs(size_t keep) const;
  /// The stored summary of run `run_id`, or null when there is none.
  nlohmann::json load_run(uint64_t run_id) const;

  // -- rejects ---------------------------------------------------------------------------------

  /// A rejected record, as `backflow rejects` lists it.
  struct reject_entry {
    std::string key;  ///< canonical key
    reject_record record;
    bool synced = false;  ///< an earlier version was delivered: the destination has that one
  };
  /// The first `limit` rejected records, in key order; only those of `run_id` when it is not 0.
  std::vector<reject_entry> list_rejects(size_t limit, uint64_t run_id = 0) const;

  /// The diff re-plans every rejected record, changed or not (`retry_rejected: "always"`,
  /// `backflow retry`). A property of this run, set before its plan; never stored.
  bool retry_all_rejects = false;

  /// Whether settle() also logs each record's outcome for write-back to the warehouse
  /// (outcome_log.hpp). A property of the run, set from the sync file; never stored.
  bool logs_outcomes = false;
  /// Stored run summaries after `run_id`, oldest first, at most `limit`.
  std::vector<nlohmann::json> runs_after(uint64_t run_id, size_t limit) const;

  // -- identities (audiences) ------------------------------------------------------------------

  /// Whether destination ids are identities several keys may share (audience members): then
  /// settle() counts the synced keys holding each one.
  bool tracks_identities = false;
  /// How many synced keys hold `identity` (a destination id).
  uint64_t identity_holders(transaction& txn, std::string_view identity) const;
  /// Counts the holders of every identity again from the synced keys, when the counts are
  /// missing (a state from before they were kept).
  void rebuild_identity_counts(transaction& txn) const;
  /// Whether any identity is counted.
  bool has_identity_counts(transaction& txn) const;

  /// Forgets the synced keys, change set and rejects: the next run is a full resync.
  void reset() const;

  /// Counts of stored keys, pending changes, rejects and orphans (records left at the
  /// destination by a mode that does not remove them).
  struct sizes {
    size_t keys = 0;
    size_t changes = 0;
    size_t rejects = 0;
    size_t orphans = 0;
  };
  sizes count() const;
  sizes count(transaction& txn) const;
  void add_count(transaction& txn, counter c, int64_t delta) const;
  void set_count(transaction& txn, counter c, uint64_t value) const;

  /// The canonical key of an entry: the whole key from its record when the storage key is the
  /// long form, else the storage key itself.
  static std::string canonical(std::string_view storage_key, const std::string& long_key) {
    return long_key.empty() ? std::string(storage_key) : long_key;
  }

  /// Throws state_damaged naming this sync, its `what` table and the entry's key.
  [[noreturn]] void damaged(const char* what, std::string_view storage_key) const;

 private:
  std::shared_ptr<state_dir> dir_;
  std::string name_;
  redactor redact_;
  table keys_;
  table changes_;
  table meta_;
  table runs_;
  table rejects_;
  table slots_;
  table jobs_;
  table identities_;
  table outcomes_;
  table spans_;  ///< unchanged spans (span_memo.hpp)

  void count_identity(transaction& txn, std::string_view identity, int64_t delta) const;
};

}  // namespace backflow::state
