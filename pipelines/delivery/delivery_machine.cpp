// The delivery machine's events and its core bookkeeping: concurrency, parts, credit, stop, finish.
#include "pipelines/delivery/delivery_machine.hpp"

#include "pipelines/core/clock.hpp"

namespace backflow::delivery {

delivery_clock delivery_clock::real() {
  return {[] { return wall_now(); }, [] { return std::chrono::steady_clock::now(); }};
}

delivery_machine::delivery_machine(machine_settings settings)
    : s_(std::move(settings)), rng_(s_.seed) {
  token_.needed = s_.dest && s_.dest->build_token_request().has_value();
}

effects delivery_machine::take() {
  effects out;
  out.swap(out_);
  return out;
}

// -- events ---------------------------------------------------------------------------------

effects delivery_machine::on_batch(delivery_batch batch) {
  auto origin = new_origin();
  if (!report_.fatal.empty()) {
    report_.failed += batch.records.size();
    part_done(origin);
    return take();
  }
  work_item item;
  item.batch = std::move(batch);
  item.origin = origin;
  item.unsure = s_.verify_inserts && creates(item.batch);
  ready_.push_back(std::move(item));
  pump();
  return take();
}

effects delivery_machine::on_resume(delivery_batch batch, const std::string& checkpoint) {
  auto origin = new_origin();
  external_origins_.insert(origin);
  work_item item;
  item.batch = std::move(batch);
  item.batch.as_job = true;
  item.origin = origin;
  item.job = s_.dest->resume_job(item.batch, checkpoint);
  item.saved_checkpoint = checkpoint;
  if (!item.job) {
    external_origins_.erase(origin);
    open_parts_.erase(origin);
    return take();
  }
  start_job(std::move(item));
  return take();
}

effects delivery_machine::on_upstream_done() {
  upstream_done_ = true;
  maybe_finish();
  return take();
}

effects delivery_machine::on_token(uint64_t ticket, const token_answer& answer) {
  if (auto at = asked_.find(ticket); at != asked_.end()) {
    report_.rate_limit_wait_ms += std::chrono::duration_cast<std::chrono::milliseconds>(
                                      s_.clock.steady() - at->second)
                                      .count();
    asked_.erase(at);
  }
  auto it = acquiring_.find(ticket);
  if (it == acquiring_.end())
    return take();  // abandoned by stop()
  auto item = std::move(it->second);
  acquiring_.erase(it);
  if (!answer.granted) {
    report_.failed += item.batch.records.size();
    if (answer.retry_at_ms > pause_until_ms_)
      pause_until_ms_ = answer.retry_at_ms;  // remembered across restarts
    stop(answer.reason);
    part_done(item.origin);
  } else {
    send(std::move(item));
  }
  pump();
  maybe_finish();
  return take();
}

effects delivery_machine::on_response(uint64_t ticket, const http_response& response) {
  if (token_.fetching != 0 && ticket == token_.fetching) {
    token_.fetching = 0;
    read_token_response(response);
    pump();
    maybe_finish();
    return take();
  }
  auto it = in_flight_.find(ticket);
  if (it != in_flight_.end()) {
    auto item = std::move(it->second);
    in_flight_.erase(it);
    read_response(std::move(item), response);
  }
  pump();
  maybe_finish();
  return take();
}

effects delivery_machine::on_timer(uint64_t timer) {
  if (token_.retry_timer != 0 && timer == token_.retry_timer) {
    token_.retry_timer = 0;
    if (report_.fatal.empty())
      fetch_token();
    maybe_finish();
    return take();
  }
  auto it = delayed_.find(timer);
  if (it == delayed_.end())
    return take();
  ready_.push_front(std::move(it->second));
  delayed_.erase(it);
  pump();
  maybe_finish();
  return take();
}

effects delivery_machine::on_committed(uint64_t ticket) {
  auto it = commits_.find(ticket);
  if (it == commits_.end())
    return take();
  auto commit = std::move(it->second);
  commits_.erase(it);
  if (!commit.held) {
    part_done(commit.origin);
    pump();
    maybe_finish();
    return take();
  }
  // A checkpoint is written: the job it holds goes on (unless stop() abandoned it meanwhile).
  auto held = delayed_.find(*commit.held);
  if (held != delayed_.end()) {
    auto item = std::move(held->second);
    delayed_.erase(held);
    run_step(std::move(item), std::move(*commit.step));
  }
  maybe_finish();
  return take();
}

effects delivery_machine::on_commit_failed(uint64_t ticket, const std::string& why) {
  auto it = commits_.find(ticket);
  if (it == commits_.end())
    return take();
  auto commit = std::move(it->second);
  commits_.erase(it);
  stop(why);
  if (!commit.held)
    part_done(commit.origin);
  maybe_finish();
  return take();
}

effects delivery_machine::on_stop(const std::string& why) {
  stop(why);
  maybe_finish();
  return take();
}

// -- the policy -----------------------------------------------------------------------------

uint64_t delivery_machine::new_origin() {
  auto origin = ++next_id_;
  open_parts_[origin] = 1;
  return origin;
}

void delivery_machine::part_done(uint64_t origin) {
  auto it = open_parts_.find(origin);
  if (it == open_parts_.end() || --it->second > 0)
    return;
  open_parts_.erase(it);
  if (external_origins_.erase(origin) == 0)
    emit(give_credit{1});
}

void delivery_machine::stop(const std::string& why) {
  if (!report_.fatal.empty())
    return;
  report_.fatal = why;
  s_.log.warn("Stopping delivery: reason=\"{}\"", why);
  // Queued and delayed work is abandoned: those records stay in the change set for next run.
  for (auto* pool : {&delayed_, &acquiring_})
    for (auto& [id, item] : *pool) {
      report_.failed += item.batch.records.size();
      part_done(item.origin);
    }
  delayed_.clear();
  acquiring_.clear();
  abandon_token_waiters();
  for (auto& item : ready_) {
    report_.failed += item.batch.records.size();
    part_done(item.origin);
  }
  ready_.clear();
}

void delivery_machine::pump() {
  if (!report_.fatal.empty()) {
    // Stopping: work that came back since (a job's next step, a split, a retry that was due)
    // is left for the next run, like the work stop() found queued.
    for (auto& item : ready_) {
      report_.failed += item.batch.records.size();
      part_done(item.origin);
    }
    ready_.clear();
  }
  // A request counts against the concurrency until its outcome is committed, so a crash re-sends
  // at most `concurrency` batches.
  while (report_.fatal.empty() && !ready_.empty() &&
         static_cast<int>(in_flight_.size() + acquiring_.size() + commits_.size() +
                          token_.waiting.size()) <
             s_.concurrency) {
    auto id = ++next_id_;
    acquiring_.emplace(id, std::move(ready_.front()));
    ready_.pop_front();
    asked_.emplace(id, s_.clock.steady());
    emit(acquire_token{id, s_.max_pause});
  }
}

void delivery_machine::maybe_finish() {
  bool stopping = !report_.fatal.empty();
  if (reported_ || !(upstream_done_ || stopping) || !ready_.empty() || !in_flight_.empty() ||
      !acquiring_.empty() || (!delayed_.empty() && !stopping) || !commits_.empty() ||
      !token_.waiting.empty() || token_.fetching != 0 || (token_.retry_timer != 0 && !stopping) ||
      (!stopping && !external_origins_.empty()))
    return;
  if (unreported_calls_ > 0 || pause_until_ms_ > 0) {
    settle(0, {});  // persist the remaining API calls (and a pause) with the quota
    return;
  }
  reported_ = true;
  emit(finish{report_});
}

bool creates(const delivery_batch& batch) {
  return !batch.records.empty() && batch.records.front().op == delivery_op::insert;
}

}  // namespace backflow::delivery
