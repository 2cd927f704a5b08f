// The shared set-up of `plan`, `run` and `retry` (see run_session.hpp).
#include "pipelines/cli/run_session.hpp"

#include <atomic>
#include <csignal>
#include <iostream>

#include <unistd.h>

#include "actors/apply_actors.hpp"
#include "actors/runtime.hpp"
#include "pipelines/cli/commands.hpp"
#include "pipelines/cli/sync_file.hpp"
#include "pipelines/core/redaction.hpp"
#include "state/model_profile.hpp"

namespace backflow {
namespace {

std::atomic<bool> interrupted{false};

extern "C" void on_stop_signal(int) {
  if (interrupted.exchange(true))
    std::_Exit(4);  // a second signal: leave now (state is safe: nothing unacknowledged commits)
}

void install_signal_handlers() {
  struct sigaction sa {};
  sa.sa_handler = on_stop_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
}

}  // namespace

int with_run_session(const cli_args& args, const std::function<int(const run_session&)>& body) {
  auto cfg = load_sync_argument(args);
  if (!cfg)
    return exit_usage;
  auto dir = state::state_dir::open(state_dir_argument(args));
  if (!dir) {
    std::cerr << "backflow " << args.command << ": " << dir.error().message << "\n";
    return exit_usage;
  }
  // Before the run starts: a sync file that does not fit its model records no run.
  auto previous = state::load_model_profile(state::sync_state(*dir, cfg->name));
  if (!check_against_model(*cfg, args.positional.front(), previous))
    return exit_usage;
  install_signal_handlers();
  actor_runtime runtime;
  auto limiter = spawn_rate_limiter(runtime.system());
  sync_runner runner(runtime.system(), *dir, limiter);
  run_options opts;
  opts.show_progress = !args.flag("json") && isatty(STDERR_FILENO) != 0;
  opts.interrupted = &interrupted;
  opts.adopt = args.flag("adopt");
  int code = body(run_session{*cfg, *dir, runner, opts});
  caf::anon_send_exit(limiter, caf::exit_reason::user_shutdown);
  return code;
}

void print_summary(const run_summary& summary, bool json) {
  if (json)
    std::cout << redact_secrets(summary.to_json().dump()) << std::endl;
  else
    std::cout << redact_secrets(summary.to_text()) << std::flush;
}

}  // namespace backflow
