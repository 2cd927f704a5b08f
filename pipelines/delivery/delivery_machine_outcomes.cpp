// The delivery machine's reading of answers: sending, retries with backoff, bisection, and the
// settlement of each record's outcome.
#include "pipelines/delivery/delivery_machine.hpp"

#include <algorithm>

#include "pipelines/core/clock.hpp"

namespace backflow::delivery {

void delivery_machine::settle(uint64_t origin, std::vector<settled_outcome> records,
                              std::string finished_job) {
  settle_records batch;
  batch.ticket = ++next_id_;
  batch.records = std::move(records);
  batch.api_calls = unreported_calls_;
  batch.quota_day = quota_day(s_.clock.wall(), s_.day_offset);
  batch.finished_job = std::move(finished_job);
  batch.pause_until_ms = pause_until_ms_;
  unreported_calls_ = 0;
  pause_until_ms_ = 0;
  pending_commit commit;
  commit.origin = origin;
  commits_.emplace(batch.ticket, std::move(commit));
  emit(std::move(batch));
}

work_item delivery_machine::part_of(const work_item& item) {
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

batch_verdict delivery_machine::guarded(const char* what,
                                        const std::function<batch_verdict()>& read) {
  try {
    return read();
  } catch (const std::exception& e) {
    return batch_verdict::whole(batch_verdict::kind::fatal,
                                std::string("the connector failed to read ") + what + ": " + e.what());
  }
}

void delivery_machine::split(work_item item) {
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
  ++report_.splits;
  ++open_parts_[item.origin];
  ready_.push_front(std::move(right));
  ready_.push_front(std::move(left));
}

void delivery_machine::park(work_item item, std::chrono::milliseconds delay) {
  auto id = ++next_id_;
  delayed_.emplace(id, std::move(item));
  emit(park_until{id, delay});
}

void delivery_machine::retry_later(work_item item, const std::string& reason,
                                   std::chrono::milliseconds server_wait, bool pause) {
  auto n = item.batch.records.size();
  server_wait = std::min(server_wait, s_.max_wait);  // a bogus Retry-After pauses no longer
  if (server_wait > s_.max_pause) {
    // A long pause (daily limit spent, hourly budget exhausted): stop now instead of holding
    // the run, remember the pause across restarts, and leave the records for a later run.
    auto until = s_.clock.wall() + server_wait;
    pause_until_ms_ =
        std::chrono::duration_cast<std::chrono::milliseconds>(until.time_since_epoch()).count();
    emit(pause_account{server_wait});
    report_.failed += n;
    stop(reason + "; the destination asks to wait " + std::to_string(server_wait.count() / 60000) +
         " min, so the account is paused and the next run continues");
    part_done(item.origin);
    return;
  }
  if (!report_.fatal.empty() || item.attempt >= s_.retry.max_attempts) {
    report_.failed += n;
    s_.log.warn("Giving up for this run: batch={} records={} attempts={} reason=\"{}\"",
                item.batch.batch_id, n, item.attempt, reason);
    part_done(item.origin);
    return;
  }
  auto delay = s_.retry.delay(item.attempt, server_wait, rng_);
  if (pause || server_wait.count() > 0)
    emit(pause_account{delay});
  report_.retried += n;
  s_.log.info("Retrying: batch={} records={} attempt={} in_ms={} reason=\"{}\"",
              item.batch.batch_id, n, item.attempt, delay.count(), reason);
  park(std::move(item), delay);
}

void delivery_machine::settle_outcomes(work_item item, const std::vector<record_outcome>& outcomes,
                                       std::string finished_job) {
  auto& records = item.batch.records;
  std::vector<settled_outcome> settled;
  auto again = part_of(item);
  again.attempt = item.attempt;
  std::chrono::milliseconds wait{0};
  std::string retry_reason;
  for (size_t i = 0; i < records.size(); ++i) {
    const auto& o = i < outcomes.size() ? outcomes[i]
                                        : record_outcome::retryable("no outcome for this record");
    switch (o.what) {
      case record_outcome::kind::delivered:
        if (o.preexisting)
          records[i].hash = hash128{};  // it holds another version than this payload
        settled.push_back(settled_outcome::delivered(std::move(records[i]), o.dest_id));
        break;
      case record_outcome::kind::rejected:
        settled.push_back(settled_outcome::rejected(std::move(records[i]), o.reason));
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
    ++open_parts_[item.origin];  // the retry is a part of its own
  if (!again.batch.records.empty()) {
    // Leftovers go through a job again when the destination sends that op only through jobs
    // (a plain request would skip the job's other steps), else as ordinary requests.
    const auto op = again.batch.records.front().op;
    again.batch.as_job = item.batch.as_job &&
                         s_.dest->job_size(op, again.batch.records.size()) > 0;
    ++again.attempt;
    retry_later(std::move(again), retry_reason, wait, false);
  }
  if (!settled.empty() || !finished_job.empty())
    settle(item.origin, std::move(settled), std::move(finished_job));
}

void delivery_machine::handle_verdict(work_item item, batch_verdict verdict, long status) {
  using kind = batch_verdict::kind;
  report_.notes.merge(verdict.notes);
  if (verdict.token_rejected && token_.needed) {
    token_refused(std::move(item), verdict.reason);
    return;
  }
  switch (verdict.what) {
    case kind::per_record:
      settle_outcomes(std::move(item), verdict.outcomes);
      return;
    case kind::retry:
      item.job.reset();  // a whole job starts over
      item.request.reset();
      ++item.attempt;
      retry_later(std::move(item), verdict.reason, verdict.retry_after, status == 429);
      return;
    case kind::split:
      if (item.batch.records.size() > 1 && !item.batch.as_job) {
        split(std::move(item));
        return;
      }
      [[fallthrough]];
    case kind::reject: {
      std::vector<settled_outcome> settled;
      for (auto& r : item.batch.records)
        settled.push_back(settled_outcome::rejected(std::move(r), verdict.reason));
      settle(item.origin, std::move(settled));
      return;
    }
    case kind::fatal:
      report_.failed += item.batch.records.size();
      stop(verdict.reason);
      part_done(item.origin);
      return;
  }
}

void delivery_machine::send(work_item item) {
  // A job starts here, holding a rate-limit token: its first request goes with that token
  // (re-queued, it would take a second one: a job of k requests cost k + 1 tokens).
  if (item.batch.as_job && !item.job && !start_job_holding_token(item))
    return;
  if (!has_token_for(item))
    return;
  std::optional<http_request> request;
  // A job resends by itself (delivery_job::resending): its requests are never swapped for a
  // lookup, which its next step could not read.
  if (item.unsure && !item.job) {
    request = s_.dest->build_lookup(item.batch);
    if (!request) {
      reject_unknown_outcome(std::move(item), "the destination cannot look records up");
      return;
    }
    item.looking_up = true;
  } else {
    request = item.request ? *item.request : s_.dest->build_request(item.batch);
  }
  authorize(item, *request);
  ++report_.api_calls;
  ++unreported_calls_;
  auto ticket = ++next_id_;
  in_flight_.emplace(ticket, std::move(item));
  emit(send_request{ticket, std::move(*request)});
}

void delivery_machine::read_rate_signal(const http_response& response) {
  rate_signal signal;
  try {
    signal = s_.dest->read_rate_signal(response);
  } catch (const std::exception& e) {
    s_.log.warn("Ignoring unreadable rate-limit headers: reason=\"{}\"", e.what());
  }
  if (signal.pause)
    emit(pause_account{std::min(*signal.pause, s_.max_wait)});
  // The limits first: usage is read against them (a first answer may teach both).
  if (signal.advertised)
    emit(advertise_limits{*signal.advertised});
  if (signal.daily_remaining)
    emit(daily_remaining{*signal.daily_remaining});
}

void delivery_machine::read_response(work_item item, const http_response& response) {
  if (!response.transport_failed())
    read_rate_signal(response);
  else if (response.request_sent)  // no answer: the destination may still apply it, later
    report_.unanswered_at_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                                   s_.clock.wall().time_since_epoch())
                                   .count();
  if (item.job) {
    read_job_response(std::move(item), response);
    return;
  }
  if (item.looking_up) {
    read_lookup(std::move(item), response);
    return;
  }
  // A create that failed after the request left (a timeout, a reset, a 5xx) may have landed.
  bool ambiguous = response.transport_failed() ? response.request_sent
                                               : response.status >= 500 || response.status == 408;
  item.unsure = item.unsure || (ambiguous && creates(item.batch));
  if (response.transport_failed()) {
    ++item.attempt;
    retry_later(std::move(item), "transport: " + response.transport_error, {}, false);
    return;
  }
  auto verdict = guarded("an answer", [&] { return s_.dest->interpret(item.batch, response); });
  handle_verdict(std::move(item), std::move(verdict), response.status);
}

}  // namespace backflow::delivery
