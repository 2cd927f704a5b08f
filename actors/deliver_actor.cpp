// The delivery layer: concurrency, tokens, retries with backoff, bisection, outcomes to commit.
// Connectors only build requests and read answers; every policy decision lives here.
#include "actors/deliver_state.hpp"

#include <algorithm>
#include <chrono>

#include "pipelines/core/clock.hpp"
#include "pipelines/delivery/status_classifier.hpp"

namespace backflow {
namespace deliver {

void part_done(self_ptr self, uint64_t origin) {
  auto& st = self->state;
  auto it = st.open_parts.find(origin);
  if (it == st.open_parts.end() || --it->second > 0)
    return;
  st.open_parts.erase(it);
  if (st.external_origins.erase(origin) == 0 && st.upstream)
    self->send(st.upstream, credit_atom_v, uint32_t{1});
}

void stop(self_ptr self, const std::string& why) {
  auto& st = self->state;
  if (!st.report.fatal.empty())
    return;
  st.report.fatal = why;
  st.log.warn("Stopping delivery: reason=\"{}\"", why);
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

void settle(self_ptr self, uint64_t origin, std::vector<state::settled_record> records,
            std::string finished_job) {
  auto& st = self->state;
  settle_batch batch;
  batch.records = std::move(records);
  batch.api_calls = st.unreported_calls;
  batch.account = st.s.account;
  batch.finished_job = std::move(finished_job);
  batch.pause_until_ms = st.pause_until_ms;
  batch.quota_day = quota_day(wall_now(), st.s.limits.day_offset);
  st.unreported_calls = 0;
  st.pause_until_ms = 0;
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
  s.change = rec.retire ? state::change_kind::changed
             : rec.op == delivery_op::remove ? state::change_kind::deleted
             : rec.dest_id.empty()           ? state::change_kind::added
                                             : state::change_kind::changed;
  s.hash = rec.hash;
  // A delivered retire removed the record's old identity; its new version is still to come.
  s.how = rec.retire && how == state::settlement::delivered ? state::settlement::retired : how;
  if (rec.retire && how == state::settlement::rejected)
    reason = "the identity it was sent with before could not be removed: " + reason;
  s.dest_id = std::move(dest_id);
  s.reason = std::move(reason);
  return s;
}

work_item part_of(const work_item& item) {
  work_item part;
  part.batch.batch_id = item.batch.batch_id;
  part.batch.session = item.batch.session;
  part.batch.field_names = item.batch.field_names;
  part.batch.sequence = item.batch.sequence;
  part.batch.last = item.batch.last;
  part.batch.total = item.batch.total;
  part.origin = item.origin;
  return part;
}

namespace {

void split(self_ptr self, work_item item) {
  auto& st = self->state;
  auto& records = item.batch.records;
  auto half = static_cast<long>(records.size() / 2);
  auto left = part_of(item);
  auto right = part_of(item);
  left.batch.batch_id += ".0";
  right.batch.batch_id += ".1";
  left.batch.records.assign(std::make_move_iterator(records.begin()),
                            std::make_move_iterator(records.begin() + half));
  right.batch.records.assign(std::make_move_iterator(records.begin() + half),
                             std::make_move_iterator(records.end()));
  ++st.report.splits;
  ++st.open_parts[item.origin];
  st.ready.push_front(std::move(right));
  st.ready.push_front(std::move(left));
}

}  // namespace

void park(self_ptr self, work_item item, std::chrono::milliseconds delay) {
  auto& st = self->state;
  auto id = ++st.next_id;
  st.delayed.emplace(id, std::move(item));
  self->delayed_send(self, delay, retry_atom_v, id);
}

void retry_later(self_ptr self, work_item item, const std::string& reason,
                 std::chrono::milliseconds server_wait, bool pause_account) {
  auto& st = self->state;
  auto n = item.batch.records.size();
  server_wait = std::min(server_wait, st.s.max_wait);  // a bogus Retry-After pauses no longer
  if (server_wait > st.s.max_pause) {
    // A long pause (daily limit spent, hourly budget exhausted): stop now instead of holding
    // the run, remember the pause across restarts, and leave the records for a later run.
    auto until = wall_now() + server_wait;
    st.pause_until_ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(until.time_since_epoch()).count();
    self->send(st.s.rate_limiter, pause_atom_v, st.s.account,
               static_cast<int64_t>(server_wait.count()));
    st.report.failed += n;
    stop(self, reason + "; the destination asks to wait " +
                   std::to_string(server_wait.count() / 60000) +
                   " min, so the account is paused and the next run continues");
    part_done(self, item.origin);
    return;
  }
  if (!st.report.fatal.empty() || item.attempt >= st.s.retry.max_attempts) {
    st.report.failed += n;
    st.log.warn("Giving up for this run: batch={} records={} attempts={} reason=\"{}\"",
                 item.batch.batch_id, n, item.attempt, reason);
    part_done(self, item.origin);
    return;
  }
  auto delay = st.s.retry.delay(item.attempt, server_wait, st.rng);
  if (pause_account || server_wait.count() > 0)
    self->send(st.s.rate_limiter, pause_atom_v, st.s.account, static_cast<int64_t>(delay.count()));
  st.report.retried += n;
  st.log.info("Retrying: batch={} records={} attempt={} in_ms={} reason=\"{}\"",
               item.batch.batch_id, n, item.attempt, delay.count(), reason);
  park(self, std::move(item), delay);
}

void settle_outcomes(self_ptr self, work_item item, const std::vector<record_outcome>& outcomes,
                     std::string finished_job) {
  auto& records = item.batch.records;
  std::vector<state::settled_record> settled;
  auto again = part_of(item);
  again.attempt = item.attempt;
  std::chrono::milliseconds wait{0};
  std::string retry_reason;
  for (size_t i = 0; i < records.size(); ++i) {
    const auto& o = i < outcomes.size() ? outcomes[i]
                                        : record_outcome::retryable("no outcome for this record");
    switch (o.what) {
      case record_outcome::kind::delivered:
        settled.push_back(settled_from(records[i], state::settlement::delivered, o.dest_id, {}));
        if (o.preexisting)
          settled.back().hash = hash128{};  // it holds another version than this payload
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
  // A create HubSpot answered without a result for may still have happened: look it up first.
  again.unsure = creates(again.batch);
  bool both = !again.batch.records.empty() && (!settled.empty() || !finished_job.empty());
  if (both)
    ++self->state.open_parts[item.origin];  // the retry is a part of its own
  if (!again.batch.records.empty()) {
    again.batch.as_job = false;  // a handful of leftovers go as ordinary requests
    ++again.attempt;
    retry_later(self, std::move(again), retry_reason, wait, false);
  }
  if (!settled.empty() || !finished_job.empty())
    settle(self, item.origin, std::move(settled), std::move(finished_job));
}

void handle_verdict(self_ptr self, work_item item, batch_verdict verdict, long status) {
  auto& st = self->state;
  using kind = batch_verdict::kind;
  st.report.notes.merge(verdict.notes);
  switch (verdict.what) {
    case kind::per_record:
      settle_outcomes(self, std::move(item), verdict.outcomes);
      return;
    case kind::retry:
      item.job.reset();  // a whole job starts over
      item.request.reset();
      ++item.attempt;
      retry_later(self, std::move(item), verdict.reason, verdict.retry_after, status == 429);
      return;
    case kind::split:
      if (item.batch.records.size() > 1 && !item.batch.as_job) {
        split(self, std::move(item));
        return;
      }
      [[fallthrough]];
    case kind::reject: {
      std::vector<state::settled_record> settled;
      for (const auto& r : item.batch.records)
        settled.push_back(settled_from(r, state::settlement::rejected, {}, verdict.reason));
      settle(self, item.origin, std::move(settled));
      return;
    }
    case kind::fatal:
      st.report.failed += item.batch.records.size();
      stop(self, verdict.reason);
      part_done(self, item.origin);
      return;
  }
}

namespace {

void send_request(self_ptr self, work_item item) {
  auto& st = self->state;
  if (item.batch.as_job && !item.job) {
    start_job(self, std::move(item));
    return;
  }
  std::optional<http_request> request;
  if (item.unsure) {
    request = st.s.dest->build_lookup(item.batch);
    if (!request) {
      reject_unknown_outcome(self, std::move(item), "the destination cannot look records up");
      return;
    }
    item.looking_up = true;
  } else {
    request = item.request ? *item.request : st.s.dest->build_request(item.batch);
  }
  ++st.report.api_calls;
  ++st.unreported_calls;
  ++st.s.progress->api_calls;
  auto ticket = ++st.next_id;
  st.in_flight.emplace(ticket, std::move(item));
  auto handle = caf::actor_cast<deliver_actor>(self);
  st.s.http->submit(std::move(*request), [handle, ticket](http_response response) {
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
  if (!response.transport_failed()) {
    rate_signal signal;
    try {
      signal = st.s.dest->read_rate_signal(response);
    } catch (const std::exception& e) {
      st.log.warn("Ignoring unreadable rate-limit headers: reason=\"{}\"", e.what());
    }
    if (signal.pause)
      self->send(st.s.rate_limiter, pause_atom_v, st.s.account,
                 static_cast<int64_t>(std::min(*signal.pause, st.s.max_wait).count()));
    // The limits first: usage is read against them (a first answer may teach both).
    if (signal.advertised)
      self->send(st.s.rate_limiter, advertise_atom_v, st.s.account, *signal.advertised,
                 st.log.tag());
    if (signal.daily_remaining)
      self->send(st.s.rate_limiter, daily_atom_v, st.s.account, *signal.daily_remaining);
  }
  if (item.job) {
    on_job_response(self, std::move(item), response);
    return;
  }
  if (item.looking_up) {
    on_lookup_response(self, std::move(item), response);
    return;
  }
  // A create that failed after the request left (a timeout, a reset, a 5xx) may have landed.
  bool ambiguous = response.transport_failed() ? response.request_sent
                                               : response.status >= 500 || response.status == 408;
  item.unsure = item.unsure || (ambiguous && creates(item.batch));
  if (response.transport_failed()) {
    ++item.attempt;
    retry_later(self, std::move(item), "transport: " + response.transport_error, {}, false);
    return;
  }
  auto verdict = guarded("an answer", [&] { return st.s.dest->interpret(item.batch, response); });
  handle_verdict(self, std::move(item), std::move(verdict), response.status);
}

}  // namespace

void pump(self_ptr self) {
  auto& st = self->state;
  if (!st.report.fatal.empty()) {
    // Stopping: work that came back since (a job's next step, a split, a retry that was due)
    // is left for the next run, like the work stop() found queued.
    for (auto& item : st.ready) {
      st.report.failed += item.batch.records.size();
      part_done(self, item.origin);
    }
    st.ready.clear();
  }
  // A request counts against the concurrency until its outcome is committed, so a crash re-sends
  // at most `concurrency` batches.
  while (st.report.fatal.empty() && !st.ready.empty() &&
         static_cast<int>(st.in_flight.size() + st.acquiring.size() + st.pending_commits) <
             st.s.concurrency) {
    auto id = ++st.next_id;
    st.acquiring.emplace(id, std::move(st.ready.front()));
    st.ready.pop_front();
    auto max_wait = static_cast<int64_t>(st.s.max_pause.count());
    auto asked = std::chrono::steady_clock::now();
    self->request(st.s.rate_limiter, caf::infinite, acquire_atom_v, st.s.account, max_wait)
        .then([=](const acquire_result& granted) {
          auto& st = self->state;
          st.report.rate_limit_wait_ms += std::chrono::duration_cast<std::chrono::milliseconds>(
                                              std::chrono::steady_clock::now() - asked)
                                              .count();
          auto it = st.acquiring.find(id);
          if (it == st.acquiring.end())
            return;  // abandoned by stop()
          auto item = std::move(it->second);
          st.acquiring.erase(it);
          if (!granted.granted) {
            st.report.failed += item.batch.records.size();
            if (granted.retry_at_ms > st.pause_until_ms)
              st.pause_until_ms = granted.retry_at_ms;  // remembered across restarts
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
      st.pending_commits > 0 || (!stopping && !st.external_origins.empty()))
    return;
  if (st.unreported_calls > 0 || st.pause_until_ms > 0) {
    settle(self, 0, {});  // persist the remaining API calls (and a pause) with the quota
    return;
  }
  st.reported = true;
  caf::anon_send(st.s.coordinator, st.report);
  self->quit();
}

namespace {

uint64_t new_origin(deliver_state& st) {
  auto origin = ++st.next_id;
  st.open_parts[origin] = 1;
  return origin;
}

deliver_actor::behavior_type deliver_impl(self_ptr self, deliver_settings settings) {
  self->state.s = std::move(settings);
  self->state.log = run_logger(spdlog::get("deliver"), self->state.s.sync, self->state.s.run_id);
  return {
    [=](delivery_batch& batch) {
      auto& st = self->state;
      if (!st.upstream)
        st.upstream = caf::actor_cast<batch_actor>(self->current_sender());
      auto origin = new_origin(st);
      if (!st.report.fatal.empty()) {
        st.report.failed += batch.records.size();
        part_done(self, origin);
        return;
      }
      work_item item;
      item.batch = std::move(batch);
      item.origin = origin;
      item.unsure = st.s.verify_inserts && creates(item.batch);
      st.ready.push_back(std::move(item));
      pump(self);
    },
    [=](resume_atom, delivery_batch& batch, const std::string& checkpoint) {
      // A job submitted before a crash: poll it, never submit it again.
      auto& st = self->state;
      auto origin = new_origin(st);
      st.external_origins.insert(origin);
      work_item item;
      item.batch = std::move(batch);
      item.batch.as_job = true;
      item.origin = origin;
      item.job = st.s.dest->resume_job(item.batch, checkpoint);
      item.saved_checkpoint = checkpoint;
      if (!item.job) {
        st.external_origins.erase(origin);
        st.open_parts.erase(origin);
        return;
      }
      start_job(self, std::move(item));
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
}  // namespace deliver

deliver_actor spawn_deliver(caf::actor_system& sys, deliver_settings settings) {
  return sys.spawn(deliver::deliver_impl, std::move(settings));
}

}  // namespace backflow
