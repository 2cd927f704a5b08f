// `backflow serve`: run every sync of a directory on its schedule until SIGTERM/SIGINT.
#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <iostream>
#include <thread>

#include <malloc.h>
#include <pthread.h>
#include <spdlog/spdlog.h>

#include "actors/apply_actors.hpp"
#include "actors/runtime.hpp"
#include "pipelines/cli/commands.hpp"
#include "pipelines/cli/logging.hpp"
#include "pipelines/cli/sync_file.hpp"
#include "pipelines/core/option_spec.hpp"
#include "pipelines/serve/http_api.hpp"
#include "pipelines/serve/sync_service.hpp"

namespace backflow {
namespace {

/// A positive whole number option, or nullopt (after saying why) when it is not one.
std::optional<size_t> count_option(const cli_args& args, const std::string& name, size_t fallback) {
  auto text = args.option(name, std::to_string(fallback));
  try {
    size_t used = 0;
    auto value = std::stoul(text, &used);
    if (used == text.size() && value > 0)
      return static_cast<size_t>(value);
  } catch (...) {
  }
  std::cerr << "backflow serve: --" << name << " must be a whole number above 0, not \"" << text << "\"\n";
  return std::nullopt;
}

/// A duration option ("30", "30s", "500ms", "2m") of at least `least`, or nullopt (after saying
/// why) when it is not one.
std::optional<std::chrono::milliseconds> duration_option(const cli_args& args, const std::string& name,
                                                         const std::string& fallback,
                                                         std::chrono::milliseconds least) {
  auto text = args.option(name, fallback);
  long long ms = 0;
  if (parse_duration(nlohmann::json(text), ms) && std::chrono::milliseconds(ms) >= least)
    return std::chrono::milliseconds(ms);
  std::cerr << "backflow serve: --" << name << " must be a duration of at least " << least.count()
            << " ms, e.g. " << fallback << ", not \"" << text << "\"\n";
  return std::nullopt;
}

/// Signals are taken synchronously by the main thread (sigtimedwait), so every thread started
/// from here on must have them blocked.
sigset_t block_service_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  return set;
}

/// The next signal within `wait`, or 0.
int next_signal(const sigset_t& set, std::chrono::milliseconds wait) {
  timespec ts{static_cast<time_t>(wait.count() / 1000), static_cast<long>(wait.count() % 1000) * 1'000'000};
  int sig = sigtimedwait(&set, nullptr, &ts);
  return sig > 0 ? sig : 0;
}

/// glibc gives threads up to 8 malloc arenas per core, and an arena keeps what its threads freed
/// for them. Runs start threads (the run pool, detached actors), so a service running hundreds of
/// syncs spread its heap over every arena: 30 MiB at 500 syncs with the arena cap at its default,
/// 19 MiB at 2 (bench/RESULTS.md). One arena per core, at least 2, unless MALLOC_ARENA_MAX says.
void bound_malloc_arenas() {
  if (std::getenv("MALLOC_ARENA_MAX") != nullptr)
    return;  // glibc read it at start
  mallopt(M_ARENA_MAX, static_cast<int>(std::max(2u, std::thread::hardware_concurrency())));
}

}  // namespace

int cmd_serve(const cli_args& args) {
  auto syncs_dir = args.option("syncs", "");
  if (syncs_dir.empty() || !std::filesystem::is_directory(syncs_dir)) {
    std::cerr << "backflow serve: --syncs must name a directory of sync files"
              << (syncs_dir.empty() ? "" : ", not \"" + syncs_dir + "\"") << "\n";
    return exit_usage;
  }
  auto max_runs = count_option(args, "max-concurrent-runs", 4);
  auto keep_runs = count_option(args, "keep-runs", 100);
  auto stop_deadline = duration_option(args, "stop-deadline", "30s", std::chrono::milliseconds(0));
  auto poll_interval = duration_option(args, "poll-interval", "3s", std::chrono::milliseconds(100));
  if (!max_runs || !keep_runs || !stop_deadline || !poll_interval)
    return exit_usage;
  if (args.options.count("log-level") == 0)
    init_logging("info");  // a service says what it does unless told to be quiet

  bound_malloc_arenas();
  auto signals = block_service_signals();
  auto dir = state::state_dir::open(state_dir_argument(args));
  if (!dir) {
    std::cerr << "backflow serve: " << dir.error().message << "\n";
    return exit_usage;
  }
  actor_runtime runtime;
  auto limiter = spawn_rate_limiter(runtime.system());  // one for all syncs: shared accounts
  service_options opts;
  opts.syncs_dir = syncs_dir;
  opts.max_concurrent_runs = *max_runs;
  opts.keep_runs = *keep_runs;
  opts.poll_interval = *poll_interval;
  sync_service service(opts, runtime.system(), *dir, limiter);
  service.start();

  const char* token = std::getenv("BACKFLOW_API_TOKEN");
  http_api api(service, args.option("listen", "127.0.0.1:8484"), token != nullptr ? token : "");
  auto problem = api.start();
  if (!problem.empty()) {
    std::cerr << "backflow serve: " << problem << "\n";
    service.begin_stop();
    service.wait_stopped(std::chrono::system_clock::now() + *stop_deadline);
    caf::anon_send_exit(limiter, caf::exit_reason::user_shutdown);
    return exit_usage;
  }
  auto listed = service.syncs();
  std::cout << "backflow serve: " << listed["syncs"].size() << " syncs, " << listed["invalid"].size()
            << " invalid sync files; listening on http://" << args.option("listen", "127.0.0.1:8484")
                   .substr(0, args.option("listen", "127.0.0.1:8484").rfind(':'))
            << ":" << api.port() << std::endl;

  for (;;) {
    int sig = next_signal(signals, std::chrono::seconds(1));
    if (sig == SIGHUP) {
      spdlog::info("Reloading sync files: reason=SIGHUP");
      service.request_reload();
    } else if (sig == SIGINT || sig == SIGTERM) {
      break;
    }
  }

  service.begin_stop();
  auto deadline = std::chrono::system_clock::now() + *stop_deadline;
  while (!service.wait_stopped(std::min(deadline, std::chrono::system_clock::now() +
                                                      std::chrono::milliseconds(200)))) {
    int sig = next_signal(signals, std::chrono::milliseconds(0));
    bool again = sig == SIGINT || sig == SIGTERM;
    if (again || std::chrono::system_clock::now() >= deadline) {
      // Safe to leave: nothing unacknowledged is committed; the next start resumes the runs.
      spdlog::warn("Leaving with runs in flight: running={} reason=\"{}\"", service.running_count(),
                   again ? "asked to stop again" : "the stop deadline passed");
      spdlog::default_logger()->flush();
      std::cout.flush();
      std::_Exit(again ? 4 : 0);
    }
  }
  api.stop();
  spdlog::info("Stopped: reason=\"every run finished or checkpointed\"");
  caf::anon_send_exit(limiter, caf::exit_reason::user_shutdown);
  return 0;
}

}  // namespace backflow
