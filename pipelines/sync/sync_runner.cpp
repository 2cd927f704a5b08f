// Runs syncs end to end (see sync_runner.hpp).
#include "pipelines/sync/sync_runner.hpp"

#include <algorithm>
#include <chrono>

#include <spdlog/spdlog.h>

#include "actors/change_routing.hpp"
#include "pipelines/core/clock.hpp"
#include "pipelines/delivery/payload.hpp"
#include "pipelines/sync/freshness.hpp"
#include "pipelines/sync/guards.hpp"
#include "pipelines/sync/phases.hpp"
#include "pipelines/sync/progress_line.hpp"
#include "pipelines/sync/run_notifier.hpp"
#include "pipelines/sync/sync_identity.hpp"

namespace backflow {
namespace {

constexpr size_t rejected_samples = 10;
/// The longest text a plan sample shows of one value (the whole value goes when run).
constexpr size_t sample_value_bytes = 80;

/// `fields` with long text values cut (at a character boundary) and their length said.
nlohmann::json capped(nlohmann::json fields) {
  for (auto& [name, value] : fields.items()) {
    if (!value.is_string() || value.get_ref<const std::string&>().size() <= sample_value_bytes)
      continue;
    const auto& text = value.get_ref<const std::string&>();
    size_t cut = sample_value_bytes;
    while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80)
      --cut;  // not inside a UTF-8 sequence
    value = text.substr(0, cut) + "… (" + std::to_string(text.size()) + " bytes)";
  }
  return fields;
}

void copy_tally(const state::diff_tally& t, run_counts& c) {
  c.extracted = t.extracted;
  c.added = t.added;
  c.changed = t.changed;
  c.deleted = t.deleted;
  c.unchanged = t.unchanged;
  c.unchanged_rejected = t.unchanged_rejected;
  c.not_updated = t.not_updated;
}

nlohmann::json tally_json(const state::diff_tally& t) {
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

/// The sampled changes of a plan as apply would send them, for display.
std::vector<planned_change> describe_samples(const sync_config& cfg, const state::sync_state& st,
                                             const model_shape& shape,
                                             const state::diff_tally& tally) {
  std::vector<planned_change> out;
  auto add = [&](const std::vector<std::string>& keys) {
    st.env().read([&](state::transaction& txn) {
      for (const auto& key : keys) {
        auto change = st.load_change(txn, key);
        if (!change)
          continue;
        planned_change p;
        p.kind = state::to_string(change->kind);
        p.key = key;
        auto route = route_change(cfg.mode, change->kind);
        if (!route.send) {
          p.op = route.settle == state::settlement::skipped ? "skip (mode does not send changes)"
                                                            : "forget (mode does not send deletes)";
        } else if (*route.send == delivery_op::remove) {
          p.op = "remove";
          p.fields = {{"destination_id", change->dest_id}};
        } else if (change->mapping_failed) {
          p.op = "reject";
          p.fields = {{"mapping_error", change->payload}};
        } else {
          p.op = to_string(*route.send);
          p.fields = capped(fields_to_json(shape.fields, change->payload));
        }
        out.push_back(std::move(p));
      }
    });
  };
  add(tally.added_samples);
  add(tally.changed_samples);
  add(tally.deleted_samples);
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

uint64_t sync_runner::apply_change_set(const sync_config& cfg,
                                       const std::shared_ptr<state::sync_state>& st,
                                       const model_shape& shape, const run_options& opts,
                                       run_summary& summary,
                                       const std::shared_ptr<run_progress>& progress,
                                       progress_line& line, bool after_crash) {
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
    change_counts counts{summary.counts.added, summary.counts.changed, summary.counts.deleted};
    if (summary.counts.added + summary.counts.changed + summary.counts.deleted == 0)
      counts = {pending_changes, pending_changes, pending_changes};
    auto report = run_apply_phase(sys_, cfg, ctx, shape, summary.run_id, counts, progress, line);
    summary.apply_ms += std::chrono::duration_cast<std::chrono::milliseconds>(
                            std::chrono::steady_clock::now() - started)
                            .count();
    summary.api_calls += report.api_calls;
    summary.splits += report.splits;
    summary.counts.retried += report.retried;
    summary.jobs += report.jobs;
    summary.rate_limit_wait_ms += report.rate_limit_wait_ms;
    summary.destination.merge(report.notes);
    summary.error = report.fatal;
    if (progress->state_damaged)
      throw state::state_damaged("a record could not be committed (" + report.fatal + ")");
  }
  summary.counts.delivered = progress->delivered;
  summary.counts.rejected = progress->rejected;
  summary.counts.skipped = progress->skipped;
  summary.rejected = rejects_of_run(*st, summary.run_id);
  auto left = st->count().changes;
  if (left == 0) {
    // Every change settled: the change set is done, whatever stop request came late.
    st->env().write([&](state::transaction& txn) { st->store_plan(txn, state::plan_record{}); });
    summary.error.clear();
    return 0;
  }
  summary.counts.failed = left;
  if (summary.error.empty())
    summary.error = std::to_string(left) + " records could not be delivered in this run";
  summary.error += "; the next run resumes the " + std::to_string(left) + " changes left";
  return left;
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

run_summary sync_runner::execute(const sync_config& cfg, const run_options& opts, bool plan_only,
                                 std::vector<planned_change>* samples) {
  auto started = std::chrono::steady_clock::now();
  run_summary summary;
  summary.sync = cfg.name;
  summary.started_at = iso_now();
  std::shared_ptr<state::sync_state> st;
  bool recorded = false;
  redactor redact(cfg.secrets);
  nlohmann::json identity;
  // The sync's entry in the state directory's registry (what `status` lists).
  auto registry_entry = [&](nlohmann::json last_run) {
    nlohmann::json entry = {{"file", cfg.file.string()},
                            {"destination", cfg.destination_type},
                            {"mode", to_string(cfg.mode)},
                            {"account", destination_account(cfg)},
                            {"identity", identity}};
    if (!last_run.is_null())
      entry["last_run"] = std::move(last_run);
    return redact.json(entry);
  };
  // Every run that got an id is recorded in the sync's history, whatever its status.
  auto finish = [&](run_status status) {
    summary.status = status;
    summary.finished_at = iso_now();
    summary.duration_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                              std::chrono::steady_clock::now() - started)
                              .count();
    summary.peak_rss_mb = peak_rss_mb();
    summary.error = redact.text(summary.error);
    if (st && summary.run_id > 0 && !plan_only && !recorded) {
      recorded = true;
      st->store_run(summary.run_id, summary.to_json());
      dir_->register_sync(cfg.name, registry_entry(summary.to_json()));
    }
    return summary;
  };

  auto lock = state::sync_lock::acquire(dir_->path(), cfg.name);
  if (!lock) {
    summary.error = lock.error().message;
    return finish(run_status::incomplete);
  }
  try {
    st = std::make_shared<state::sync_state>(dir_, cfg.name);
    st->set_redactor(redact);
    st->tracks_identities = cfg.mode == sync_mode::audience;  // members share identifiers
    // A state built for another destination or source is not reused unawares.
    identity = sync_identity(cfg);
    auto known = dir_->sync_info(cfg.name);
    auto recorded_identity = known.is_object() ? known.value("identity", nlohmann::json()) : nlohmann::json();
    auto mismatch = identity_mismatch(recorded_identity, identity, cfg.name);
    // A state that never delivered anything is bound to no destination yet.
    auto sizes = st->count();
    if (sizes.keys == 0 && sizes.changes == 0)
      mismatch.clear();
    if (!mismatch.empty() && !opts.adopt) {
      summary.error = mismatch;
      return finish(run_status::config_error);
    }
    if (!mismatch.empty())
      spdlog::warn("Adopted: sync={} reason=\"--adopt: the state now belongs to the sync file's "
                   "destination and source\"", cfg.name);
    // Listed by `status` from its first run on, even when that run never finishes (a crash).
    if (!plan_only && (known.is_null() || recorded_identity != identity))
      dir_->register_sync(cfg.name, registry_entry(known.is_object() ? known.value("last_run", nlohmann::json())
                                                                     : nlohmann::json()));
    auto progress = std::make_shared<run_progress>();
    progress_line line(opts.show_progress);
    auto pending = st->load_plan();
    bool interrupted_run = pending.state == state::plan_record::status::applying;
    auto resumable = resumable_shape(cfg, pending);
    if (plan_only && interrupted_run) {
      summary.run_id = pending.run_id;
      summary.error = "run " + std::to_string(pending.run_id) + " was interrupted with " +
                      std::to_string(st->count().changes) + " changes left; the next `run` " +
                      (resumable ? "finishes them, then plans anew"
                                 : "re-plans, because the sync file changed since");
      return finish(run_status::planned);
    }
    if (!plan_only) {
      summary.run_id = st->new_run_id();
      spdlog::info("Run started: sync={} run={}", cfg.name, summary.run_id);
    }

    // Stale warehouse data is not worth sending: skip before touching the change set.
    if (!plan_only && cfg.freshness) {
      auto verdict = check_freshness(cfg.source, *cfg.freshness, wall_now());
      if (!verdict.fresh) {
        summary.error = verdict.query_failed
                            ? verdict.message
                            : "stale: " + verdict.message + "; the run was skipped, nothing sent";
        return finish(verdict.query_failed ? run_status::incomplete : run_status::stale);
      }
      spdlog::info("Fresh: sync={} run={} check=\"{}\"", cfg.name, summary.run_id, verdict.message);
    }

    // An interrupted change set is finished first, without re-reading the warehouse.
    if (resumable) {
      summary.resumed = true;
      summary.resumed_from = pending.run_id;
      spdlog::info("Resuming: sync={} run={} from_run={}", cfg.name, summary.run_id,
                   pending.run_id);
      if (apply_change_set(cfg, st, *resumable, opts, summary, progress, line, true) > 0)
        return finish(run_status::incomplete);
    } else if (interrupted_run) {
      spdlog::warn("Re-planning: sync={} reason=\"the sync file changed since interrupted run {}\"",
                   cfg.name, pending.run_id);
    }

    auto plan_started = std::chrono::steady_clock::now();
    auto planned = run_plan_phase(sys_, cfg, st, summary.run_id, progress, line, opts.interrupted);
    summary.plan_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::steady_clock::now() - plan_started)
                          .count();
    copy_tally(planned.tally, summary.counts);
    summary.problems = planned.problems;
    if (!planned.ok) {
      summary.error = planned.error;
      if (planned.damaged) {
        st.reset();  // nothing more is written to a damaged state, not even this run's record
        return finish(run_status::damaged);
      }
      st->clear_change_set();
      return finish(planned.failure);
    }
    auto guard_problems = tripped_guards(cfg.guards, planned.tally);
    if (plan_only) {
      if (samples != nullptr)
        *samples = describe_samples(cfg, *st, planned.shape, planned.tally);
      summary.problems = guard_problems;
      st->clear_change_set();
      return finish(run_status::planned);
    }
    if (!guard_problems.empty()) {
      summary.problems = guard_problems;
      summary.error = "a guard stopped the run before any write; nothing was sent";
      st->clear_change_set();
      return finish(run_status::aborted);
    }
    state::plan_record record;
    record.state = state::plan_record::status::applying;
    record.run_id = summary.run_id;
    record.fingerprint = planned.shape.fingerprint;
    record.config_fingerprint = cfg.config_fingerprint();
    record.fields = planned.shape.fields;
    record.counts = tally_json(planned.tally);
    auto profile = profile_of(summary.run_id, planned.tally, planned.values,
                              planned.shape.column_names());
    st->env().write([&](state::transaction& txn) {
      st->store_plan(txn, record);
      st->set_applied_config(txn, record.config_fingerprint);
      state::store_model_profile(txn, *st, profile);  // what the next run's guards compare with
    });

    // Re-planned after a crash: creates it had sent are in this plan again.
    bool replanned_after_crash = interrupted_run && !resumable;
    if (apply_change_set(cfg, st, planned.shape, opts, summary, progress, line,
                         replanned_after_crash) > 0)
      return finish(run_status::incomplete);
    return finish(summary.counts.rejected > 0 ? run_status::partial : run_status::success);
  } catch (const state::state_damaged& e) {
    // Nothing more is read from or written to a damaged state, not even this run's record.
    summary.error = e.what();
    st.reset();
    return finish(run_status::damaged);
  } catch (const std::exception& e) {
    summary.error = e.what();
    try {
      return finish(run_status::incomplete);
    } catch (const std::exception&) {
      return summary;  // the state itself is failing; report without recording
    }
  }
}

}  // namespace backflow
