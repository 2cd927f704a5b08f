// The diff (see change_set_builder.hpp).
#include "state/change_set_builder.hpp"

#include <algorithm>

#include "pipelines/diff/row_identity.hpp"

namespace backflow::state {
namespace {

constexpr size_t max_bad_key_samples = 10;
/// Changes written per transaction: bounded, so the buffer and the transaction stay small.
constexpr size_t flush_rows = 16'384;
constexpr size_t flush_bytes = size_t{8} << 20;

}  // namespace

change_set_builder::change_set_builder(const sync_state& st, uint64_t run_id, uint64_t fingerprint,
                                       size_t key_columns, size_t samples_per_kind)
    : st_(st), fingerprint_(fingerprint), key_columns_(key_columns), samples_(samples_per_kind) {
  st_.env().write([&](transaction& txn) {
    txn.clear(st_.changes);
    txn.clear(st_.jobs);  // jobs belong to the change set they were submitted for
    auto plan = st_.load_plan(txn);
    plan.state = plan_record::status::planning;
    plan.run_id = run_id;
    plan.fingerprint = fingerprint;
    st_.store_plan(txn, plan);
    seen_.assign((st_.next_slot(txn) + 63) / 64, 0);
    tally_.stored_before = txn.count(st_.keys);
    has_rejects_ = txn.count(st_.rejects) > 0;
  });
  retry_rejects_ = st_.retry_all_rejects;
}

bool change_set_builder::mark_seen(uint64_t slot) {
  auto word = slot / 64;
  if (word >= seen_.size())
    seen_.resize(word + 1, 0);
  uint64_t bit = uint64_t{1} << (slot % 64);
  bool was = (seen_[word] & bit) != 0;
  seen_[word] |= bit;
  return was;
}

void change_set_builder::note_duplicate(const std::string& key) {
  ++tally_.duplicate_keys;
  if (tally_.duplicate_samples.size() < max_bad_key_samples)
    tally_.duplicate_samples.push_back(display_key(key));
}

void change_set_builder::add(const packed_rows& rows) {
  // Lookups in a read transaction: an unchanged re-run never takes the writer lock.
  st_.env().read([&](transaction& txn) {
    for (size_t i = 0; i < rows.size(); ++i)
      classify(txn, rows[i]);
  });
  if (pending_.size() >= flush_rows || pending_bytes_ >= flush_bytes)
    flush();
}

void change_set_builder::classify(transaction& txn, std::string_view row) {
  ++tally_.extracted;
  if (!canonical_key(row, key_columns_, key_)) {
    ++tally_.null_keys;
    if (tally_.null_key_rows.size() < max_bad_key_samples)
      tally_.null_key_rows.push_back(tally_.extracted);
    return;
  }
  auto hash = hash_row(row, fingerprint_);
  hash128 stored_hash;
  uint64_t slot = 0;
  auto stored = txn.get(st_.keys, key_);
  bool synced = stored && peek_key_record(*stored, stored_hash, slot);
  if (synced && mark_seen(slot)) {
    note_duplicate(key_);
    return;
  }
  std::optional<reject_record> rejected;
  if (has_rejects_)
    if (auto bytes = txn.get(st_.rejects, key_))
      rejected = decode_reject_record(*bytes);
  // A delete refused earlier is moot once the row is back.
  if (rejected && rejected->deletion)
    stale_rejects_.push_back(key_);
  if (synced && stored_hash == hash) {
    // Back to the version the destination has: a change rejected in between is moot.
    if (rejected && !rejected->deletion)
      stale_rejects_.push_back(key_);
    ++tally_.unchanged;
    return;
  }
  bool unchanged_reject = rejected && !rejected->deletion && rejected->hash == hash;
  if (unchanged_reject && !retry_rejects_) {
    // Rejected earlier and unchanged since: not re-sent. Unsynced keys are not in the seen
    // bitmap, so their repeats are caught here and when the change set is written.
    bool repeated = !synced && (!seen_unsynced_.insert(key_).second ||
                                pending_keys_.count(key_) > 0 ||
                                txn.get(st_.changes, key_).has_value());
    if (repeated)
      note_duplicate(key_);
    else
      ++tally_.unchanged_rejected;
    return;
  }
  if (!synced && seen_unsynced_.count(key_) > 0) {
    note_duplicate(key_);
    return;
  }
  change_record change;
  change.kind = synced ? change_kind::changed : change_kind::added;
  change.hash = hash;
  if (synced)
    if (auto kr = decode_key_record(*stored))
      change.dest_id = kr->dest_id;
  change.row.assign(row.data(), row.size());
  if (has_rejects_)
    pending_keys_.insert(key_);
  pending_.push_back({key_, encode(change), synced, false, unchanged_reject});
  pending_bytes_ += key_.size() + pending_.back().value.size();
}

void change_set_builder::flush() {
  if (pending_.empty() && stale_rejects_.empty())
    return;
  // Sorted, grouped inserts: a page is copied once per transaction however many rows land on
  // it, which keeps the write volume near the data volume for models in any key order.
  std::stable_sort(pending_.begin(), pending_.end(),
                   [](const auto& a, const auto& b) { return a.key < b.key; });
  st_.env().write([&](transaction& txn) {
    // May run twice (after a map resize): start from a clean slate each time.
    for (auto& p : pending_)
      p.duplicate = false;
    for (const auto& key : stale_rejects_)
      txn.del(st_.rejects, key);
    for (auto& p : pending_)
      p.duplicate = !txn.insert(st_.changes, p.key, p.value);
  });
  for (const auto& p : pending_) {
    if (p.duplicate) {
      note_duplicate(p.key);
      continue;
    }
    auto& samples = p.synced ? tally_.changed_samples : tally_.added_samples;
    if (samples.size() < samples_)
      samples.push_back(p.key);
    ++(p.synced ? tally_.changed : tally_.added);
    if (p.resent_reject)
      ++tally_.resent_rejected;
  }
  pending_.clear();
  pending_keys_.clear();
  stale_rejects_.clear();
  pending_bytes_ = 0;
}

void change_set_builder::finish() {
  flush();
  st_.env().write([&](transaction& txn) {
    // Writing the change set while scanning the keys database is safe: they are different trees.
    txn.scan(st_.keys, {}, [&](std::string_view key_view, std::string_view value) {
      hash128 h;
      uint64_t slot = 0;
      if (!peek_key_record(value, h, slot))
        return true;
      auto word = slot / 64;
      if (word < seen_.size() && (seen_[word] & (uint64_t{1} << (slot % 64))) != 0)
        return true;
      std::string key(key_view);
      bool refused_delete = false;
      if (auto rejected = txn.get(st_.rejects, key)) {
        auto r = decode_reject_record(*rejected);
        refused_delete = r && r->deletion;
        if (refused_delete && !retry_rejects_) {
          ++tally_.unchanged_rejected;
          return true;
        }
      }
      change_record change;
      change.kind = change_kind::deleted;
      if (auto kr = decode_key_record(value))
        change.dest_id = kr->dest_id;
      txn.put(st_.changes, key, encode(change));
      if (tally_.deleted_samples.size() < samples_)
        tally_.deleted_samples.emplace_back(key);
      ++tally_.deleted;
      if (refused_delete)
        ++tally_.resent_rejected;
      return true;
    });
    if (has_rejects_)
      drop_stale_rejects(txn);
  });
}

void change_set_builder::drop_stale_rejects(transaction& txn) {
  // A record rejected before it was ever synced, whose row has left the model, has nothing
  // left to retry: forget it, or `rejects` would grow without end.
  std::vector<std::string> stale;
  txn.scan(st_.rejects, {}, [&](std::string_view key, std::string_view value) {
    auto r = decode_reject_record(value);
    std::string k(key);
    if (r && !r->deletion && seen_unsynced_.count(k) == 0 && !txn.get(st_.keys, k) &&
        !txn.get(st_.changes, k))
      stale.push_back(std::move(k));
    return true;
  });
  for (const auto& k : stale)
    txn.del(st_.rejects, k);
}

}  // namespace backflow::state
