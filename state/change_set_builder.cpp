// The diff (see change_set_builder.hpp).
#include "state/change_set_builder.hpp"

#include <algorithm>

#include "state/span_memo.hpp"

namespace backflow::state {
namespace {


/// Changes written per transaction: bounded, so the buffer and the transaction stay small.
constexpr size_t flush_rows = 16'384;
constexpr size_t flush_bytes = size_t{8} << 20;

/// Eight bytes of `key` from `from` (zeros after its end) as a big-endian number: they order as
/// the bytes do.
uint64_t key_word(std::string_view key, size_t from) {
  uint64_t v = 0;
  for (size_t i = from; i < from + 8; ++i)
    v = (v << 8) | (i < key.size() ? static_cast<uint8_t>(key[i]) : 0);
  return v;
}

}  // namespace

change_set_builder::change_set_builder(const sync_state& st, uint64_t run_id, uint64_t fingerprint,
                                       diff_options options)
    : st_(st), fingerprint_(fingerprint), options_(options) {
  st_.env().write([&](transaction& txn) {
    st_.changes().clear(txn);
    st_.set_count(txn, counter::changes, 0);
    st_.clear_jobs(txn);  // jobs belong to the change set they were submitted for
    auto plan = st_.load_plan(txn);
    plan.state = plan_record::status::planning;
    plan.run_id = run_id;
    plan.fingerprint = fingerprint;
    st_.store_plan(txn, plan);
    slot_limit_ = st_.next_slot(txn);
    seen_.assign((slot_limit_ + 63) / 64, 0);
    auto sizes = st_.count(txn);
    tally_.stored_before = sizes.keys - std::min(sizes.keys, sizes.orphans);
    has_rejects_ = sizes.rejects > 0;
    has_orphans_ = sizes.orphans > 0;
    if (options_.track_identities && sizes.keys > 0 && !st_.has_identity_counts(txn))
      st_.rebuild_identity_counts(txn);  // a state from before identities were counted
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
    tally_.duplicate_samples.push_back(key);
}

void change_set_builder::null_key() { null_key(tally_.extracted + 1); }

void change_set_builder::null_key(uint64_t row) {
  ++tally_.extracted;
  ++tally_.null_keys;
  if (tally_.null_key_rows.size() < max_bad_key_samples)
    tally_.null_key_rows.push_back(row);
}

void change_set_builder::add(const planned_rows& rows) {
  // In key order, through cursors: a model in no key order would otherwise touch a random leaf
  // page per row (a page fault each when the map's pages were let go or the cache is cold);
  // sorted, each leaf page is touched once per batch and most lookups skip the descent. The
  // order within a batch changes no outcome (the diff of a row depends on its key alone).
  // Sorted on the keys' first 16 bytes as numbers (no memory but the array's), the whole keys
  // compared only when those are equal.
  order_.resize(rows.size());
  for (uint32_t i = 0; i < order_.size(); ++i)
    order_[i] = {key_word(rows.keys[i], 0), key_word(rows.keys[i], 8), i};
  std::sort(order_.begin(), order_.end(), [&](const sort_entry& a, const sort_entry& b) {
    if (a.head != b.head)
      return a.head < b.head;
    if (a.next != b.next)
      return a.next < b.next;
    return rows.keys[a.row] < rows.keys[b.row];
  });
  // Lookups in a read transaction: an unchanged re-run never takes the writer lock.
  clean_slots_.assign(rows.size(), no_slot);
  st_.env().read([&](transaction& txn) {
    lookups cursors{st_.keys().cursor(txn), st_.rejects().cursor(txn)};
    std::string key;
    for (const auto& entry : order_) {
      auto i = entry.row;
      key.assign(rows.keys[i]);
      auto identity = i < rows.identities.size() ? rows.identities[i] : std::string_view();
      classify(txn, cursors, key, rows.hashes[i], rows.payloads[i], rows.mapping_failed[i] != 0,
               identity, clean_slots_[i]);
    }
  });
  record_spans(rows);
  if (pending_.size() >= flush_rows || pending_bytes_ >= flush_bytes ||
      pending_span_bytes_ >= flush_bytes)
    flush();
}

void change_set_builder::classify(transaction& txn, lookups& cursors, const std::string& key,
                                  const hash128& hash, std::string_view payload,
                                  bool mapping_failed, std::string_view identity,
                                  uint64_t& clean_slot) {
  ++tally_.extracted;
  storage_key(key, storage_key_);
  hash128 stored_hash;
  uint64_t slot = 0;
  bool orphan = false;
  auto stored = st_.keys().get(cursors.keys, storage_key_);
  if (stored && (!peek_key_record(*stored, stored_hash, slot, orphan) ||
                 slot >= slot_limit_))
    st_.damaged("keys", storage_key_);
  bool synced = stored.has_value();
  if (synced && mark_seen(slot)) {
    note_duplicate(key);
    return;
  }
  if (synced && orphan)
    revived_.push_back(storage_key_);  // back in the model: the destination has its record
  std::optional<reject_record> rejected;
  if (has_rejects_)
    if (auto bytes = st_.rejects().get(cursors.rejects, storage_key_)) {
      rejected = decode_reject_record(*bytes);
      if (!rejected)
        st_.damaged("rejects", storage_key_);
    }
  // A delete refused earlier is moot once the row is back.
  if (rejected && rejected->deletion)
    stale_rejects_.push_back(storage_key_);
  if (synced && stored_hash == hash) {
    // Back to the version the destination has: a change rejected in between is moot.
    if (rejected && !rejected->deletion)
      stale_rejects_.push_back(storage_key_);
    else if (!rejected && !orphan && !mapping_failed)
      clean_slot = slot;
    ++tally_.unchanged;
    return;
  }
  if (synced && !options_.plan_changes) {
    ++tally_.not_updated;  // insert mode: the destination keeps its version
    return;
  }
  bool unchanged_reject = rejected && !rejected->deletion && rejected->hash == hash;
  if (unchanged_reject && !retry_rejects_) {
    // Rejected earlier and unchanged since: not re-sent. Unsynced keys are not in the seen
    // bitmap, so their repeats are caught here and when the change set is written.
    bool repeated = !synced && (!seen_unsynced_.insert(key).second ||
                                pending_keys_.count(key) > 0 ||
                                st_.changes().get(txn, storage_key_).has_value());
    if (repeated)
      note_duplicate(key);
    else
      ++tally_.unchanged_rejected;
    return;
  }
  if (!synced && seen_unsynced_.count(key) > 0) {
    note_duplicate(key);
    return;
  }
  change_record change;
  change.kind = synced ? change_kind::changed : change_kind::added;
  change.hash = hash;
  if (synced) {
    auto kr = decode_key_record(*stored);
    if (!kr)
      st_.damaged("keys", storage_key_);
    change.dest_id = kr->dest_id;
  }
  change.payload.assign(payload.data(), payload.size());
  change.mapping_failed = mapping_failed;
  if (options_.track_identities && !mapping_failed && !identity.empty() &&
      identity != change.dest_id) {
    ++arriving_[identity_digest(identity)];
    if (!change.dest_id.empty()) {
      change.identity_moved = true;
      ++leaving_[identity_digest(change.dest_id)];
    }
  }
  if (is_long_key(key))
    change.long_key = key;
  if (has_rejects_)
    pending_keys_.insert(key);
  pending_.push_back({key, storage_key_, encode(change), synced, false, unchanged_reject});
  pending_bytes_ += storage_key_.size() + pending_.back().value.size();
}

void change_set_builder::flush() {
  if (pending_.empty() && stale_rejects_.empty() && revived_.empty() && pending_spans_.empty())
    return;
  // Sorted, grouped inserts: a page is copied once per transaction however many rows land on
  // it, which keeps the write volume near the data volume for models in any key order.
  std::stable_sort(pending_.begin(), pending_.end(),
                   [](const auto& a, const auto& b) { return a.storage_key < b.storage_key; });
  st_.env().write([&](transaction& txn) {
    // May run twice (after a map resize): start from a clean slate each time.
    for (auto& p : pending_)
      p.duplicate = false;
    for (const auto& key : stale_rejects_)
      if (st_.rejects().del(txn, key))
        st_.add_count(txn, counter::rejects, -1);
    for (const auto& key : revived_) {
      auto bytes = st_.keys().get(txn, key);
      auto kr = bytes ? decode_key_record(*bytes) : std::nullopt;
      if (!kr || !kr->orphan)
        continue;
      kr->orphan = false;
      st_.keys().put(txn, key, encode(*kr));
      st_.add_count(txn, counter::orphans, -1);
    }
    int64_t inserted = 0;
    for (auto& p : pending_) {
      p.duplicate = !st_.changes().insert(txn, p.storage_key, p.value);
      inserted += p.duplicate ? 0 : 1;
    }
    st_.add_count(txn, counter::changes, inserted);
    for (const auto& [digest, slots] : pending_spans_)
      remember_span(st_, txn, digest, slots);
  });
  for (const auto& p : pending_) {
    if (p.duplicate) {
      note_duplicate(p.key);
      continue;
    }
    auto& samples = p.synced ? tally_.changed_samples : tally_.added_samples;
    if (samples.size() < options_.samples_per_kind)
      samples.push_back(p.key);
    ++(p.synced ? tally_.changed : tally_.added);
    if (p.resent_reject)
      ++tally_.resent_rejected;
  }
  pending_.clear();
  pending_keys_.clear();
  stale_rejects_.clear();
  revived_.clear();
  pending_bytes_ = 0;
  pending_spans_.clear();
  pending_span_bytes_ = 0;
}

void change_set_builder::plan_delete(transaction& txn, std::string_view storage_key,
                                     const key_record& stored, bool refused_delete) {
  change_record change;
  change.kind = change_kind::deleted;
  change.dest_id = stored.dest_id;
  change.long_key = stored.long_key;
  if (st_.changes().insert(txn, storage_key, encode(change)))
    st_.add_count(txn, counter::changes, 1);
  if (options_.track_identities && !change.dest_id.empty())
    ++leaving_[identity_digest(change.dest_id)];
  if (tally_.deleted_samples.size() < options_.samples_per_kind)
    tally_.deleted_samples.push_back(sync_state::canonical(storage_key, stored.long_key));
  ++tally_.deleted;
  if (refused_delete)
    ++tally_.resent_rejected;
}

void change_set_builder::mark_present(const packed_rows& keys) {
  st_.env().read([&](transaction& txn) {
    std::string key;
    for (size_t i = 0; i < keys.size(); ++i) {
      key.assign(keys[i]);
      ++tally_.key_scanned;
      storage_key_ = storage_key(key);
      auto stored = st_.keys().get(txn, storage_key_);
      if (stored) {
        hash128 hash;
        uint64_t slot = 0;
        bool orphan = false;
        if (!peek_key_record(*stored, hash, slot, orphan) || slot >= slot_limit_)
          st_.damaged("keys", storage_key_);
        mark_seen(slot);
        if (orphan)
          revived_.push_back(storage_key_);  // back in the model, as classify() says
      }
      if (!has_rejects_)
        continue;
      if (auto bytes = st_.rejects().get(txn, storage_key_)) {
        auto rejected = decode_reject_record(*bytes);
        if (!rejected)
          st_.damaged("rejects", storage_key_);
        if (rejected->deletion)
          stale_rejects_.push_back(storage_key_);  // a refused delete whose row is back
        else if (!stored)
          seen_unsynced_.insert(key);  // still in the model: its reject is kept
      }
    }
  });
  if (revived_.size() + stale_rejects_.size() >= flush_rows)
    flush();
}

uint64_t change_set_builder::seen_count() const {
  uint64_t n = 0;
  for (auto word : seen_)
    n += static_cast<uint64_t>(__builtin_popcountll(word));
  return n;
}

bool change_set_builder::holds_every_synced_key(uint64_t model_rows) {
  if (has_rejects_ || has_orphans_ || tally_.null_keys > 0 || tally_.duplicate_keys > 0)
    return false;
  uint64_t seen_synced = seen_count();
  // The window's other rows are new keys; the rest of the model must be synced keys, all of
  // them: model = (new keys) + (synced keys) exactly means no synced key is gone.
  uint64_t new_keys = tally_.extracted - std::min(tally_.extracted, seen_synced);
  if (model_rows != tally_.stored_before + new_keys)
    return false;
  tally_.key_scanned = model_rows;
  options_.plan_deletes = false;  // nothing to delete: finish() skips the scan for deletes
  return true;
}

void change_set_builder::finish() {
  flush();
  // Spans this plan neither used nor proved may hold keys its change set settles: forget them.
  std::sort(used_spans_.begin(), used_spans_.end(), hash128_less{});
  st_.env().write([&](transaction& txn) { keep_only_spans(st_, txn, used_spans_); });
  if (options_.plan_deletes && !has_rejects_ && leaving_.empty()) {
    // Every synced key came back (each holds its own slot, and as many slots were seen as
    // there are keys): nothing to delete, and no need to walk the keys.
    bool all_seen = false;
    st_.env().read([&](transaction& txn) { all_seen = seen_count() == st_.count(txn).keys; });
    if (all_seen)
      return;
  }
  if (!options_.plan_deletes) {
    // Nothing tells a deleted row from one that did not move: no delete, no reject dropped.
    if (!leaving_.empty())
      st_.env().write([&](transaction& txn) { keep_held_identities(txn); });
    return;
  }
  st_.env().write([&](transaction& txn) {
    uint64_t keys = 0;
    uint64_t orphans = 0;
    // Writing the change set while scanning the keys database is safe: the scan holds a
    // cursor on the keys, the writes go to the changes.
    st_.keys().scan(txn, {}, [&](std::string_view key_view, std::string_view value) {
      hash128 h;
      uint64_t slot = 0;
      bool orphan = false;
      if (!peek_key_record(value, h, slot, orphan) || slot >= slot_limit_)
        st_.damaged("keys", key_view);
      ++keys;
      orphans += orphan ? 1 : 0;
      auto word = slot / 64;
      if (word < seen_.size() && (seen_[word] & (uint64_t{1} << (slot % 64))) != 0)
        return true;
      if (orphan && !options_.removes_orphans)
        return true;  // left the model earlier; this mode leaves its record alone
      bool refused_delete = false;
      if (auto rejected = st_.rejects().get(txn, key_view)) {
        auto r = decode_reject_record(*rejected);
        if (!r)
          st_.damaged("rejects", key_view);
        refused_delete = r->deletion;
        if (refused_delete && !retry_rejects_) {
          ++tally_.unchanged_rejected;
          return true;
        }
      }
      auto stored = decode_key_record(value);
      if (!stored)
        st_.damaged("keys", key_view);
      plan_delete(txn, key_view, *stored, refused_delete);
      return true;
    });
    // The counters are kept with every write: a scan that finds another number of keys walked
    // a damaged tree (a branch page pointing the wrong way hides whole leaves from lookups).
    auto counted = st_.count(txn);
    if (counted.keys != keys || counted.orphans != orphans)
      throw state_damaged("sync \"" + st_.name() + "\": its keys table holds " +
                          std::to_string(keys) + " entries (" + std::to_string(orphans) +
                          " orphans) where its counters say " + std::to_string(counted.keys) +
                          " (" + std::to_string(counted.orphans) + ")");
    if (has_rejects_)
      drop_stale_rejects(txn);
    if (!leaving_.empty())
      keep_held_identities(txn);
  });
}

void change_set_builder::keep_held_identities(transaction& txn) {
  // After this run an identity is held by the keys holding it now, less those that leave it,
  // plus those that take it: removing it while any remain would take their member out too.
  auto held_after = [&](const std::string& identity) {
    auto digest = identity_digest(identity);
    auto leaving = leaving_.find(digest);
    auto arriving = arriving_.find(digest);
    return static_cast<int64_t>(st_.identity_holders(txn, identity)) -
           (leaving == leaving_.end() ? 0 : leaving->second) +
           (arriving == arriving_.end() ? 0 : arriving->second);
  };
  std::vector<std::pair<std::string, change_record>> kept;
  st_.changes().scan(txn, {}, [&](std::string_view key, std::string_view value) {
    auto change = decode_change_record(value);
    if (!change)
      st_.damaged("changes", key);
    bool leaves = change->kind == change_kind::deleted || change->identity_moved;
    if (leaves && !change->dest_id.empty() && held_after(change->dest_id) > 0) {
      change->keep_identity = true;
      kept.emplace_back(std::string(key), std::move(*change));
    }
    return true;
  });
  for (const auto& [key, change] : kept)
    st_.changes().put(txn, key, encode(change));
}

void change_set_builder::drop_stale_rejects(transaction& txn) {
  // A record rejected before it was ever synced, whose row has left the model, has nothing
  // left to retry: forget it, or `rejects` would grow without end.
  std::vector<std::string> stale;
  st_.rejects().scan(txn, {}, [&](std::string_view key, std::string_view value) {
    auto r = decode_reject_record(value);
    if (!r)
      st_.damaged("rejects", key);
    auto canonical = sync_state::canonical(key, r->long_key);
    if (!r->deletion && seen_unsynced_.count(canonical) == 0 && !st_.keys().get(txn, key) &&
        !st_.changes().get(txn, key))
      stale.emplace_back(key);
    return true;
  });
  for (const auto& k : stale)
    if (st_.rejects().del(txn, k))
      st_.add_count(txn, counter::rejects, -1);
}

}  // namespace backflow::state
