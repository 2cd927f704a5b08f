// The delivery layer: concurrency, tokens, retries with backoff, bisection, outcomes to commit.
// Connectors only build requests and read answers; every policy decision lives here.
#include "actors/apply_actors.hpp"

#include <random>
#include <unordered_map>

#include <spdlog/spdlog.h>

#include "pipelines/delivery/status_classifier.hpp"

namespace backflow {
namespace {

/// A batch (or a part of one) on its way; `origin` is the batch the batcher sent.
struct work_item {
  delivery_batch batch;
  int attempt = 0;  ///< sends so far
  uint64_t origin = 0;
};

struct deliver_state {
  deliver_settings s;
  batch_actor upstream;
  std::deque<work_item> ready;
  std::unordered_map<uint64_t, work_item> acquiring;  ///< waiting for a rate-limit token
  std::unordered_map<uint64_t, work_item> in_flight;  ///< request sent, answer pending
  std::unordered_map<uint64_t, work_item> delayed;    ///< waiting to be retried
  std::unordered_map<uint64_t, uint32_t> open_parts;  ///< origin → parts not finished
  uint64_t next_id = 0;
  uint32_t pending_commits = 0;
  int64_t unreported_calls = 0;  ///< API calls not yet added to the persisted daily quota
  bool upstream_done = false;
  bool reported = false;
  apply_report report;
  std::mt19937_64 rng{std::random_device{}()};
  std::shared_ptr<spdlog::logger> log;
};

using self_ptr = deliver_actor::stateful_pointer<deliver_state>;

void pump(self_ptr self);
void maybe_finish(self_ptr self);

void part_done(self_ptr self, uint64_t origin) {
  auto& st = self->state;
  auto it = st.open_parts.find(origin);
  if (it == st.open_parts.end() || --it->second > 0)
    return;
  st.open_parts.erase(it);
  if (st.upstream)
    self->send(st.upstream, credit_atom_v, uint32_t{1});
}

void stop(self_ptr self, const std::string& why) {
  auto& st = self->state;
  if (!st.report.fatal.empty())
    return;
  st.report.fatal = why;
  st.log->warn("Stopping delivery: reason=\"{}\"", why);
  // Queued and delayed work is abandoned: those records stay in the change set for next run.
  for (auto* pool : {&st.delayed, &st.acquiring})
    for (auto& [id, item] : *pool) {
      st.report.failed += item.batch.records.size();
      part_done(self, item.origin);
    }
  st.delayed.clear();
  st.acquiring.clear();
  for (auto& item : st.ready) {
    st.report.failed += item.batch.records.size();
    part_done(self, item.origin);
  }
  st.ready.clear();
}

/// Hands settled records to the commit actor; the part is done once they are written.
void settle(self_ptr self, uint64_t origin, std::vector<state::settled_record> records) {
  auto& st = self->state;
  settle_batch batch;
  batch.records = std::move(records);
  batch.api_calls = st.unreported_calls;
  batch.account = st.s.account;
  st.unreported_calls = 0;
  ++st.pending_commits;
  self->request(st.s.commit, caf::infinite, std::move(batch))
      .then(
          [=](const commit_ack&) {
            --self->state.pending_commits;
            part_done(self, origin);
            pump(self);
            maybe_finish(self);
          },
          [=](const caf::error& err) {
            --self->state.pending_commits;
            stop(self, "cannot write state: " + caf::to_string(err));
            part_done(self, origin);
            maybe_finish(self);
          });
}

state::settled_record settled_from(const outbound_record& rec, state::settlement how,
                                   std::string dest_id, std::string reason) {
  state::settled_record s;
  s.key = rec.key;
  s.change = rec.op == delivery_op::remove ? state::change_kind::deleted
                                           : rec.dest_id.empty() ? state::change_kind::added
                                                                 : state::change_kind::changed;
  s.hash = rec.hash;
  s.how = how;
  s.dest_id = std::move(dest_id);
  s.reason = std::move(reason);
  return s;
}

void retry_later(self_ptr self, work_item item, const std::string& reason,
                 std::chrono::milliseconds server_wait, bool pause_account) {
  auto& st = self->state;
  auto n = item.batch.records.size();
  if (!st.report.fatal.empty() || item.attempt >= st.s.retry.max_attempts) {
    st.report.failed += n;
    st.log->warn("Giving up for this run: batch={} records={} attempts={} reason=\"{}\"",
                 item.batch.batch_id, n, item.attempt, reason);
    part_done(self, item.origin);
    return;
  }
  auto delay = st.s.retry.delay(item.attempt, server_wait, st.rng);
  if (pause_account)
    self->send(st.s.rate_limiter, pause_atom_v, st.s.account, static_cast<int64_t>(delay.count()));
  st.report.retried += n;
  st.log->info("Retrying: batch={} records={} attempt={} in_ms={} reason=\"{}\"",
               item.batch.batch_id, n, item.attempt, delay.count(), reason);
  auto id = ++st.next_id;
  st.delayed.emplace(id, std::move(item));
  self->delayed_send(self, delay, retry_atom_v, id);
}

void split(self_ptr self, work_item item) {
  auto& st = self->state;
  auto& records = item.batch.records;
  auto half = records.size() / 2;
  work_item left{delivery_batch{item.batch.batch_id + ".0", item.batch.field_names, {}}, 0, item.origin};
  work_item right{delivery_batch{item.batch.batch_id + ".1", item.batch.field_names, {}}, 0, item.origin};
  left.batch.records.assign(std::make_move_iterator(records.begin()),
                            std::make_move_iterator(records.begin() + static_cast<long>(half)));
  right.batch.records.assign(std::make_move_iterator(records.begin() + static_cast<long>(half)),
                             std::make_move_iterator(records.end()));
  ++st.report.splits;
  ++st.open_parts[item.origin];
  st.ready.push_front(std::move(right));
  st.ready.push_front(std::move(left));
}

void handle_verdict(self_ptr self, work_item item, batch_verdict verdict, long status) {
  auto& st = self->state;
  using kind = batch_verdict::kind;
  auto& records = item.batch.records;
  switch (verdict.what) {
    case kind::per_record: {
      std::vector<state::settled_record> settled;
      work_item again{delivery_batch{item.batch.batch_id, item.batch.field_names, {}}, item.attempt,
                      item.origin};
      std::chrono::milliseconds wait{0};
      std::string retry_reason;
      for (size_t i = 0; i < records.size(); ++i) {
        const auto& o = i < verdict.outcomes.size()
                            ? verdict.outcomes[i]
                            : record_outcome::retryable("no outcome for this record");
        switch (o.what) {
          case record_outcome::kind::delivered:
            settled.push_back(settled_from(records[i], state::settlement::delivered, o.dest_id, {}));
            break;
          case record_outcome::kind::rejected:
            settled.push_back(settled_from(records[i], state::settlement::rejected, {}, o.reason));
            break;
          case record_outcome::kind::retryable:
            wait = std::max(wait, o.retry_after);
            retry_reason = o.reason;
            again.batch.records.push_back(std::move(records[i]));
            break;
        }
      }
      if (!again.batch.records.empty()) {
        if (!settled.empty())
          ++st.open_parts[item.origin];  // the retry is a part of its own
        retry_later(self, std::move(again), retry_reason, wait, false);
      }
      if (!settled.empty())
        settle(self, item.origin, std::move(settled));
      return;
    }
    case kind::retry:
      retry_later(self, std::move(item), verdict.reason, verdict.retry_after, status == 429);
      return;
    case kind::split:
      if (records.size() > 1) {
        split(self, std::move(item));
        return;
      }
      [[fallthrough]];
    case kind::reject: {
      std::vector<state::settled_record> settled;
      for (const auto& r : records)
        settled.push_back(settled_from(r, state::settlement::rejected, {}, verdict.reason));
      settle(self, item.origin, std::move(settled));
      return;
    }
    case kind::fatal:
      st.report.failed += records.size();
      stop(self, verdict.reason);
      part_done(self, item.origin);
      return;
  }
}

void send_request(self_ptr self, work_item item) {
  auto& st = self->state;
  auto request = st.s.dest->build_request(item.batch);
  ++item.attempt;
  ++st.report.api_calls;
  ++st.unreported_calls;
  ++st.s.progress->api_calls;
  auto ticket = ++st.next_id;
  st.in_flight.emplace(ticket, std::move(item));
  auto handle = caf::actor_cast<deliver_actor>(self);
  st.s.http->submit(std::move(request), [handle, ticket](http_response response) {
    caf::anon_send(handle, http_atom_v, ticket, std::move(response));
  });
}

void on_response(self_ptr self, uint64_t ticket, http_response& response) {
  auto& st = self->state;
  auto it = st.in_flight.find(ticket);
  if (it == st.in_flight.end())
    return;
  auto item = std::move(it->second);
  st.in_flight.erase(it);
  if (response.transport_failed()) {
    retry_later(self, std::move(item), "transport: " + response.transport_error, {}, false);
    return;
  }
  auto signal = st.s.dest->read_rate_signal(response);
  if (signal.pause)
    self->send(st.s.rate_limiter, pause_atom_v, st.s.account,
               static_cast<int64_t>(signal.pause->count()));
  if (signal.daily_remaining)
    self->send(st.s.rate_limiter, daily_atom_v, st.s.account, *signal.daily_remaining);
  if (signal.advertised)
    self->send(st.s.rate_limiter, advertise_atom_v, st.s.account, *signal.advertised);
  auto verdict = st.s.dest->interpret(item.batch, response);
  handle_verdict(self, std::move(item), std::move(verdict), response.status);
}

void pump(self_ptr self) {
  auto& st = self->state;
  // A request counts against the concurrency until its outcome is committed, so a crash re-sends
  // at most `concurrency` batches.
  while (st.report.fatal.empty() && !st.ready.empty() &&
         static_cast<int>(st.in_flight.size() + st.acquiring.size() + st.pending_commits) <
             st.s.concurrency) {
    auto id = ++st.next_id;
    st.acquiring.emplace(id, std::move(st.ready.front()));
    st.ready.pop_front();
    self->request(st.s.rate_limiter, caf::infinite, acquire_atom_v, st.s.account)
        .then([=](const acquire_result& granted) {
          auto& st = self->state;
          auto it = st.acquiring.find(id);
          if (it == st.acquiring.end())
            return;  // abandoned by stop()
          auto item = std::move(it->second);
          st.acquiring.erase(it);
          if (!granted.granted) {
            st.report.failed += item.batch.records.size();
            stop(self, granted.reason);
            part_done(self, item.origin);
          } else {
            send_request(self, std::move(item));
          }
          pump(self);
          maybe_finish(self);
        });
  }
}

void maybe_finish(self_ptr self) {
  auto& st = self->state;
  bool stopping = !st.report.fatal.empty();
  if (st.reported || !(st.upstream_done || stopping) || !st.ready.empty() ||
      !st.in_flight.empty() || !st.acquiring.empty() || (!st.delayed.empty() && !stopping) ||
      st.pending_commits > 0)
    return;
  if (st.unreported_calls > 0) {
    settle(self, 0, {});  // persist the remaining API calls toward the daily quota
    return;
  }
  st.reported = true;
  caf::anon_send(st.s.coordinator, st.report);
  self->quit();
}

deliver_actor::behavior_type deliver_impl(self_ptr self, deliver_settings settings) {
  self->state.s = std::move(settings);
  self->state.log = spdlog::get("deliver");
  if (!self->state.log)
    self->state.log = spdlog::default_logger();
  return {
    [=](delivery_batch& batch) {
      auto& st = self->state;
      if (!st.upstream)
        st.upstream = caf::actor_cast<batch_actor>(self->current_sender());
      auto origin = ++st.next_id;
      st.open_parts[origin] = 1;
      if (!st.report.fatal.empty()) {
        st.report.failed += batch.records.size();
        part_done(self, origin);
        return;
      }
      st.ready.push_back(work_item{std::move(batch), 0, origin});
      pump(self);
    },
    [=](end_atom) {
      self->state.upstream_done = true;
      maybe_finish(self);
    },
    [=](http_atom, uint64_t ticket, http_response& response) {
      on_response(self, ticket, response);
      pump(self);
      maybe_finish(self);
    },
    [=](retry_atom, uint64_t id) {
      auto& st = self->state;
      auto it = st.delayed.find(id);
      if (it == st.delayed.end())
        return;
      st.ready.push_front(std::move(it->second));
      st.delayed.erase(it);
      pump(self);
      maybe_finish(self);
    },
    [=](stop_atom, const std::string& why) {
      stop(self, why);
      maybe_finish(self);
    },
  };
}

}  // namespace

deliver_actor spawn_deliver(caf::actor_system& sys, deliver_settings settings) {
  return sys.spawn(deliver_impl, std::move(settings));
}

}  // namespace backflow
