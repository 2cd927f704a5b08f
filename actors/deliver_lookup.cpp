// Creates of unknown outcome (insert mode): looked up before they are created again, or reported.
#include "actors/deliver_state.hpp"

namespace backflow::deliver {

bool creates(const delivery_batch& batch) {
  return !batch.records.empty() && batch.records.front().op == delivery_op::insert;
}

/// Creates whose earlier attempt may have landed, at a destination that cannot look them up:
/// reported as rejected (visible in `backflow rejects`), never created a second time.
void reject_unknown_outcome(self_ptr self, work_item item, const std::string& why) {
  std::vector<state::settled_record> settled;
  for (const auto& r : item.batch.records)
    settled.push_back(settled_from(
        r, state::settlement::rejected, {},
        "outcome unknown: an earlier create may have landed (" + why +
            "), so it was not sent again; check the destination, then `backflow retry`"));
  self->state.log.warn("Not re-sending creates of unknown outcome: batch={} records={} reason=\"{}\"",
                        item.batch.batch_id, item.batch.records.size(), why);
  settle(self, item.origin, std::move(settled));
}

/// The answer to a lookup of unsure creates: found ones are delivered, the rest created now.
void on_lookup_response(self_ptr self, work_item item, const http_response& response) {
  auto& st = self->state;
  item.looking_up = false;
  if (response.transport_failed()) {
    ++item.attempt;
    retry_later(self, std::move(item), "transport (looking records up): " + response.transport_error,
                {}, false);
    return;
  }
  auto verdict = guarded("a lookup answer",
                         [&] { return st.s.dest->interpret_lookup(item.batch, response); });
  using kind = batch_verdict::kind;
  if (verdict.what == kind::retry || verdict.what == kind::fatal) {
    handle_verdict(self, std::move(item), std::move(verdict), response.status);  // stays unsure
    return;
  }
  if (verdict.what != kind::per_record) {
    reject_unknown_outcome(self, std::move(item), "the lookup failed: " + verdict.reason);
    return;
  }
  std::vector<state::settled_record> found;
  auto create = part_of(item);  // not found: never created, so safe to create now
  auto& records = item.batch.records;
  for (size_t i = 0; i < records.size(); ++i) {
    if (i < verdict.outcomes.size() && verdict.outcomes[i].what == record_outcome::kind::delivered)
      found.push_back(settled_from(records[i], state::settlement::delivered,
                                   verdict.outcomes[i].dest_id, {}));
    else
      create.batch.records.push_back(std::move(records[i]));
  }
  destination_notes notes;
  notes.counters["creates_looked_up"] = records.size();
  notes.counters["creates_found_existing"] = found.size();
  st.report.notes.merge(notes);
  if (!create.batch.records.empty() && !found.empty())
    ++st.open_parts[item.origin];
  if (!create.batch.records.empty())
    st.ready.push_front(std::move(create));
  if (!found.empty())
    settle(self, item.origin, std::move(found));
}

}  // namespace backflow::deliver
