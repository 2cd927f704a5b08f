// `backflow status`, `backflow runs` and `backflow reset`: inspect and reset stored state.
#include <iomanip>
#include <iostream>
#include <optional>

#include "pipelines/cli/commands.hpp"
#include "pipelines/cli/sync_file.hpp"
#include "state/state_dir.hpp"
#include "state/sync_state.hpp"

namespace backflow {
namespace {

std::shared_ptr<state::state_dir> open_existing(const cli_args& args) {
  auto path = state_dir_argument(args);
  if (!std::filesystem::exists(std::filesystem::path(path) / "data.mdb")) {
    std::cerr << "backflow " << args.command << ": no state in " << path
              << " (run a sync first, or pass --state DIR)\n";
    return nullptr;
  }
  auto dir = state::state_dir::open(path);
  if (!dir) {
    std::cerr << "backflow " << args.command << ": " << dir.error().message << "\n";
    return nullptr;
  }
  return *dir;
}

/// The sync file argument and an existing state directory, or nullopt after saying what is wrong.
std::optional<std::pair<sync_config, std::shared_ptr<state::state_dir>>> sync_and_state(
    const cli_args& args) {
  auto cfg = load_sync_argument(args);
  if (!cfg)
    return std::nullopt;
  auto dir = open_existing(args);
  if (!dir)
    return std::nullopt;
  return std::make_pair(std::move(*cfg), std::move(dir));
}

std::string counts_line(const nlohmann::json& run) {
  auto c = run.value("counts", nlohmann::json::object());
  return std::to_string(c.value("delivered", 0)) + " delivered, " +
         std::to_string(c.value("rejected", 0)) + " rejected, " +
         std::to_string(c.value("failed", 0)) + " left, " +
         std::to_string(run.value("api_calls", 0)) + " API calls";
}

}  // namespace

int cmd_status(const cli_args& args) {
  auto dir = open_existing(args);
  if (!dir)
    return exit_usage;
  nlohmann::json all = nlohmann::json::array();
  for (const auto& [name, info] : dir->syncs()) {
    state::sync_state st(dir->env(), name);
    auto sizes = st.count();
    auto plan = st.load_plan();
    nlohmann::json entry = {{"sync", name},
                            {"destination", info.value("destination", "")},
                            {"mode", info.value("mode", "")},
                            {"file", info.value("file", "")},
                            {"synced_keys", sizes.keys},
                            {"pending_changes", sizes.changes},
                            {"rejected_keys", sizes.rejects},
                            {"interrupted_run", plan.state == state::plan_record::status::applying
                                                    ? nlohmann::json(plan.run_id)
                                                    : nlohmann::json(nullptr)},
                            {"last_run", info.value("last_run", nlohmann::json())}};
    all.push_back(entry);
  }
  if (args.flag("json")) {
    std::cout << all.dump() << std::endl;
    return 0;
  }
  if (all.empty())
    std::cout << "no syncs in " << dir->path().string() << "\n";
  for (const auto& e : all) {
    std::cout << e["sync"].get<std::string>() << " → " << e["destination"].get<std::string>()
              << " (" << e["mode"].get<std::string>() << "): " << e["synced_keys"] << " keys synced, "
              << e["rejected_keys"] << " rejected";
    if (!e["interrupted_run"].is_null())
      std::cout << ", run " << e["interrupted_run"] << " interrupted with " << e["pending_changes"]
                << " changes left (the next run resumes it)";
    std::cout << "\n";
    const auto& last = e["last_run"];
    if (last.is_object())
      std::cout << "  last run " << last.value("run_id", 0) << ": "
                << last.value("status", std::string()) << " at "
                << last.value("finished_at", std::string()) << " — " << counts_line(last) << "\n";
  }
  return 0;
}

int cmd_runs(const cli_args& args) {
  auto opened = sync_and_state(args);
  if (!opened)
    return exit_usage;
  auto& [cfg, dir] = *opened;
  state::sync_state st(dir->env(), cfg.name);
  size_t limit = 20;
  try {
    limit = static_cast<size_t>(std::stoul(args.option("limit", "20")));
  } catch (...) {
    std::cerr << "backflow runs: --limit must be a number\n";
    return exit_usage;
  }
  auto runs = st.recent_runs(limit);
  if (args.flag("json")) {
    std::cout << nlohmann::json(runs).dump() << std::endl;
    return 0;
  }
  for (const auto& r : runs)
    std::cout << "run " << r.value("run_id", 0) << "  " << std::left << std::setw(11)
              << r.value("status", std::string()) << " " << r.value("started_at", std::string())
              << "  " << r.value("duration_ms", 0) << " ms  " << counts_line(r) << "\n";
  return 0;
}

int cmd_reset(const cli_args& args) {
  auto opened = sync_and_state(args);
  if (!opened)
    return exit_usage;
  auto& [cfg, dir] = *opened;
  auto lock = state::sync_lock::acquire(dir->path(), cfg.name);
  if (!lock) {
    std::cerr << "backflow reset: " << lock.error().message << "\n";
    return 4;
  }
  state::sync_state st(dir->env(), cfg.name);
  auto before = st.count();
  st.reset();
  std::cout << "reset " << cfg.name << ": forgot " << before.keys << " synced keys, "
            << before.changes << " pending changes and " << before.rejects
            << " rejects; the next run sends every row again\n";
  return 0;
}

}  // namespace backflow
