// Groups mapped records into requests of the destination's batch size (see apply_actors.hpp).
#include "actors/apply_actors.hpp"

#include <map>

namespace backflow {
namespace {

constexpr size_t outbox_low_water = 2;  ///< take more input while fewer requests wait than this

struct batch_state {
  std::shared_ptr<const destination> dest;
  deliver_actor downstream;
  map_actor upstream;
  uint32_t credit = 0;
  uint64_t run_id = 0;
  uint64_t next_batch = 0;
  std::map<int, delivery_batch> open;  ///< per op (one shared group when ops may mix)
  std::deque<delivery_batch> outbox;
  uint32_t owed_upstream = 0;
  bool upstream_done = false;
  bool ended = false;
};

void close_batch(batch_state& st, delivery_batch& b) {
  b.batch_id = "r" + std::to_string(st.run_id) + "-b" + std::to_string(++st.next_batch);
  st.outbox.push_back(std::move(b));
  b = delivery_batch{};
}

void flush(batch_actor::stateful_pointer<batch_state> self) {
  auto& st = self->state;
  while (st.credit > 0 && !st.outbox.empty()) {
    self->send(st.downstream, std::move(st.outbox.front()));
    st.outbox.pop_front();
    --st.credit;
  }
  if (st.outbox.size() < outbox_low_water && st.owed_upstream > 0 && st.upstream) {
    self->send(st.upstream, credit_atom_v, st.owed_upstream);
    st.owed_upstream = 0;
  }
  if (st.upstream_done && st.outbox.empty() && !st.ended) {
    st.ended = true;
    self->send(st.downstream, end_atom_v);
    self->quit();
  }
}

batch_actor::behavior_type batch_impl(batch_actor::stateful_pointer<batch_state> self,
                                      std::shared_ptr<const destination> dest,
                                      deliver_actor downstream, uint32_t window, uint64_t run_id) {
  auto& st = self->state;
  st.dest = std::move(dest);
  st.downstream = std::move(downstream);
  st.credit = window;
  st.run_id = run_id;
  return {
    [=](record_batch& in) {
      auto& st = self->state;
      if (!st.upstream)
        st.upstream = caf::actor_cast<map_actor>(self->current_sender());
      for (auto& rec : in.records) {
        auto op = rec.op;
        int group = st.dest->mixes_ops() ? -1 : static_cast<int>(op);
        auto& b = st.open[group];
        if (b.records.empty())
          b.field_names = in.field_names;
        b.records.push_back(std::move(rec));
        if (b.records.size() >= std::max<size_t>(1, st.dest->batch_size(op)))
          close_batch(st, b);
      }
      ++st.owed_upstream;
      flush(self);
    },
    [=](end_atom) {
      auto& st = self->state;
      st.upstream_done = true;
      for (auto& [group, b] : st.open)
        if (!b.records.empty())
          close_batch(st, b);
      flush(self);
    },
    [=](credit_atom, uint32_t n) {
      self->state.credit += n;
      flush(self);
    },
  };
}

}  // namespace

batch_actor spawn_batcher(caf::actor_system& sys, std::shared_ptr<const destination> dest,
                          deliver_actor downstream, uint32_t window, uint64_t run_id) {
  return sys.spawn(batch_impl, std::move(dest), std::move(downstream), window, run_id);
}

}  // namespace backflow
