// The apply phase: change set → read → map → batch → deliver → commit (see phases.hpp).
#include "pipelines/sync/phases.hpp"

#include "actors/apply_actors.hpp"
#include "connectors/destinations/registry.hpp"

namespace backflow {
namespace {

constexpr uint32_t reader_window = 4;    ///< change batches between read and map
constexpr size_t reader_batch = 500;     ///< changes per batch read back
constexpr uint32_t map_window = 4;       ///< record batches between map and batch

}  // namespace

apply_report run_apply_phase(caf::actor_system& sys, const sync_config& cfg,
                             const apply_phase_context& ctx, const model_shape& shape,
                             uint64_t run_id, const std::shared_ptr<run_progress>& progress,
                             progress_line& line) {
  apply_report report;
  const auto* type = find_destination_type(cfg.destination_type);
  std::shared_ptr<const destination> dest = type->make(cfg.connector_context(run_id));
  auto mapper = row_mapper::compile(shape.mapping, shape.projected);
  if (!mapper) {
    report.fatal = mapper.error().message;
    return report;
  }
  auto account = dest->account();
  auto used_today = ctx.dir->quota(account).used;
  caf::anon_send(ctx.limiter, limits_atom_v, account, dest->rate_limits(), used_today);

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
  ds.concurrency = cfg.delivery.concurrency;
  ds.retry = cfg.delivery.retry;
  ds.coordinator = self;
  ds.progress = progress;
  auto deliver = spawn_deliver(sys, std::move(ds));
  // The batcher may run one request ahead of each in-flight slot.
  auto batcher = spawn_batcher(sys, dest, deliver,
                               static_cast<uint32_t>(cfg.delivery.concurrency) + 2, run_id);
  auto map = spawn_map(sys, map_settings{cfg.mode, std::move(*mapper)}, batcher, map_window, commit);
  auto reader = spawn_change_reader(sys, ctx.st, map, reader_window, reader_batch);
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

}  // namespace backflow
