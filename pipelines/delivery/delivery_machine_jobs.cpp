// The delivery machine's asynchronous jobs (e.g. Salesforce Bulk API 2.0) and creates of unknown
// outcome: a job's checkpoint is persisted before it is polled; creates that may have landed are
// looked up before they are created again, or reported.
#include "pipelines/delivery/delivery_machine.hpp"

#include "pipelines/delivery/status_classifier.hpp"

namespace backflow::delivery {

// -- asynchronous jobs ------------------------------------------------------------------------

void delivery_machine::start_job(work_item item) {
  if (!item.job)
    item.job = s_.dest->make_job(item.batch);
  if (!item.job) {
    stop("the destination offers no job API for batch " + item.batch.batch_id);
    part_done(item.origin);
    return;
  }
  auto step = item.job->start();
  run_step(std::move(item), std::move(step));
}

bool delivery_machine::start_job_holding_token(work_item& item) {
  item.job = s_.dest->make_job(item.batch);
  if (!item.job) {
    stop("the destination offers no job API for batch " + item.batch.batch_id);
    part_done(item.origin);
    return false;
  }
  auto step = item.job->start();
  auto checkpoint = item.job->checkpoint();
  bool now = step.what == job_step::kind::send && step.delay.count() == 0 &&
             (checkpoint.empty() || checkpoint == item.saved_checkpoint);
  if (!now) {
    run_step(std::move(item), std::move(step));  // parked, checkpointed, settled or failed
    return false;
  }
  item.request = std::move(step.request);
  item.attempt = 0;
  return true;
}

/// Persists the job's checkpoint (once it has one) before the job goes on: a crash from here on
/// resumes the job by polling it instead of submitting its records again.
void delivery_machine::save_checkpoint_then(work_item item, job_step step) {
  checkpoint_job record;
  record.ticket = ++next_id_;
  record.checkpoint = item.job->checkpoint();
  record.batch_id = item.batch.batch_id;
  record.replaces = item.saved_checkpoint;
  for (const auto& r : item.batch.records)
    record.keys.push_back(r.key);
  item.saved_checkpoint = record.checkpoint;
  auto held = ++next_id_;
  delayed_.emplace(held, std::move(item));  // held here while the checkpoint is written
  pending_commit commit;
  commit.held = held;
  commit.step = std::move(step);
  commits_.emplace(record.ticket, std::move(commit));
  emit(std::move(record));
}

void delivery_machine::run_step(work_item item, job_step step) {
  auto checkpoint = item.job->checkpoint();
  if (!checkpoint.empty() && checkpoint != item.saved_checkpoint) {
    save_checkpoint_then(std::move(item), std::move(step));
    return;
  }
  switch (step.what) {
    case job_step::kind::send:
      item.request = std::move(step.request);
      item.attempt = 0;
      if (step.delay > s_.max_pause) {
        // The job was told to wait long (e.g. the org's daily limit): same rule as retries.
        retry_later(std::move(item), "the destination asked the job to wait", step.delay, false);
        return;
      }
      if (step.delay.count() > 0)
        park(std::move(item), step.delay);
      else
        ready_.push_front(std::move(item));
      pump();
      return;
    case job_step::kind::done: {
      ++report_.jobs;
      auto finished = item.saved_checkpoint;
      settle_outcomes(std::move(item), step.outcomes, std::move(finished));
      return;
    }
    case job_step::kind::failed:
      handle_verdict(std::move(item), std::move(step.verdict), 0);
      return;
  }
}

void delivery_machine::read_job_response(work_item item, const http_response& response) {
  // Transport failures and transient statuses repeat the same request; every other answer is
  // the job's to read.
  if (response.transport_failed() || classify_status(response.status) == status_class::retryable) {
    std::string reason = "transport: " + response.transport_error;
    std::chrono::milliseconds wait{0};
    if (!response.transport_failed()) {
      auto verdict = classify_response(response, item.batch.records.size());
      reason = verdict.reason;
      wait = verdict.retry_after;
    }
    bool may_have_landed = response.transport_failed() ? response.request_sent
                                                       : response.status != 429;
    if (may_have_landed)
      item.job->resending();
    ++item.attempt;
    retry_later(std::move(item), reason, wait, response.status == 429);
    return;
  }
  auto step = item.job->next(response);
  run_step(std::move(item), std::move(step));
}

// -- creates of unknown outcome (insert mode) -------------------------------------------------

/// Creates whose earlier attempt may have landed, at a destination that cannot look them up:
/// reported as rejected (visible in `backflow rejects`), never created a second time.
void delivery_machine::reject_unknown_outcome(work_item item, const std::string& why) {
  s_.log.warn("Not re-sending creates of unknown outcome: batch={} records={} reason=\"{}\"",
              item.batch.batch_id, item.batch.records.size(), why);
  std::vector<settled_outcome> settled;
  for (auto& r : item.batch.records)
    settled.push_back(settled_outcome::rejected(
        std::move(r), "outcome unknown: an earlier create may have landed (" + why +
                          "), so it was not sent again; check the destination, then `backflow retry`"));
  settle(item.origin, std::move(settled));
}

/// The answer to a lookup of unsure creates: found ones are delivered, the rest created now.
void delivery_machine::read_lookup(work_item item, const http_response& response) {
  item.looking_up = false;
  if (response.transport_failed()) {
    ++item.attempt;
    retry_later(std::move(item), "transport (looking records up): " + response.transport_error, {},
                false);
    return;
  }
  auto verdict =
      guarded("a lookup answer", [&] { return s_.dest->interpret_lookup(item.batch, response); });
  using kind = batch_verdict::kind;
  if (verdict.what == kind::retry || verdict.what == kind::fatal) {
    handle_verdict(std::move(item), std::move(verdict), response.status);  // stays unsure
    return;
  }
  if (verdict.what != kind::per_record) {
    reject_unknown_outcome(std::move(item), "the lookup failed: " + verdict.reason);
    return;
  }
  std::vector<settled_outcome> found;
  auto create = part_of(item);  // not found: never created, so safe to create now
  auto& records = item.batch.records;
  for (size_t i = 0; i < records.size(); ++i) {
    if (i < verdict.outcomes.size() && verdict.outcomes[i].what == record_outcome::kind::delivered)
      found.push_back(settled_outcome::delivered(std::move(records[i]), verdict.outcomes[i].dest_id));
    else
      create.batch.records.push_back(std::move(records[i]));
  }
  destination_notes notes;
  notes.counters["creates_looked_up"] = records.size();
  notes.counters["creates_found_existing"] = found.size();
  report_.notes.merge(notes);
  if (!create.batch.records.empty() && !found.empty())
    ++open_parts_[item.origin];
  if (!create.batch.records.empty())
    ready_.push_front(std::move(create));
  if (!found.empty())
    settle(item.origin, std::move(found));
}

}  // namespace backflow::delivery
