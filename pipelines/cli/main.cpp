// The `backflow` command: validate, plan, apply, run, verify, status, runs, rejects, retry, reset, describe, serve.
#include <iostream>
#include <map>

#include <curl/curl.h>

#include "pipelines/cli/commands.hpp"
#include "pipelines/cli/logging.hpp"
#include "pipelines/core/redaction.hpp"
#include "state/lmdb.hpp"

namespace {

constexpr const char* usage = R"(backflow — reverse ETL: sync warehouse models into SaaS tools

usage:
  backflow validate SYNC.json [--offline] [--print]   check a sync file (all errors at once)
  backflow plan SYNC.json [--state DIR] [--json]      what a run would send; sends nothing
  backflow plan SYNC.json --out FILE [--full] [--json]
                                                      the whole plan as a reviewable file
                                                      (--full: every record listed too)
  backflow apply FILE [--state DIR] [--sync SYNC.json] [--json]
                                                      send exactly a reviewed plan file; refused
                                                      (exit 3) when the sync file, the model's
                                                      shape or the state moved since
  backflow run SYNC.json [--state DIR] [--json] [--adopt]
                                                      one run: plan, guards, apply; --adopt
                                                      takes over a state built for another
                                                      address or credential of the same
                                                      destination and source
  backflow status [--state DIR] [--json]              syncs in a state directory, last runs
  backflow runs SYNC.json [--state DIR] [--limit N] [--json]   run history of a sync
  backflow rejects SYNC.json [--state DIR] [--limit N] [--json]   records the destination refused
  backflow retry SYNC.json [--state DIR] [--json]     a run that also resends every rejected record
  backflow reset SYNC.json [--state DIR]              forget a sync's state: next run resends all
  backflow unpause SYNC|SYNC.json|ACCOUNT [--state DIR]
                                                      lift a pause a destination asked for
  backflow verify SYNC.json [--state DIR] [--sample N | --all] [--repair] [--json]
                                                      read back synced records; report those
                                                      edited or deleted at the destination;
                                                      --repair: the next run resends them
  backflow describe [TYPE]                            destinations and their options
  backflow dbt exposures --syncs DIR [--out FILE]     the syncs of dbt models as dbt exposures
                                                      (YAML for the dbt project's models/)
  backflow serve --syncs DIR [--state DIR] [--listen HOST:PORT] [--max-concurrent-runs N]
                 [--keep-runs N] [--stop-deadline 30s] [--poll-interval 3s]
                                                      run every sync file of DIR on its
                                                      schedule, with an HTTP API (default
                                                      127.0.0.1:8484; bearer token from
                                                      BACKFLOW_API_TOKEN); SIGHUP or a change
                                                      seen by polling DIR reloads; SIGTERM
                                                      stops after in-flight batches

options:
  --state DIR        state directory (default ./.backflow)
  --log-level LEVEL  debug, info, warn (default), error, off
  --log-format FMT   text or json (one object per line); default text on a terminal, else json

exit codes of run: 0 success, 1 finished with rejected records, 2 configuration or usage error,
  3 aborted by a guard, a bad model or the dbt gate (nothing sent), 4 could not finish (state
  intact; the next run resumes), 5 skipped as stale, 6 the state directory is damaged (nothing
  sent from it); of verify: 0 no drift, 1 drift found (--repair: marked for resend), 7 the
  destination cannot read records back
)";

}  // namespace

int main(int argc, char** argv) {
  using namespace backflow;
  auto parsed = parse_cli(argc, argv, {"state", "log-level", "log-format", "limit", "syncs", "listen",
                                       "max-concurrent-runs", "keep-runs", "stop-deadline", "poll-interval", "out", "sync",
                                       "sample"},
                          {"json", "offline", "print", "help", "version", "adopt", "full", "all", "repair"});
  if (!parsed) {
    std::cerr << "backflow: " << parsed.error().message << "\n";
    return exit_usage;
  }
  const auto& args = *parsed;
  if (args.flag("version")) {
    std::cout << "backflow 0.1.0\n";
    return 0;
  }
  if (args.command.empty() || args.command == "help" || args.flag("help")) {
    std::cout << usage;
    return args.command.empty() && !args.flag("help") ? exit_usage : 0;
  }
  std::optional<log_format> format;
  if (args.options.count("log-format") != 0) {
    format = parse_log_format(args.option("log-format", ""));
    if (!format) {
      std::cerr << "backflow: --log-format must be text or json, not \"" << args.option("log-format", "")
                << "\"\n";
      return exit_usage;
    }
  }
  init_logging(args.option("log-level", "warn"), format);
  curl_global_init(CURL_GLOBAL_DEFAULT);
  static const std::map<std::string, int (*)(const cli_args&)> commands = {
    {"validate", cmd_validate}, {"plan", cmd_plan},   {"run", cmd_run},      {"status", cmd_status},
    {"runs", cmd_runs},         {"reset", cmd_reset}, {"describe", cmd_describe},
    {"rejects", cmd_rejects},   {"retry", cmd_retry},  {"serve", cmd_serve},
    {"unpause", cmd_unpause},   {"dbt", cmd_dbt},     {"apply", cmd_apply},
    {"verify", cmd_verify},
  };
  auto it = commands.find(args.command);
  if (it == commands.end()) {
    std::cerr << "backflow: unknown command \"" << args.command << "\"\n\n" << usage;
    return exit_usage;
  }
  int code;
  try {
    code = it->second(args);
  } catch (const state::state_damaged& e) {
    std::cerr << "backflow " << args.command << ": " << redact_secrets(e.what()) << "\n";
    code = state::exit_state_damaged;
  } catch (const std::exception& e) {
    // A bug, not a user error: say so plainly, never a bare std::terminate.
    std::cerr << "backflow " << args.command << ": unexpected error: "
              << redact_secrets(e.what()) << "\n";
    code = 4;
  }
  curl_global_cleanup();
  return code;
}
