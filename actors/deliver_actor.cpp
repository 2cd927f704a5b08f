// The deliver actor: thin glue around the delivery machine (pipelines/delivery/). It feeds the
// machine events (batches, tokens, HTTP answers, timers, commit acknowledgements, stop) and
// carries out the effects it asks for:
//
//   batcher ──batch──► deliver ──acquire──► rate limiter      (token → on_token)
//      ▲                  │ ────submit────► http client       (answer → on_response)
//      └────credit────────┤ ────settle/job──► commit (LMDB)   (ack → on_committed)
//                         └────report────► coordinator
#include <variant>

#include "actors/apply_actors.hpp"
#include "pipelines/delivery/delivery_machine.hpp"

namespace backflow {
namespace deliver {
namespace {

namespace dm = backflow::delivery;

struct deliver_state {
  deliver_settings s;
  std::optional<dm::delivery_machine> machine;
  batch_actor upstream;  ///< the batcher, learnt from its first batch
  run_logger log;
};

using self_ptr = deliver_actor::stateful_pointer<deliver_state>;

/// The settled form of an outcome (its change kind follows from its op and destination id).
state::settled_record settled_from(dm::settled_outcome o) {
  const auto& rec = o.record;
  bool delivered = o.what == dm::settled_outcome::kind::delivered;
  state::settled_record s;
  s.key = rec.key;
  s.change = rec.retire ? state::change_kind::changed
             : rec.op == delivery_op::remove ? state::change_kind::deleted
             : rec.dest_id.empty()           ? state::change_kind::added
                                             : state::change_kind::changed;
  s.hash = rec.hash;
  // A delivered retire removed the record's old identity; its new version is still to come.
  s.how = !delivered ? state::settlement::rejected
          : rec.retire ? state::settlement::retired
                       : state::settlement::delivered;
  if (rec.retire && !delivered)
    o.reason = "the identity it was sent with before could not be removed: " + o.reason;
  s.dest_id = std::move(o.dest_id);
  s.reason = std::move(o.reason);
  return s;
}


void run(self_ptr self, dm::effects fx);

/// Carries out one effect; every answer goes back into the machine as an event.
struct effect_runner {
  self_ptr self;

  deliver_state& st() const { return self->state; }
  dm::delivery_machine& machine() const { return *self->state.machine; }

  void operator()(dm::acquire_token& e) const {
    auto self = this->self;
    auto ticket = e.ticket;
    self->request(st().s.rate_limiter, caf::infinite, acquire_atom_v, st().s.account,
                  static_cast<int64_t>(e.max_wait.count()))
        .then([self, ticket](const acquire_result& r) {
          run(self, self->state.machine->on_token(ticket, {r.granted, r.reason, r.retry_at_ms}));
        });
  }
  void operator()(dm::send_request& e) const {
    ++st().s.progress->api_calls;
    auto handle = caf::actor_cast<deliver_actor>(self);
    auto ticket = e.ticket;
    st().s.http->submit(std::move(e.request), [handle, ticket](http_response response) {
      caf::anon_send(handle, http_atom_v, ticket, std::move(response));
    });
  }
  void operator()(dm::settle_records& e) const {
    settle_batch batch;
    batch.records.reserve(e.records.size());
    for (auto& o : e.records)
      batch.records.push_back(settled_from(std::move(o)));
    batch.api_calls = e.api_calls;
    batch.account = st().s.account;
    batch.finished_job = std::move(e.finished_job);
    batch.pause_until_ms = e.pause_until_ms;
    batch.quota_day = std::move(e.quota_day);
    commit(e.ticket, std::move(batch));
  }
  void operator()(dm::checkpoint_job& e) const {
    job_record record;
    record.checkpoint = std::move(e.checkpoint);
    record.batch_id = std::move(e.batch_id);
    record.keys = std::move(e.keys);
    record.replaces = std::move(e.replaces);
    commit(e.ticket, std::move(record));
  }
  void operator()(dm::park_until& e) const {
    self->delayed_send(self, e.delay, retry_atom_v, e.timer);
  }
  void operator()(dm::pause_account& e) const {
    self->send(st().s.rate_limiter, pause_atom_v, st().s.account,
               static_cast<int64_t>(e.wait.count()));
  }
  void operator()(dm::advertise_limits& e) const {
    self->send(st().s.rate_limiter, advertise_atom_v, st().s.account, e.limits, st().log.tag());
  }
  void operator()(dm::daily_remaining& e) const {
    self->send(st().s.rate_limiter, daily_atom_v, st().s.account, e.remaining);
  }
  void operator()(dm::give_credit& e) const {
    if (st().upstream)
      self->send(st().upstream, credit_atom_v, e.batches);
  }
  void operator()(dm::finish& e) const {
    caf::anon_send(st().s.coordinator, e.report);
    self->quit();
  }

  template <class Message>
  void commit(uint64_t ticket, Message msg) const {
    auto self = this->self;
    self->request(st().s.commit, caf::infinite, std::move(msg))
        .then([self, ticket](const outcome_counts&) {
                run(self, self->state.machine->on_committed(ticket));
              },
              [self, ticket](const caf::error& err) {
                run(self, self->state.machine->on_commit_failed(
                              ticket, "cannot write state: " + caf::to_string(err)));
              });
  }
};

void run(self_ptr self, dm::effects fx) {
  for (auto& e : fx)
    std::visit(effect_runner{self}, e);
}

dm::machine_settings machine_settings_of(const deliver_settings& s, const run_logger& log) {
  dm::machine_settings m;
  m.dest = s.dest;
  m.concurrency = s.concurrency;
  m.retry = s.retry;
  m.max_pause = s.max_pause;
  m.max_wait = s.max_wait;
  m.verify_inserts = s.verify_inserts;
  m.day_offset = s.limits.day_offset;
  m.log = log;
  return m;
}

deliver_actor::behavior_type deliver_impl(self_ptr self, deliver_settings settings) {
  auto& st = self->state;
  st.s = std::move(settings);
  st.log = run_logger(spdlog::get("deliver"), st.s.sync, st.s.run_id);
  st.machine.emplace(machine_settings_of(st.s, st.log));
  return {
    [=](delivery_batch& batch) {
      if (!self->state.upstream)
        self->state.upstream = caf::actor_cast<batch_actor>(self->current_sender());
      run(self, self->state.machine->on_batch(std::move(batch)));
    },
    [=](resume_atom, delivery_batch& batch, const std::string& checkpoint) {
      run(self, self->state.machine->on_resume(std::move(batch), checkpoint));
    },
    [=](end_atom) { run(self, self->state.machine->on_upstream_done()); },
    [=](http_atom, uint64_t ticket, http_response& response) {
      run(self, self->state.machine->on_response(ticket, response));
    },
    [=](retry_atom, uint64_t timer) { run(self, self->state.machine->on_timer(timer)); },
    [=](stop_atom, const std::string& why) { run(self, self->state.machine->on_stop(why)); },
  };
}

}  // namespace
}  // namespace deliver

deliver_actor spawn_deliver(caf::actor_system& sys, deliver_settings settings) {
  return sys.spawn(deliver::deliver_impl, std::move(settings));
}

}  // namespace backflow
