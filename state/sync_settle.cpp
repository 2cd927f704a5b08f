// How settled records change a sync's state: hashes and ids committed, slots freed, rejects kept
// or cleared, orphans marked, and the count of keys holding each identity (see sync_state.hpp).
#include "state/sync_state.hpp"

#include <cstring>
#include <map>

#define XXH_INLINE_ALL
#include <xxhash.h>

#include "state/outcome_log.hpp"

namespace backflow::state {

void sync_state::settle(transaction& txn, const std::vector<settled_record>& records,
                        uint64_t run_id) const {
  if (logs_outcomes)
    log_outcomes(txn, *this, records, run_id);  // before the changes they read are gone
  for (const auto& r : records) {
    auto sk = storage_key(r.key);
    std::string long_key = is_long_key(r.key) ? r.key : std::string();
    std::optional<key_record> existing;
    if (auto bytes = keys_.get(txn, sk)) {
      existing = decode_key_record(*bytes);
      if (!existing)
        damaged("keys", sk);
    }
    auto forget_key = [&] {
      slots_.put(txn, u64_key(existing->slot), {});
      keys_.del(txn, sk);
      add_count(txn, counter::keys, -1);
      if (existing->orphan)
        add_count(txn, counter::orphans, -1);
      count_identity(txn, existing->dest_id, -1);
    };
    auto clear_reject = [&] {
      if (rejects_.del(txn, sk))
        add_count(txn, counter::rejects, -1);
    };
    switch (r.how) {
      case settlement::delivered:
        if (r.change == change_kind::deleted) {
          if (existing)
            forget_key();
        } else {
          key_record kr;
          kr.hash = r.hash;
          kr.slot = existing ? existing->slot : allocate_slot(txn);
          kr.dest_id = !r.dest_id.empty() ? r.dest_id : existing ? existing->dest_id : std::string();
          kr.long_key = long_key;
          keys_.put(txn, sk, encode(kr));
          auto before = existing ? existing->dest_id : std::string();
          if (before != kr.dest_id) {
            count_identity(txn, before, -1);
            count_identity(txn, kr.dest_id, 1);
          }
          if (!existing)
            add_count(txn, counter::keys, 1);
          else if (existing->orphan)
            add_count(txn, counter::orphans, -1);
        }
        clear_reject();
        break;
      case settlement::skipped:  // the destination keeps the version it has
        clear_reject();
        break;
      case settlement::forgotten:
        if (existing && !existing->orphan) {
          existing->orphan = true;
          keys_.put(txn, sk, encode(*existing));
          add_count(txn, counter::orphans, 1);
        }
        clear_reject();
        break;
      case settlement::retired: {
        // The old identity is gone from the destination; the change stays to add the new one.
        if (existing) {
          count_identity(txn, existing->dest_id, -1);
          existing->hash = hash128{};
          existing->dest_id.clear();
          keys_.put(txn, sk, encode(*existing));
        }
        if (auto change = load_change(txn, r.key)) {
          change->dest_id.clear();
          change->identity_moved = false;  // only its new identity is left to add
          change->keep_identity = false;
          changes_.put(txn, sk, encode(*change));
        }
        continue;
      }
      case settlement::rejected: {
        reject_record rr;
        if (auto prior = rejects_.get(txn, sk)) {
          auto decoded = decode_reject_record(*prior);
          if (!decoded)
            damaged("rejects", sk);
          rr.attempts = decoded->attempts;
        } else {
          add_count(txn, counter::rejects, 1);
        }
        rr.hash = r.hash;
        rr.deletion = r.change == change_kind::deleted;
        rr.reason = redact_.text(r.reason);
        rr.run_id = run_id;
        rr.attempts += 1;
        rr.long_key = long_key;
        rejects_.put(txn, sk, encode(rr));
        break;
      }
    }
    if (changes_.del(txn, sk))
      add_count(txn, counter::changes, -1);
  }
}

std::string identity_digest(std::string_view identity) {
  auto h = XXH3_128bits(identity.data(), identity.size());
  std::string out(16, '\0');
  std::memcpy(out.data(), &h.low64, 8);
  std::memcpy(out.data() + 8, &h.high64, 8);
  return out;
}

bool sync_state::has_identity_counts(transaction& txn) const {
  bool any = false;
  identities_.scan(txn, {}, [&](std::string_view, std::string_view) {
    any = true;
    return false;
  });
  return any;
}

uint64_t sync_state::identity_holders(transaction& txn, std::string_view identity) const {
  auto v = identities_.get(txn, identity_digest(identity));
  return v ? u64_from_key(*v) : 0;
}

void sync_state::count_identity(transaction& txn, std::string_view identity, int64_t delta) const {
  if (!tracks_identities || identity.empty())
    return;
  auto key = identity_digest(identity);
  auto v = identities_.get(txn, key);
  auto now = static_cast<int64_t>(v ? u64_from_key(*v) : 0) + delta;
  if (now <= 0)
    identities_.del(txn, key);
  else
    identities_.put(txn, key, u64_key(static_cast<uint64_t>(now)));
}

void sync_state::rebuild_identity_counts(transaction& txn) const {
  identities_.clear(txn);
  std::map<std::string, uint64_t> counts;
  keys_.scan(txn, {}, [&](std::string_view k, std::string_view v) {
    auto kr = decode_key_record(v);
    if (!kr)
      damaged("keys", k);
    if (!kr->dest_id.empty())
      ++counts[identity_digest(kr->dest_id)];
    return true;
  });
  for (const auto& [digest, n] : counts)
    identities_.put(txn, digest, u64_key(n));
}

}  // namespace backflow::state
