// The diff's unchanged spans: recording the spans whose rows all proved unchanged, and marking
// the keys of the spans the state remembers (see change_set_builder.hpp and span_memo.hpp).
#include "state/change_set_builder.hpp"

#include <algorithm>

#include "state/span_memo.hpp"

namespace backflow::state {
void change_set_builder::record_spans(const planned_rows& rows) {
  size_t at = 0;
  for (const auto& span : rows.spans) {
    size_t end = std::min(at + span.rows, rows.size());
    bool clean = span.recordable && span.rows > 0 && end == at + span.rows;
    for (size_t i = at; clean && i < end; ++i)
      clean = clean_slots_[i] != no_slot;
    if (clean) {
      pending_spans_.emplace_back(span.digest, std::vector<uint64_t>(clean_slots_.begin() + at,
                                                                     clean_slots_.begin() + end));
      pending_span_bytes_ += 24 + 2 * span.rows;
      used_spans_.push_back(span.digest);
    }
    at = end;
  }
}

void change_set_builder::add_known(const std::vector<known_span>& spans) {
  if (spans.empty())
    return;
  st_.env().read([&](transaction& txn) {
    for (const auto& span : spans) {
      auto slots = span_slots(st_, txn, span.digest);
      if (!slots || slots->size() != span.rows)
        throw state_damaged("sync \"" + st_.name() +
                            "\": a span of unchanged rows the plan started from is gone");
      for (auto slot : *slots) {
        if (slot >= slot_limit_)
          throw state_damaged("sync \"" + st_.name() +
                              "\": a remembered span names a slot no key holds");
        ++tally_.extracted;
        if (mark_seen(slot)) {  // the key came earlier in this model too
          if (tally_.duplicate_samples.size() < max_bad_key_samples)
            note_duplicate(key_in_slot(txn, slot));
          else
            ++tally_.duplicate_keys;
          continue;
        }
        ++tally_.unchanged;
      }
      used_spans_.push_back(span.digest);
    }
  });
}

std::string change_set_builder::key_in_slot(transaction& txn, uint64_t slot) const {
  std::string found = "(the key of slot " + std::to_string(slot) + ")";
  st_.keys().scan(txn, {}, [&](std::string_view key, std::string_view value) {
    hash128 h;
    uint64_t s = 0;
    bool orphan = false;
    if (!peek_key_record(value, h, s, orphan) || s != slot)
      return true;
    auto record = decode_key_record(value);
    found = sync_state::canonical(key, record ? record->long_key : std::string());
    return false;
  });
  return found;
}

}  // namespace backflow::state
