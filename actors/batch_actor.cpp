// Groups mapped records into requests (or jobs) of the destination's size (see apply_actors.hpp).
#include "actors/apply_actors.hpp"

#include <map>

namespace backflow {
namespace {

constexpr size_t outbox_low_water = 2;  ///< take more input while fewer requests wait than this

/// The batches of one group (an op, or every op when the destination mixes them).
struct group {
  delivery_batch open;
  uint32_t sequence = 0;  ///< batches closed so far
  uint64_t records = 0;   ///< records put into batches so far
  uint64_t expected = 0;  ///< records the run expects for this group
  size_t size = 1;        ///< records per batch (or per job)
  bool as_job = false;
};

struct batch_state {
  std::shared_ptr<const destination> dest;
  deliver_actor downstream;
  map_actor upstream;
  uint32_t credit = 0;
  std::string nonce;
  uint64_t next_batch = 0;
  op_counts expected;
  std::map<int, group> groups;
  std::deque<delivery_batch> outbox;
  uint32_t owed_upstream = 0;
  bool upstream_done = false;
  bool ended = false;
};

group& group_for(batch_state& st, delivery_op op) {
  bool mixed = st.dest->mixes_ops();
  int key = mixed ? -1 : static_cast<int>(op);
  auto [it, fresh] = st.groups.try_emplace(key);
  auto& g = it->second;
  if (fresh) {
    if (mixed)
      for (const auto& [op_key, n] : st.expected)
        g.expected += n;
    else if (auto e = st.expected.find(key); e != st.expected.end())
      g.expected = e->second;
    auto job = st.dest->job_size(op, g.expected);
    g.as_job = job > 0;
    g.size = std::max<size_t>(1, g.as_job ? job : st.dest->batch_size(op));
  }
  return g;
}

void close_batch(batch_state& st, group& g, bool final) {
  auto& b = g.open;
  b.batch_id = st.nonce + "-" + std::to_string(++st.next_batch);
  b.session = st.nonce + "/" + std::to_string(static_cast<int>(b.records.front().op));
  b.sequence = ++g.sequence;
  b.total = std::max(g.expected, g.records);
  b.last = final || (g.expected > 0 && g.records >= g.expected);
  b.as_job = g.as_job;
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
                                      deliver_actor downstream, uint32_t window, std::string nonce,
                                      op_counts expected) {
  auto& st = self->state;
  st.dest = std::move(dest);
  st.downstream = std::move(downstream);
  st.credit = window;
  st.nonce = std::move(nonce);
  st.expected = std::move(expected);
  return {
    [=](record_batch& in) {
      auto& st = self->state;
      if (!st.upstream)
        st.upstream = caf::actor_cast<map_actor>(self->current_sender());
      for (auto& rec : in.records) {
        auto& g = group_for(st, rec.op);
        if (g.open.records.empty())
          g.open.field_names = in.field_names;
        g.open.records.push_back(std::move(rec));
        ++g.records;
        if (g.open.records.size() >= g.size)
          close_batch(st, g, false);
      }
      ++st.owed_upstream;
      flush(self);
    },
    [=](end_atom) {
      auto& st = self->state;
      st.upstream_done = true;
      for (auto& [key, g] : st.groups)
        if (!g.open.records.empty())
          close_batch(st, g, true);
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
                          deliver_actor downstream, uint32_t window, std::string nonce,
                          op_counts expected) {
  return sys.spawn(batch_impl, std::move(dest), std::move(downstream), window, std::move(nonce),
                   std::move(expected));
}

}  // namespace backflow
