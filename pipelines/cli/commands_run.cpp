// `backflow plan` and `backflow run`: one sync, once.
#include <atomic>
#include <csignal>
#include <iostream>

#include <unistd.h>

#include "actors/apply_actors.hpp"
#include "actors/runtime.hpp"
#include "pipelines/cli/commands.hpp"
#include "pipelines/cli/sync_file.hpp"
#include "pipelines/core/redaction.hpp"
#include "pipelines/sync/sync_runner.hpp"

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

/// Runs `body` with an actor system, a state directory and a runner; prints setup failures.
template <class Body>
int with_runner(const cli_args& args, Body body) {
  auto cfg = load_sync_argument(args);
  if (!cfg)
    return exit_usage;
  auto dir = state::state_dir::open(state_dir_argument(args));
  if (!dir) {
    std::cerr << "backflow " << args.command << ": " << dir.error().message << "\n";
    return exit_usage;
  }
  // Before the run starts: a sync file that does not fit its model records no run.
  auto previous = state::load_model_profile(state::sync_state((*dir)->env(), cfg->name));
  if (!check_against_model(*cfg, args.positional.front(), previous))
    return exit_usage;
  install_signal_handlers();
  actor_runtime runtime;
  auto limiter = spawn_rate_limiter(runtime.system());
  sync_runner runner(runtime.system(), *dir, limiter);
  run_options opts;
  opts.show_progress = !args.flag("json") && isatty(STDERR_FILENO) != 0;
  opts.interrupted = &interrupted;
  int code = body(*cfg, runner, opts);
  caf::anon_send_exit(limiter, caf::exit_reason::user_shutdown);
  return code;
}

void print_summary(const run_summary& summary, bool json) {
  if (json)
    std::cout << redact_secrets(summary.to_json().dump()) << std::endl;
  else
    std::cout << redact_secrets(summary.to_text()) << std::flush;
}

}  // namespace

int cmd_run(const cli_args& args) {
  return with_runner(args, [&](const sync_config& cfg, sync_runner& runner, const run_options& opts) {
    auto summary = runner.run(cfg, opts);
    print_summary(summary, args.flag("json"));
    return exit_code(summary.status);
  });
}

int cmd_plan(const cli_args& args) {
  return with_runner(args, [&](const sync_config& cfg, sync_runner& runner, const run_options& opts) {
    std::vector<planned_change> samples;
    auto summary = runner.plan(cfg, opts, samples);
    if (args.flag("json")) {
      auto j = summary.to_json();
      nlohmann::json sample_json = nlohmann::json::array();
      for (const auto& s : samples)
        sample_json.push_back({{"kind", s.kind}, {"op", s.op}, {"key", s.key}, {"fields", s.fields}});
      j["samples"] = sample_json;
      std::cout << redact_secrets(j.dump()) << std::endl;
      return exit_code(summary.status);
    }
    const auto& c = summary.counts;
    if (summary.status == run_status::planned && summary.error.empty()) {
      std::cout << "plan for " << cfg.name << ": " << c.added << " added, " << c.changed
                << " changed, " << c.deleted << " deleted, " << c.unchanged << " unchanged ("
                << c.extracted << " rows read); nothing was sent\n";
      if (c.unchanged_rejected > 0)
        std::cout << "  " << c.unchanged_rejected
                  << " rows were rejected earlier and have not changed: not re-sent\n";
      for (const auto& p : summary.problems)
        std::cout << "  a guard would stop `run`: " << p << "\n";
      if (!samples.empty())
        std::cout << "sample of what `run` would send:\n";
      for (const auto& s : samples)
        std::cout << "  " << s.kind << " → " << s.op << "  " << s.key << "  "
                  << (s.fields.is_null() ? std::string() : s.fields.dump()) << "\n";
      return 0;
    }
    print_summary(summary, false);
    return exit_code(summary.status);
  });
}

}  // namespace backflow
