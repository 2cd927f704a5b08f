// The delivery layer's side of asynchronous jobs (e.g. Salesforce Bulk API 2.0): it sends each
// step's request with tokens and retries, persists the job's checkpoint before polling it, and
// settles the records with the job's per-record outcomes.
#include "actors/deliver_state.hpp"

#include "pipelines/delivery/status_classifier.hpp"

namespace backflow::deliver {
namespace {

void run_step(self_ptr self, work_item item, job_step step);

/// Persists the job's checkpoint (once it has one) before the job goes on: a crash from here on
/// resumes the job by polling it instead of submitting its records again.
void save_checkpoint_then(self_ptr self, work_item item, job_step step) {
  auto& st = self->state;
  job_record record;
  record.checkpoint = item.job->checkpoint();
  record.batch_id = item.batch.batch_id;
  record.replaces = item.saved_checkpoint;
  for (const auto& r : item.batch.records)
    record.keys.push_back(r.key);
  item.saved_checkpoint = record.checkpoint;
  ++st.pending_commits;
  auto id = ++st.next_id;
  st.delayed.emplace(id, std::move(item));  // held here while the checkpoint is written
  self->request(st.s.commit, caf::infinite, std::move(record))
      .then(
          [=](const commit_ack&) mutable {
            auto& st = self->state;
            --st.pending_commits;
            auto it = st.delayed.find(id);
            if (it == st.delayed.end())
              return;  // abandoned by stop()
            auto held = std::move(it->second);
            st.delayed.erase(it);
            run_step(self, std::move(held), std::move(step));
            maybe_finish(self);
          },
          [=](const caf::error& err) {
            --self->state.pending_commits;
            stop(self, "cannot write state: " + caf::to_string(err));
            maybe_finish(self);
          });
}

void run_step(self_ptr self, work_item item, job_step step) {
  auto& st = self->state;
  auto checkpoint = item.job->checkpoint();
  if (!checkpoint.empty() && checkpoint != item.saved_checkpoint) {
    save_checkpoint_then(self, std::move(item), std::move(step));
    return;
  }
  switch (step.what) {
    case job_step::kind::send:
      item.request = std::move(step.request);
      item.attempt = 0;
      if (step.delay > st.s.max_pause) {
        // The job was told to wait long (e.g. the org's daily limit): same rule as retries.
        retry_later(self, std::move(item), "the destination asked the job to wait", step.delay,
                    false);
        return;
      }
      if (step.delay.count() > 0)
        park(self, std::move(item), step.delay);
      else
        st.ready.push_front(std::move(item));
      pump(self);
      return;
    case job_step::kind::done: {
      ++st.report.jobs;
      auto finished = item.saved_checkpoint;
      settle_outcomes(self, std::move(item), step.outcomes, std::move(finished));
      return;
    }
    case job_step::kind::failed:
      handle_verdict(self, std::move(item), std::move(step.verdict), 0);
      return;
  }
}

}  // namespace

void start_job(self_ptr self, work_item item) {
  auto& st = self->state;
  if (!item.job)
    item.job = st.s.dest->make_job(item.batch);
  if (!item.job) {
    stop(self, "the destination offers no job API for batch " + item.batch.batch_id);
    part_done(self, item.origin);
    return;
  }
  auto step = item.job->start();
  run_step(self, std::move(item), std::move(step));
}

void on_job_response(self_ptr self, work_item item, http_response& response) {
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
    retry_later(self, std::move(item), reason, wait, response.status == 429);
    return;
  }
  auto step = item.job->next(response);
  run_step(self, std::move(item), std::move(step));
}

}  // namespace backflow::deliver
