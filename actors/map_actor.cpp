// Turns changes into records to send, settling locally what is not sent (see apply_actors.hpp).
#include "actors/apply_actors.hpp"

#include "actors/change_routing.hpp"

namespace backflow {
namespace {

struct map_state {
  route_context settings;
  batch_actor downstream;
  commit_actor commit;
  change_reader_actor upstream;
  uint32_t credit = 0;           ///< batches the batcher still accepts
  std::deque<record_batch> outbox;
  uint32_t owed_upstream = 0;    ///< credits to return once the outbox and commits drain
  uint32_t pending_commits = 0;
  bool upstream_done = false;
  bool ended = false;
};

void flush(map_actor::stateful_pointer<map_state> self) {
  auto& st = self->state;
  while (st.credit > 0 && !st.outbox.empty()) {
    self->send(st.downstream, std::move(st.outbox.front()));
    st.outbox.pop_front();
    --st.credit;
  }
  if (!st.outbox.empty() || st.pending_commits > 0)
    return;
  if (st.owed_upstream > 0 && st.upstream) {
    self->send(st.upstream, credit_atom_v, st.owed_upstream);
    st.owed_upstream = 0;
  }
  if (st.upstream_done && !st.ended) {
    st.ended = true;
    self->send(st.downstream, end_atom_v);
    self->quit();
  }
}

/// Splits a change batch into records to send and settlements that need no request.
void route(map_state& st, change_batch& in, record_batch& out, settle_batch& settled) {
  for (auto& pc : in.changes)
    map_change(st.settings, std::move(pc), out.records, settled.records);
}

map_actor::behavior_type map_impl(map_actor::stateful_pointer<map_state> self,
                                  route_context settings, batch_actor downstream, uint32_t window,
                                  commit_actor commit) {
  auto& st = self->state;
  st.settings = std::move(settings);
  st.downstream = std::move(downstream);
  st.credit = window;
  st.commit = std::move(commit);
  return {
    [=](change_batch& in) {
      auto& st = self->state;
      if (!st.upstream)
        st.upstream = caf::actor_cast<change_reader_actor>(self->current_sender());
      record_batch out;
      out.field_names = st.settings.fields;
      settle_batch settled;
      route(st, in, out, settled);
      ++st.owed_upstream;
      if (!settled.records.empty()) {
        ++st.pending_commits;
        self->request(st.commit, caf::infinite, std::move(settled))
            .then(
                [=](const outcome_counts&) {
                  --self->state.pending_commits;
                  flush(self);
                },
                [=](const caf::error& err) {
                  // The state could not be written: stop here; the coordinator reports it.
                  self->quit(err);
                });
      }
      if (!out.records.empty())
        st.outbox.push_back(std::move(out));
      flush(self);
    },
    [=](end_atom) {
      self->state.upstream_done = true;
      flush(self);
    },
    [=](credit_atom, uint32_t n) {
      self->state.credit += n;
      flush(self);
    },
  };
}

}  // namespace

map_actor spawn_map(caf::actor_system& sys, route_context settings, batch_actor downstream,
                    uint32_t window, commit_actor commit) {
  return sys.spawn(map_impl, std::move(settings), std::move(downstream), window, std::move(commit));
}

}  // namespace backflow
