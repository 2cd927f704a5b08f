// Runs syncs end to end (see sync_runner.hpp).
#include "pipelines/sync/sync_runner.hpp"

#include <algorithm>
#include <chrono>

#include <spdlog/spdlog.h>

#include "pipelines/core/redaction.hpp"
#include "pipelines/sync/phases.hpp"
#include "pipelines/sync/progress_line.hpp"
#include "pipelines/sync/run_notifier.hpp"
#include "pipelines/sync/sync_attempt.hpp"
#include "pipelines/sync/sync_identity.hpp"
#include "pipelines/sync/writeback.hpp"

namespace backflow {
namespace {

constexpr size_t rejected_samples = 10;

/// Records rejected in `run_id`, with the vendor's reasons.
std::vector<rejected_sample> rejects_of_run(const state::sync_state& st, uint64_t run_id) {
  std::vector<rejected_sample> out;
  for (auto& r : st.list_rejects(rejected_samples, run_id))
    out.push_back({std::move(r.key), std::move(r.record.reason)});
  return out;
}

}  // namespace

sync_runner::sync_runner(caf::actor_system& sys, std::shared_ptr<state::state_dir> dir,
                         rate_limiter_actor limiter)
    : sys_(sys), dir_(std::move(dir)), limiter_(std::move(limiter)) {}

std::optional<model_shape> sync_runner::resumable_shape(const sync_config& cfg,
                                                        const state::plan_record& pending) const {
  if (pending.state != state::plan_record::status::applying ||
      pending.config_fingerprint != cfg.config_fingerprint())
    return std::nullopt;
  auto shape = model_shape::of_stored(cfg, pending.fields);
  if (shape.fingerprint != pending.fingerprint)
    return std::nullopt;
  return shape;
}

run_summary sync_runner::run(const sync_config& cfg, const run_options& opts) {
  auto summary = execute(cfg, opts, false, nullptr);
  if (cfg.notify)
    notify_run(*cfg.notify, summary);  // logs its own failure; never changes the outcome
  return summary;
}

run_summary sync_runner::plan(const sync_config& cfg, const run_options& opts,
                              std::vector<planned_change>& samples) {
  return execute(cfg, opts, true, &samples);
}

run_summary sync_runner::plan_to_file(const sync_config& cfg, const run_options& opts,
                                      std::vector<planned_change>& samples,
                                      plan_file_writer& out) {
  return execute(cfg, opts, true, &samples, &out);
}

run_summary sync_runner::apply_reviewed(const sync_config& cfg, const run_options& opts,
                                        const reviewed_plan& plan) {
  auto summary = execute(cfg, opts, false, nullptr, nullptr, &plan);
  if (cfg.notify)
    notify_run(*cfg.notify, summary);
  return summary;
}

uint64_t sync_runner::apply_change_set(attempt& a, const model_shape& shape, bool after_crash) {
  const auto& cfg = a.cfg;
  const auto& st = a.st;
  const auto& opts = a.opts;
  auto& summary = a.summary;
  const auto& progress = a.progress;
  auto pending_changes = st->count().changes;
  bool stop_requested = opts.interrupted != nullptr && opts.interrupted->load();
  if (pending_changes > 0 && stop_requested)
    summary.error = "interrupted before delivery started";
  if (pending_changes > 0 && !stop_requested) {
    progress->to_apply = pending_changes;
    progress->settled = 0;
    apply_phase_context ctx{dir_, st, limiter_, opts.interrupted, after_crash};
    auto started = std::chrono::steady_clock::now();
    // A resumed change set's split by kind is unknown: count every change as any kind.
    plan_counts counts = summary.plan;
    if (counts.changes() == 0)
      counts.added = counts.changed = counts.deleted = pending_changes;
    auto report = run_apply_phase(sys_, cfg, ctx, shape, summary.run_id, counts, progress, a.line);
    a.unanswered_at_ms = std::max(a.unanswered_at_ms, report.unanswered_at_ms);
    summary.apply_ms += std::chrono::duration_cast<std::chrono::milliseconds>(
                            std::chrono::steady_clock::now() - started)
                            .count();
    summary.api_calls += report.api_calls;
    summary.splits += report.splits;
    summary.jobs += report.jobs;
    summary.rate_limit_wait_ms += report.rate_limit_wait_ms;
    summary.destination.merge(report.notes);
    summary.error = report.fatal;
    progress->retried += report.retried;
    if (progress->state_damaged)
      throw state::state_damaged("a record could not be committed (" + report.fatal + ")");
  }
  summary.outcomes = progress->outcomes();  // counted as the commit actor wrote them
  summary.rejected = rejects_of_run(*st, summary.run_id);
  auto left = st->count().changes;
  if (left == 0) {
    // Every change settled: the change set is done, whatever stop request came late.
    st->finish_change_set();
    summary.error.clear();
    return 0;
  }
  summary.outcomes.failed = left;
  if (summary.error.empty())
    summary.error = std::to_string(left) + " records could not be delivered in this run";
  summary.error += "; the next run resumes the " + std::to_string(left) + " changes left";
  return left;
}

nlohmann::json sync_runner::registry_entry(const attempt& a, nlohmann::json last_run) const {
  nlohmann::json entry = {{"file", a.cfg.file.string()},
                          {"destination", a.cfg.destination_type},
                          {"mode", to_string(a.cfg.mode)},
                          {"account", destination_account(a.cfg)},
                          {"identity", a.identity},
                          {"identity_digest", identity_digest(a.identity)}};
  if (!last_run.is_null())
    entry["last_run"] = std::move(last_run);
  return a.redact.json(entry);
}

run_summary sync_runner::finish(attempt& a, run_status status) {
  auto& summary = a.summary;
  summary.status = status;
  summary.finished_at = iso_now();
  summary.duration_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                            std::chrono::steady_clock::now() - a.started)
                            .count();
  summary.peak_rss_mb = peak_rss_mb();
  summary.error = a.redact.text(summary.error);
  // Every run that got an id is recorded in the sync's history, whatever its status.
  if (a.st && summary.run_id > 0 && !a.plan_only && !a.recorded) {
    a.recorded = true;
    a.st->store_run(summary.run_id, summary.to_json());
    dir_->register_sync(a.cfg.name, registry_entry(a, summary.to_json()));
  }
  return summary;
}

