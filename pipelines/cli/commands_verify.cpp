// `backflow verify`: read back what the destination holds for synced records; report drift and,
// with --repair, mark the drifted records for resend by the next run.
#include <iostream>

#include "actors/apply_actors.hpp"
#include "actors/runtime.hpp"
#include "pipelines/cli/commands.hpp"
#include "pipelines/cli/sync_file.hpp"
#include "pipelines/core/redaction.hpp"
#include "pipelines/delivery/payload.hpp"
#include "pipelines/sync/drift_check.hpp"

namespace backflow {
namespace {

/// --sample N (a positive integer), --all: every synced record; neither: a sample of 100.
std::optional<verify_options> parse_verify_options(const cli_args& args) {
  verify_options opts;
  opts.all = args.flag("all");
  opts.repair = args.flag("repair");
  if (args.options.count("sample") == 0)
    return opts;
  const auto text = args.option("sample", "");
  if (opts.all) {
    std::cerr << "backflow verify: --sample and --all exclude each other\n";
    return std::nullopt;
  }
  size_t used = 0;
  long long n = 0;
  try {
    n = std::stoll(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used != text.size() || text.empty() || n < 1) {
    std::cerr << "backflow verify: --sample must be a positive number of records, not \"" << text
              << "\"\n";
    return std::nullopt;
  }
  opts.sample = static_cast<size_t>(n);
  return opts;
}

}  // namespace

int cmd_verify(const cli_args& args) {
  auto opts = parse_verify_options(args);
  if (!opts)
    return exit_usage;
  auto cfg = load_sync_argument(args);
  if (!cfg)
    return exit_usage;
  auto dir = state::state_dir::open(state_dir_argument(args));
  if (!dir) {
    std::cerr << "backflow verify: " << dir.error().message << "\n";
    return exit_usage;
  }
  actor_runtime runtime;
  auto limiter = spawn_rate_limiter(runtime.system());
  auto report = verify_sync(runtime.system(), limiter, *dir, *cfg, *opts);
  caf::anon_send_exit(limiter, caf::exit_reason::user_shutdown);
  redactor redact(cfg->secrets);
  if (args.flag("json"))
    std::cout << redact.text(dump_exact(report.to_json())) << std::endl;  // numbers digit for digit
  else
    std::cout << redact.text(report.to_text()) << std::flush;
  return report.exit_code();
}

}  // namespace backflow
