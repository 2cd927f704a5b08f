// The steps of a run (see sync_runner.hpp): open the state, load an interrupted change set,
// gate on dbt and freshness, resume, plan, check guards, record the plan (or write it to a plan
// file, or take a reviewed one in), apply.
#include <algorithm>
#include <chrono>
#include <thread>

#include <spdlog/spdlog.h>

#include "pipelines/core/clock.hpp"
#include "pipelines/sync/dbt_check.hpp"
#include "pipelines/sync/freshness.hpp"
#include "pipelines/sync/guards.hpp"
#include "pipelines/sync/plan_samples.hpp"
#include "pipelines/sync/reviewed_plan.hpp"
#include "pipelines/sync/sync_attempt.hpp"
#include "pipelines/sync/sync_identity.hpp"
#include "state/outcome_log.hpp"

namespace backflow {
namespace {

/// The plan's counts as the stored plan record keeps them.
nlohmann::json plan_json(const plan_counts& t) {
  return {{"extracted", t.extracted}, {"added", t.added},         {"changed", t.changed},
          {"deleted", t.deleted},     {"unchanged", t.unchanged}, {"stored_before", t.stored_before}};
}

/// The model's profile a plan leaves for the next run's guards, once applied.
state::model_profile accepted_profile(const plan_phase_result& planned, uint64_t run_id,
                                      const std::optional<state::model_profile>& previous) {
  auto profile = profile_of(run_id, model_tally(planned, previous), planned.values,
                            planned.shape.column_names());
  // A window, or spans remembered as unchanged (not inspected), show some of each column's kinds.
  bool partial = (planned.window && planned.window->windowed) || planned.values.uninspected_rows > 0;
  if (partial && previous)
    for (auto& column : profile.columns)
      if (const auto* was = previous->find(column.name))
        column.kinds |= was->kinds;
  return profile;
}

}  // namespace

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

}  // namespace backflow
