// The apply phase: change set → read → map → batch → deliver → commit (see phases.hpp).
#include "pipelines/sync/phases.hpp"

#include "actors/apply_actors.hpp"
#include "actors/change_routing.hpp"
#include "connectors/destinations/registry.hpp"
#include "pipelines/core/clock.hpp"
#include "pipelines/core/crypto.hpp"

namespace backflow {
namespace {

constexpr uint32_t reader_window = 4;    ///< change batches between read and map
constexpr size_t reader_batch = 500;     ///< changes per batch read back
constexpr uint32_t map_window = 4;       ///< record batches between map and batch

/// How many records of each op a pass will send, from the change set's counts by kind (at
/// most: a changed audience member is removed first only when its identity moved).
op_counts expected_ops(sync_mode mode, apply_pass pass, const plan_counts& counts) {
  op_counts out;
  auto add = [&](state::change_kind kind, uint64_t n) {
    if (auto route = route_change(mode, kind); route.send)
      out[static_cast<int>(*route.send)] += n;
  };
  if (pass != apply_pass::removals) {
    add(state::change_kind::added, counts.added);
    add(state::change_kind::changed, counts.changed);
  }
  if (pass != apply_pass::additions)
    add(state::change_kind::deleted, counts.deleted);
  if (pass == apply_pass::removals)
    out[static_cast<int>(delivery_op::remove)] += counts.changed;
  return out;
}

/// A job submitted before a crash, rebuilt from the changes it still covers.
struct resumable_job {
  std::string checkpoint;
  delivery_batch batch;
};

/// Rebuilds the pending jobs' batches; jobs whose changes all settled meanwhile are forgotten.
std::vector<resumable_job> load_jobs(const route_context& routing, state::sync_state& st,
                                     key_set& keys) {
  std::vector<resumable_job> out;
  std::vector<std::string> finished;
  for (auto& job : st.pending_jobs()) {
    resumable_job r{job.checkpoint, {}};
    r.batch.batch_id = job.batch_id;
    r.batch.field_names = routing.fields;
    r.batch.as_job = true;
    std::vector<state::settled_record> ignored;  // settled when the job's results come in
    for (auto& change : st.changes_of(job.keys)) {
      keys.insert(change.key);
      map_change(routing, std::move(change), r.batch.records, ignored);
    }
    if (r.batch.records.empty())
      finished.push_back(job.checkpoint);
    else
      out.push_back(std::move(r));
  }
  st.forget_jobs(finished);
  return out;
}

/// One pass over the change set: read → map → batch → deliver → commit.
apply_report run_pass(caf::actor_system& sys, const sync_config& cfg,
                      const apply_phase_context& ctx, const route_context& routing,
                      std::shared_ptr<const destination> dest, uint64_t run_id,
                      const plan_counts& counts, const std::shared_ptr<run_progress>& progress,
                      progress_line& line) {
  apply_report report;
  auto account = dest->account();
  auto limits = dest->rate_limits();
  auto quota = ctx.dir->quota(account, quota_day(wall_now(), limits.day_offset));
  caf::anon_send(ctx.limiter, limits_atom_v, account, limits, quota.used);
  auto now_ms = wall_now_ms();
  if (quota.paused_until_ms > now_ms)  // a pause asked for (or a budget spent) in an earlier run
    caf::anon_send(ctx.limiter, pause_atom_v, account, quota.paused_until_ms - now_ms);

  auto job_keys = std::make_shared<key_set>();
  auto jobs = load_jobs(routing, *ctx.st, *job_keys);

  http_client_options http_options;
  http_options.request_timeout = cfg.delivery.request_timeout;
  http_options.max_connections_per_host = cfg.delivery.concurrency;
  auto http = std::make_shared<http_client>(http_options);

  caf::scoped_actor self{sys};
  auto commit = spawn_commit(sys, ctx.dir, ctx.st, run_id, progress);
  deliver_settings ds;
  ds.dest = dest;
  ds.http = http;
  ds.rate_limiter = ctx.limiter;
  ds.commit = commit;
  ds.account = account;
  ds.sync = cfg.name;
  ds.run_id = run_id;
  ds.limits = limits;
  ds.concurrency = cfg.delivery.concurrency;
  ds.retry = cfg.delivery.retry;
  ds.max_pause = cfg.delivery.max_pause;
  ds.max_wait = cfg.delivery.max_wait.value_or(find_destination_type(cfg.destination_type)->max_wait);
  ds.verify_inserts = ctx.after_crash && cfg.mode == sync_mode::insert;
  ds.coordinator = self;
  ds.progress = progress;
  auto deliver = spawn_deliver(sys, std::move(ds));
  for (auto& job : jobs)
    caf::anon_send(deliver, resume_atom_v, std::move(job.batch), job.checkpoint);
  // The batcher may run one request ahead of each in-flight slot. Its batch ids start with a
  // nonce drawn now: a batch id is never reused for other records, whatever state came before.
  auto batcher = spawn_batcher(sys, dest, deliver,
                               static_cast<uint32_t>(cfg.delivery.concurrency) + 2,
                               random_hex(8), expected_ops(cfg.mode, routing.pass, counts));
  auto map = spawn_map(sys, routing, batcher, map_window, commit);
  auto reader = spawn_change_reader(sys, ctx.st, map, reader_window, reader_batch, job_keys);
  for (const auto& a : {caf::actor_cast<caf::actor>(deliver), caf::actor_cast<caf::actor>(batcher),
                        caf::actor_cast<caf::actor>(map), caf::actor_cast<caf::actor>(reader),
                        caf::actor_cast<caf::actor>(commit)})
    self->monitor(a);

  bool done = false;
  bool stop_sent = false;
  while (!done) {
    self->receive(
        [&](apply_report& r) {
          report = std::move(r);
          done = true;
        },
        [&](caf::down_msg& down) {
          if (!down.reason || down.reason == caf::exit_reason::normal)
            return;
          if (!stop_sent) {
            stop_sent = true;
            caf::anon_send(deliver, stop_atom_v,
                           "a pipeline stage stopped unexpectedly: " + caf::to_string(down.reason));
          }
          if (down.source == deliver.address()) {
            report.fatal = "delivery stopped unexpectedly: " + caf::to_string(down.reason);
            done = true;
          }
        },
        caf::after(std::chrono::milliseconds(200)) >> [&] {
          line.applying(*progress);
          if (ctx.interrupted != nullptr && ctx.interrupted->load() && !stop_sent) {
            stop_sent = true;
            caf::anon_send(deliver, stop_atom_v,
                           std::string("interrupted; in-flight requests were allowed to finish"));
          }
        });
  }
  line.clear();
  for (const auto& a : {caf::actor_cast<caf::actor>(batcher), caf::actor_cast<caf::actor>(map),
                        caf::actor_cast<caf::actor>(reader), caf::actor_cast<caf::actor>(commit)})
    caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
  return report;
}

/// Adds the figures of one pass to the run's.
void add_pass(apply_report& total, apply_report pass) {
  total.failed += pass.failed;
  total.retried += pass.retried;
  total.api_calls += pass.api_calls;
  total.splits += pass.splits;
  total.jobs += pass.jobs;
  total.rate_limit_wait_ms += pass.rate_limit_wait_ms;
  total.notes.merge(pass.notes);
  total.unanswered_at_ms = std::max(total.unanswered_at_ms, pass.unanswered_at_ms);
  if (total.fatal.empty())
    total.fatal = std::move(pass.fatal);
}

}  // namespace

apply_report run_apply_phase(caf::actor_system& sys, const sync_config& cfg,
                             const apply_phase_context& ctx, const model_shape& shape,
                             uint64_t run_id, const plan_counts& counts,
                             const std::shared_ptr<run_progress>& progress, progress_line& line) {
  const auto* type = find_destination_type(cfg.destination_type);
  std::shared_ptr<const destination> dest = type->make(cfg.connector_context(run_id));
  apply_report report;
  for (auto pass : apply_passes(cfg.mode)) {
    route_context routing{cfg.mode, pass, shape.fields};
    add_pass(report, run_pass(sys, cfg, ctx, routing, dest, run_id, counts, progress, line));
    if (!report.fatal.empty() || (ctx.interrupted != nullptr && ctx.interrupted->load()))
      break;  // the next run resumes the change set from the first pass
  }
  return report;
}

}  // namespace backflow
