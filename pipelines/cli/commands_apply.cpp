// `backflow apply FILE`: sends exactly a reviewed plan file's records, or refuses saying what
// moved since it was written.
#include <atomic>
#include <csignal>
#include <iostream>

#include <unistd.h>

#include "actors/apply_actors.hpp"
#include "actors/runtime.hpp"
#include "pipelines/cli/commands.hpp"
#include "pipelines/cli/run_session.hpp"
#include "pipelines/cli/sync_file.hpp"
#include "pipelines/core/redaction.hpp"
#include "pipelines/sync/reviewed_plan.hpp"

namespace backflow {
namespace {

std::atomic<bool> apply_interrupted{false};

extern "C" void on_apply_stop_signal(int) {
  if (apply_interrupted.exchange(true))
    std::_Exit(4);  // a second signal: leave now (nothing unacknowledged is committed)
}

/// Prints the outcome: a refusal (no run took place, none recorded) in one line, else the
/// run's summary as `run` prints it.
int report(run_summary summary, bool json) {
  if (summary.run_id == 0 && summary.status != run_status::success) {
    summary.error = "plan refused: " + summary.error;
    if (summary.error.find("nothing was sent") == std::string::npos)
      summary.error += "; nothing was sent";
    if (!json) {
      std::cout << "apply of " << summary.sync << ": " << redact_secrets(summary.error) << "\n";
      return exit_code(summary.status);
    }
  }
  print_summary(summary, json);
  return exit_code(summary.status);
}

int refuse(const std::string& sync, run_status status, const std::string& reason, bool json) {
  run_summary summary;
  summary.sync = sync;
  summary.status = status;
  summary.error = reason;
  return report(std::move(summary), json);
}

}  // namespace

int cmd_apply(const cli_args& args) {
  if (args.positional.size() != 1) {
    std::cerr << "backflow apply: expected one plan file, e.g. `backflow apply plan.jsonl` "
                 "(written by `backflow plan SYNC.json --out plan.jsonl`)\n";
    return exit_usage;
  }
  auto file = plan_file_reader::open(args.positional.front());
  if (!file) {
    std::cerr << "backflow apply: " << file.error().message << "\n";
    return exit_usage;
  }
  // The sync file the plan was made from (or --sync: the same file in another checkout),
  // loaded as `run` loads it (secrets registered); check_plan_file says whether it is the same.
  cli_args sync_args = args;
  sync_args.positional = {args.option("sync", file->header().value("sync_file", ""))};
  auto cfg = load_sync_argument(sync_args);
  if (!cfg)
    return exit_usage;
  const bool json = args.flag("json");
  auto checked = check_plan_file(*file, *cfg);
  if (const auto* refusal = std::get_if<plan_refusal>(&checked))
    return refuse(cfg->name, refusal->status, refusal->reason, json);
  const auto& plan = std::get<reviewed_plan>(checked);
  auto dir = state::state_dir::open(args.option("state", file->header().value("state_dir", "")));
  if (!dir) {
    std::cerr << "backflow apply: " << dir.error().message << "\n";
    return exit_usage;
  }
  struct sigaction sa {};
  sa.sa_handler = on_apply_stop_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  actor_runtime runtime;
  auto limiter = spawn_rate_limiter(runtime.system());
  sync_runner runner(runtime.system(), *dir, limiter);
  run_options opts;
  opts.show_progress = !json && isatty(STDERR_FILENO) != 0;
  opts.interrupted = &apply_interrupted;
  opts.adopt = args.flag("adopt");
  auto summary = runner.apply_reviewed(*cfg, opts, plan);
  caf::anon_send_exit(limiter, caf::exit_reason::user_shutdown);
  return report(std::move(summary), json);
}

}  // namespace backflow
