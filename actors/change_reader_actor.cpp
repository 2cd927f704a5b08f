// Reads the change set back for apply, one batch per credit (see apply_actors.hpp).
#include "actors/apply_actors.hpp"

namespace backflow {
namespace {

struct reader_state {
  std::shared_ptr<state::sync_state> st;
  map_actor downstream;
  uint32_t credit = 0;
  size_t batch_size = 500;
  std::shared_ptr<const key_set> skip;
  std::string last_key;  ///< storage key the next batch starts after
  bool done = false;
};

/// The next batch after `last_key` (exclusive), in a short read transaction: the commit actor
/// removes settled entries meanwhile, and a long-lived reader would pin old pages.
change_batch read_next(reader_state& st) {
  change_batch batch;
  batch.changes = st.st->read_changes(st.last_key, st.batch_size, [&](const std::string& key) {
    return st.skip && st.skip->count(key) > 0;
  });
  return batch;
}

void pump(change_reader_actor::stateful_pointer<reader_state> self) {
  auto& st = self->state;
  while (st.credit > 0 && !st.done) {
    auto batch = read_next(st);
    if (batch.changes.empty()) {
      st.done = true;
      self->send(st.downstream, end_atom_v);
      self->quit();
      return;
    }
    --st.credit;
    self->send(st.downstream, std::move(batch));
  }
}

change_reader_actor::behavior_type reader_impl(
    change_reader_actor::stateful_pointer<reader_state> self, std::shared_ptr<state::sync_state> st,
    map_actor downstream, uint32_t window, size_t batch_size, std::shared_ptr<const key_set> skip) {
  self->state.st = std::move(st);
  self->state.skip = std::move(skip);
  self->state.downstream = std::move(downstream);
  self->state.credit = window;
  self->state.batch_size = batch_size;
  self->send(self, pump_atom_v);
  return {
    [=](pump_atom) { pump(self); },
    [=](credit_atom, uint32_t n) {
      self->state.credit += n;
      pump(self);
    },
  };
}

}  // namespace

change_reader_actor spawn_change_reader(caf::actor_system& sys,
                                        std::shared_ptr<state::sync_state> st, map_actor downstream,
                                        uint32_t window, size_t batch_size,
                                        std::shared_ptr<const key_set> skip) {
  return sys.spawn<caf::detached>(reader_impl, std::move(st), std::move(downstream), window,
                                  batch_size, std::move(skip));
}

}  // namespace backflow