run_summary sync_runner::write_back_step(attempt& a, run_summary summary) {
  if (!a.cfg.writeback || a.plan_only || !a.st || !a.recorded)
    return summary;
  summary.writeback = write_back(*a.cfg.writeback, *a.st, summary.run_id).to_json();
  try {
    a.st->store_run(summary.run_id, summary.to_json());  // `runs` shows the write-back too
  } catch (const std::exception& e) {
    spdlog::warn("Run record not updated: sync={} run={} error=\"{}\"", a.cfg.name,
                 summary.run_id, a.redact.text(e.what()));
  }
  return summary;
}

run_summary sync_runner::execute(const sync_config& cfg, const run_options& opts, bool plan_only,
                                 std::vector<planned_change>* samples, plan_file_writer* plan_out,
                                 const reviewed_plan* plan_in) {
  attempt a(cfg, opts, plan_only, samples);
  a.plan_out = plan_out;
  a.plan_in = plan_in;
  auto lock = state::sync_lock::acquire(dir_->path(), cfg.name);
  if (!lock) {
    a.summary.error = lock.error().message;
    return finish(a, run_status::incomplete);
  }
  // Each step either lets the run go on or ends it with a status; apply_plan always ends it.
  using step = std::optional<run_status> (sync_runner::*)(attempt&);
  static constexpr step steps[] = {&sync_runner::open_state,   &sync_runner::load_pending,
                                   &sync_runner::check_dbt,    &sync_runner::check_fresh,
                                   &sync_runner::resume_interrupted,
                                   &sync_runner::plan_changes, &sync_runner::check_guards,
                                   &sync_runner::record_plan,  &sync_runner::apply_plan};
  // apply FILE: the change set comes from the reviewed plan, not from the model.
  static constexpr step reviewed_steps[] = {&sync_runner::open_state, &sync_runner::take_reviewed,
                                            &sync_runner::apply_plan};
  const step* first = plan_in != nullptr ? std::begin(reviewed_steps) : std::begin(steps);
  const step* last = plan_in != nullptr ? std::end(reviewed_steps) : std::end(steps);
  try {
    for (const step* run_step = first; run_step != last; ++run_step)
      if (auto status = (this->*(*run_step))(a))
        return write_back_step(a, finish(a, *status));
    throw std::logic_error("a run ended without a status");
  } catch (const state::state_damaged& e) {
    // Nothing more is read from or written to a damaged state, not even this run's record.
    a.summary.error = e.what();
    a.st.reset();
    return finish(a, run_status::damaged);
  } catch (const std::exception& e) {
    a.summary.error = e.what();
    try {
      return write_back_step(a, finish(a, run_status::incomplete));
    } catch (const std::exception&) {
      return a.summary;  // the state itself is failing; report without recording
    }
  }
}

}  // namespace backflow
