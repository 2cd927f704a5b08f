// The spans of model rows the last plan found unchanged, by digest, with the slots of their keys:
// the next plan marks their keys as seen instead of keying, mapping and looking up each row.
//
// Invariant: every remembered span's keys are synced, not orphans, free of rejects, and hold
// the hash of the span's row under the span seed. A plan records only spans it proved so, and
// at its end keeps only the spans it used or recorded; apply settles only keys of that plan's
// change set, which no kept span holds. Every other writer of key records (a drift repair, a
// reset, an imported plan) forgets all spans.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "pipelines/diff/span_tag.hpp"
#include "state/sync_state.hpp"

namespace backflow::state {

/// The digests of the spans `st` remembers, sorted by hash128_less.
std::vector<hash128> remembered_spans(const sync_state& st);

/// The slots of a remembered span's keys, in row order; nullopt when it is not remembered.
/// Throws state_damaged when its entry cannot be read.
std::optional<std::vector<uint64_t>> span_slots(const sync_state& st, const transaction& txn,
                                                const hash128& digest);

/// Remembers a span whose rows all proved unchanged, by the slots of their keys in row order.
void remember_span(const sync_state& st, transaction& txn, const hash128& digest,
                   const std::vector<uint64_t>& slots);

/// Forgets every span not in `keep` (sorted by hash128_less); returns how many went.
size_t keep_only_spans(const sync_state& st, transaction& txn, const std::vector<hash128>& keep);

/// Forgets every span (a writer of key records other than a plan's own apply).
void forget_spans(const sync_state& st, transaction& txn);

}  // namespace backflow::state
