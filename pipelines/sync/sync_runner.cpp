// Runs syncs end to end (see sync_runner.hpp).
#include "pipelines/sync/sync_runner.hpp"

#include <algorithm>
#include <chrono>
#include <thread>

#include <spdlog/spdlog.h>

#include "pipelines/core/clock.hpp"
#include "pipelines/core/redaction.hpp"
#include "pipelines/sync/dbt_check.hpp"
#include "pipelines/sync/freshness.hpp"
#include "pipelines/sync/guards.hpp"
#include "pipelines/sync/phases.hpp"
#include "pipelines/sync/plan_samples.hpp"
#include "pipelines/sync/progress_line.hpp"
#include "pipelines/sync/reviewed_plan.hpp"
#include "pipelines/sync/run_notifier.hpp"
#include "pipelines/sync/sync_identity.hpp"
#include "pipelines/sync/writeback.hpp"
#include "state/outcome_log.hpp"

namespace backflow {
namespace {

constexpr size_t rejected_samples = 10;

/// The plan's counts as the stored plan record keeps them.
nlohmann::json plan_json(const plan_counts& t) {
  return {{"extracted", t.extracted}, {"added", t.added},         {"changed", t.changed},
          {"deleted", t.deleted},     {"unchanged", t.unchanged}, {"stored_before", t.stored_before}};
}

/// Records rejected in `run_id`, with the vendor's reasons.
std::vector<rejected_sample> rejects_of_run(const state::sync_state& st, uint64_t run_id) {
  std::vector<rejected_sample> out;
  for (auto& r : st.list_rejects(rejected_samples, run_id))
    out.push_back({std::move(r.key), std::move(r.record.reason)});
  return out;
}

/// The model's profile a plan leaves for the next run's guards, once applied.
state::model_profile accepted_profile(const plan_phase_result& planned, uint64_t run_id,
                                      const std::optional<state::model_profile>& previous) {
  auto profile = profile_of(run_id, model_tally(planned, previous), planned.values,
                            planned.shape.column_names());
  if (planned.window && planned.window->windowed && previous)
    for (auto& column : profile.columns)  // a window shows some of each column's kinds
      if (const auto* was = previous->find(column.name))
        column.kinds |= was->kinds;
  return profile;
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

/// What one execution of a sync carries from step to step.
struct sync_runner::attempt {
  attempt(const sync_config& c, const run_options& o, bool plan, std::vector<planned_change>* out)
      : cfg(c), opts(o), plan_only(plan), samples(out), redact(c.secrets), line(o.show_progress) {
    summary.sync = cfg.name;
    summary.started_at = iso_now();
  }

  const sync_config& cfg;
  const run_options& opts;
  const bool plan_only;
  std::vector<planned_change>* samples;  ///< plan: the sampled changes, for display
  plan_file_writer* plan_out = nullptr;   ///< plan --out: the plan file to write
  const reviewed_plan* plan_in = nullptr;  ///< apply FILE: the reviewed plan to apply
  const std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();
  run_summary summary;
  redactor redact;
  std::shared_ptr<state::sync_state> st;
  nlohmann::json identity;  ///< the destination account and source this state belongs to
  bool recorded = false;
  std::shared_ptr<run_progress> progress = std::make_shared<run_progress>();
  progress_line line;
  state::plan_record pending;  ///< the change set an interrupted run left, if any
  bool interrupted_run = false;
  std::optional<model_shape> resumable;  ///< its shape, when the sync file still produces it
  plan_phase_result planned;
  int64_t unanswered_at_ms = 0;  ///< when a request of this run last went unanswered (unix ms)
  int64_t resumed_unanswered_at_ms = 0;  ///< the same, for the resumed change set's requests
};

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

std::optional<run_status> sync_runner::open_state(attempt& a) {
  const auto& cfg = a.cfg;
  a.st = std::make_shared<state::sync_state>(dir_, cfg.name);
  a.st->set_redactor(a.redact);
  a.st->tracks_identities = cfg.mode == sync_mode::audience;  // members share identifiers
  state::use_outcome_log(*a.st, cfg.writeback.has_value());
  // A state built for another destination or source is not reused unawares.
  a.identity = sync_identity(cfg);
  auto known = dir_->sync_info(cfg.name);
  auto recorded_identity =
      known.is_object() ? known.value("identity", nlohmann::json()) : nlohmann::json();
  // The state keeps the identity redacted (an endpoint given by an environment variable is a
  // secret too) and its digest: the digest says whether it is the same, the redacted form what
  // changed.
  auto recorded_digest = known.is_object() ? known.value("identity_digest", "") : std::string();
  auto shown = a.redact.json(a.identity);
  bool same = recorded_identity.is_null() ||
              (recorded_digest.empty() ? recorded_identity == shown
                                       : recorded_digest == identity_digest(a.identity));
  auto mismatch = same ? std::string()
                      : identity_mismatch(recorded_identity, shown, cfg.name,
                                          /*secret_part_differs=*/true);
  // A state that never delivered anything is bound to no destination yet.
  auto sizes = a.st->count();
  if (sizes.keys == 0 && sizes.changes == 0)
    mismatch.clear();
  if (!mismatch.empty() && !a.opts.adopt) {
    a.summary.error = mismatch;
    return run_status::config_error;
  }
  if (!mismatch.empty())
    spdlog::warn("Adopted: sync={} reason=\"--adopt: the state now belongs to the sync file's "
                 "destination and source\"", cfg.name);
  // Listed by `status` from its first run on, even when that run never finishes (a crash).
  if (!a.plan_only && (known.is_null() || !same || recorded_digest.empty()))
    dir_->register_sync(cfg.name,
                        registry_entry(a, known.is_object() ? known.value("last_run", nlohmann::json())
                                                            : nlohmann::json()));
  return std::nullopt;
}

std::optional<run_status> sync_runner::load_pending(attempt& a) {
  a.pending = a.st->load_plan();
  a.interrupted_run = a.pending.state == state::plan_record::status::applying;
  a.resumable = resumable_shape(a.cfg, a.pending);
  if (a.plan_only && a.interrupted_run) {
    a.summary.run_id = a.pending.run_id;
    a.summary.error = "run " + std::to_string(a.pending.run_id) + " was interrupted with " +
                      std::to_string(a.st->count().changes) + " changes left; the next `run` " +
                      (a.resumable ? "finishes them, then plans anew"
                                   : "re-plans, because the sync file changed since");
    return run_status::planned;
  }
  if (!a.plan_only) {
    a.summary.run_id = a.st->new_run_id();
    spdlog::info("Run started: sync={} run={}", a.cfg.name, a.summary.run_id);
  }
  return std::nullopt;
}

std::optional<run_status> sync_runner::check_dbt(attempt& a) {
  // A model whose dbt tests failed is not sent anywhere: before anything is read or resumed.
  if (!a.cfg.dbt)
    return std::nullopt;
  auto verdict = judge_dbt_model(*a.cfg.dbt, wall_now());
  a.summary.dbt_gate = verdict.to_json();
  if (!verdict.open) {
    a.summary.error = verdict.summary() + "; nothing was read or sent";
    a.summary.problems = verdict.blocking;
    return run_status::aborted;
  }
  spdlog::info("dbt gate open: sync={} run={} model={} tests={} nodes={}", a.cfg.name,
               a.summary.run_id, a.cfg.dbt->unique_id, verdict.tests_checked,
               verdict.nodes_checked);
  for (const auto& note : verdict.notes)
    spdlog::warn("dbt gate: sync={} note=\"{}\"", a.cfg.name, note);
  return std::nullopt;
}

std::optional<run_status> sync_runner::check_fresh(attempt& a) {
  // Stale warehouse data is not worth sending: skip before touching the change set.
  if (a.plan_only || !a.cfg.freshness)
    return std::nullopt;
  auto verdict = check_freshness(a.cfg.source, *a.cfg.freshness, wall_now());
  if (!verdict.fresh) {
    a.summary.error = verdict.query_failed
                          ? verdict.message
                          : "stale: " + verdict.message + "; the run was skipped, nothing sent";
    return verdict.query_failed ? run_status::incomplete : run_status::stale;
  }
  spdlog::info("Fresh: sync={} run={} check=\"{}\"", a.cfg.name, a.summary.run_id,
               verdict.message);
  return std::nullopt;
}

std::optional<run_status> sync_runner::resume_interrupted(attempt& a) {
  // An interrupted change set is finished first, without re-reading the warehouse.
  if (a.resumable) {
    a.summary.resumed = true;
    a.summary.resumed_from = a.pending.run_id;
    spdlog::info("Resuming: sync={} run={} from_run={}", a.cfg.name, a.summary.run_id,
                 a.pending.run_id);
    if (apply_change_set(a, *a.resumable, true) > 0)
      return run_status::incomplete;
    a.resumed_unanswered_at_ms = a.unanswered_at_ms;
  } else if (a.interrupted_run) {
    spdlog::warn("Re-planning: sync={} reason=\"the sync file changed since interrupted run {}\"",
                 a.cfg.name, a.pending.run_id);
  }
  return std::nullopt;
}

std::optional<run_status> sync_runner::plan_changes(attempt& a) {
  auto plan_started = std::chrono::steady_clock::now();
  a.planned = run_plan_phase(sys_, a.cfg, a.st, a.summary.run_id, a.progress, a.line,
                             a.opts.interrupted);
  a.summary.plan_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::steady_clock::now() - plan_started)
                          .count();
  a.summary.plan = a.planned.tally;
  a.summary.problems = a.planned.problems;
  if (a.planned.window)
    a.summary.read_window = a.planned.window->to_json();
  if (a.planned.ok)
    return std::nullopt;
  a.summary.error = a.planned.error;
  if (a.planned.damaged) {
    a.st.reset();  // nothing more is written to a damaged state, not even this run's record
    return run_status::damaged;
  }
  a.st->clear_change_set();
  return a.planned.failure;
}

std::optional<run_status> sync_runner::check_guards(attempt& a) {
  auto guard_problems = tripped_guards(a.cfg.guards, a.planned.tally);
  if (a.plan_only) {
    if (a.samples != nullptr)
      *a.samples = describe_samples(a.cfg, *a.st, a.planned.shape, a.planned.tally);
    a.summary.problems = guard_problems;
    auto written = a.plan_out != nullptr ? write_plan(a, guard_problems) : std::nullopt;
    a.st->clear_change_set();
    return written.value_or(run_status::planned);
  }
  if (guard_problems.empty())
    return std::nullopt;
  a.summary.problems = guard_problems;
  a.summary.error = "a guard stopped the run before any write; nothing was sent";
  a.st->clear_change_set();
  return run_status::aborted;
}

std::optional<run_status> sync_runner::record_plan(attempt& a) {
  state::plan_record record;
  record.state = state::plan_record::status::applying;
  record.run_id = a.summary.run_id;
  record.fingerprint = a.planned.shape.fingerprint;
  record.config_fingerprint = a.cfg.config_fingerprint();
  record.fields = a.planned.shape.fields;
  record.counts = plan_json(a.planned.tally);
  auto profile =
      accepted_profile(a.planned, a.summary.run_id, state::load_model_profile(*a.st));
  // The mark this run read waits for its change set to be fully committed (finish_change_set).
  if (a.planned.mark)
    state::store_pending_mark(*a.st, *a.planned.mark);
  state::start_apply(*a.st, record, profile);
  return std::nullopt;
}

std::optional<run_status> sync_runner::write_plan(attempt& a,
                                                  const std::vector<std::string>& guard_problems) {
  if (!guard_problems.empty()) {
    a.summary.error = "a guard would stop this plan: no plan file was written";
    return run_status::aborted;
  }
  plan_context context;
  context.position = state::read_position(*a.st);
  context.run_id = context.position.last_run_id + 1;
  context.profile = accepted_profile(a.planned, context.run_id, state::load_model_profile(*a.st));
  context.mark = a.planned.mark;
  context.counts = a.planned.tally;
  context.state_dir = dir_->path().string();
  auto written = write_plan_file(*a.plan_out, a.cfg, *a.st, a.planned.shape, context);
  if (!written) {
    a.summary.error = written.error().message;
    return run_status::aborted;
  }
  spdlog::info("Plan written: sync={} file={} records={} run={}", a.cfg.name, a.plan_out->path(),
               a.plan_out->records(), context.run_id);
  return std::nullopt;
}

std::optional<run_status> sync_runner::take_reviewed(attempt& a) {
  const auto& plan = *a.plan_in;
  auto verdict = admit_plan(plan, *a.st);
  if (verdict.what == admission::action::refuse) {
    a.summary.error = verdict.reason + "; nothing was sent";
    return run_status::aborted;
  }
  a.summary.plan = plan.counts;
  static_cast<plan_counts&>(a.planned.tally) = plan.counts;
  a.planned.shape = plan.shape;
  if (verdict.what == admission::action::resume) {
    // Its apply was interrupted: finish exactly its change set, nothing else.
    a.summary.run_id = a.st->new_run_id();
    a.summary.resumed = true;
    a.summary.resumed_from = plan.run_id;
    spdlog::info("Resuming reviewed plan: sync={} run={} from_run={}", a.cfg.name,
                 a.summary.run_id, plan.run_id);
    if (apply_change_set(a, plan.shape, true) > 0)
      return run_status::incomplete;
    return a.summary.outcomes.rejected > 0 ? run_status::partial : run_status::success;
  }
  if (auto imported = import_plan(plan, a.cfg, *a.st); !imported) {
    a.summary.error = imported.error().message + "; nothing was sent";
    return run_status::aborted;
  }
  a.summary.run_id = plan.run_id;
  spdlog::info("Run started: sync={} run={} plan_records={}", a.cfg.name, a.summary.run_id,
               plan.counts.changes());
  return std::nullopt;
}

void sync_runner::wait_out_unanswered(const attempt& a) const {
  if (a.resumed_unanswered_at_ms == 0)
    return;
  const auto until = std::chrono::system_clock::time_point(
                         std::chrono::milliseconds(a.resumed_unanswered_at_ms)) +
                     a.cfg.delivery.request_timeout;
  const auto left = until - wall_now();
  if (left <= std::chrono::milliseconds(0))
    return;
  spdlog::info("Waiting: sync={} run={} ms={} reason=\"a request of the resumed change set went "
               "unanswered; the destination may still apply it\"",
               a.cfg.name, a.summary.run_id,
               std::chrono::duration_cast<std::chrono::milliseconds>(left).count());
  while (wall_now() < until &&
         !(a.opts.interrupted != nullptr && a.opts.interrupted->load()))
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
}

std::optional<run_status> sync_runner::apply_plan(attempt& a) {
  // Re-planned after a crash: creates it had sent are in this plan again.
  bool replanned_after_crash = a.interrupted_run && !a.resumable;
  if (a.planned.tally.changes() > 0)
    wait_out_unanswered(a);
  if (apply_change_set(a, a.planned.shape, replanned_after_crash) > 0)
    return run_status::incomplete;
  return a.summary.outcomes.rejected > 0 ? run_status::partial : run_status::success;
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
