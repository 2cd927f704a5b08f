// `backflow status`, `runs`, `reset` and `unpause`: inspect and reset stored state.
#include <filesystem>
#include <iomanip>
#include <map>
#include <iostream>
#include <optional>

#include "connectors/destinations/registry.hpp"
#include "pipelines/cli/commands.hpp"
#include "pipelines/cli/sync_file.hpp"
#include "pipelines/core/clock.hpp"
#include "state/cursor_mark.hpp"
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

/// The destination account a registered sync writes to ("" when its state predates identities).
std::string account_of(const nlohmann::json& info) {
  if (info.contains("account") && info["account"].is_string())
    return info["account"].get<std::string>();
  auto identity = info.value("identity", nlohmann::json::object());
  auto destination = identity.is_object() ? identity.value("destination", nlohmann::json::object())
                                          : nlohmann::json::object();
  return destination.is_object() ? destination.value("account", std::string()) : std::string();
}

std::string iso_from_ms(int64_t ms) {
  return iso8601(std::chrono::system_clock::time_point(std::chrono::milliseconds(ms)));
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
  std::map<std::string, int64_t> paused;  // account → until (unix ms)
  for (const auto& p : dir->pauses(wall_now_ms()))
    paused[p.account] = p.until_ms;
  nlohmann::json all = nlohmann::json::array();
  for (const auto& [name, info] : dir->syncs()) {
    state::sync_state st(dir, name);
    auto sizes = st.count();
    auto plan = st.load_plan();
    auto account = account_of(info);
    auto pause = paused.find(account);
    nlohmann::json entry = {{"sync", name},
                            {"destination", info.value("destination", "")},
                            {"mode", info.value("mode", "")},
                            {"file", info.value("file", "")},
                            {"account", account},
                            {"synced_keys", sizes.keys - std::min(sizes.keys, sizes.orphans)},
                            {"orphaned_keys", sizes.orphans},
                            {"pending_changes", sizes.changes},
                            {"rejected_keys", sizes.rejects},
                            {"paused_until", pause == paused.end()
                                                 ? nlohmann::json(nullptr)
                                                 : nlohmann::json(iso_from_ms(pause->second))},
                            {"interrupted_run", plan.state == state::plan_record::status::applying
                                                    ? nlohmann::json(plan.run_id)
                                                    : nlohmann::json(nullptr)},
                            {"last_run", info.value("last_run", nlohmann::json())}};
    // Incremental syncs: the committed mark and one waiting for its change set's commit.
    auto mark = state::load_cursor_mark(st);
    auto pending = state::load_pending_mark(st);
    entry["cursor_mark"] = mark ? nlohmann::json(mark->value) : nlohmann::json(nullptr);
    entry["pending_cursor_mark"] = pending ? nlohmann::json(pending->value) : nlohmann::json(nullptr);
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
    if (e["orphaned_keys"].get<size_t>() > 0)
      std::cout << ", " << e["orphaned_keys"] << " left at the destination by an earlier mode";
    if (!e["interrupted_run"].is_null())
      std::cout << ", run " << e["interrupted_run"] << " interrupted with " << e["pending_changes"]
                << " changes left (the next run resumes it)";
    std::cout << "\n";
    if (!e["paused_until"].is_null())
      std::cout << "  paused until " << e["paused_until"].get<std::string>()
                << ": the destination asked to wait (`backflow unpause " << e["sync"].get<std::string>()
                << "` lifts it)\n";
    const auto& last = e["last_run"];
    if (last.is_object())
      std::cout << "  last run " << last.value("run_id", 0) << ": "
                << last.value("status", std::string()) << " at "
                << last.value("finished_at", std::string()) << " — " << counts_line(last) << "\n";
  }
  for (const auto& [account, until] : paused)
    std::cout << "account " << account << " is paused until " << iso_from_ms(until) << "\n";
  return 0;
}

int cmd_runs(const cli_args& args) {
  auto opened = sync_and_state(args);
  if (!opened)
    return exit_usage;
  auto& [cfg, dir] = *opened;
  state::sync_state st(dir, cfg.name);
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
  state::sync_state st(dir, cfg.name);
  auto before = st.count();
  st.reset();
  // The next run records the destination and source it is built for, whatever they are.
  auto info = dir->sync_info(cfg.name);
  if (info.is_object()) {
    info.erase("identity");
    dir->register_sync(cfg.name, info);
  }
  std::cout << "reset " << cfg.name << ": forgot " << before.keys << " synced keys, "
            << before.changes << " pending changes and " << before.rejects
            << " rejects; the next run sends every row again\n";
  return 0;
}

int cmd_unpause(const cli_args& args) {
  if (args.positional.size() != 1) {
    std::cerr << "backflow unpause: expected a sync name, a sync file or an account\n";
    return exit_usage;
  }
  auto dir = open_existing(args);
  if (!dir)
    return exit_usage;
  const auto& what = args.positional.front();
  // A registered sync's account, a sync file's account, or the account itself.
  std::string account;
  auto info = dir->sync_info(what);
  if (info.is_object()) {
    account = account_of(info);
  } else if (std::filesystem::exists(what)) {
    auto cfg = load_sync_argument(args);
    if (!cfg)
      return exit_usage;
    if (const auto* type = find_destination_type(cfg->destination_type))
      account = type->make(cfg->connector_context(0))->account();
  } else {
    account = what;
  }
  if (account.empty()) {
    std::cerr << "backflow unpause: no destination account is recorded for \"" << what
              << "\" yet (run it once, or name the account as `backflow status` shows it)\n";
    return exit_usage;
  }
  auto was = dir->unpause(account);
  if (was <= wall_now_ms()) {
    std::cout << "account " << account << " is not paused\n";
    return 0;
  }
  std::cout << "unpaused account " << account << " (it was paused until " << iso_from_ms(was)
            << "); the next run calls it again\n";
  return 0;
}

}  // namespace backflow
