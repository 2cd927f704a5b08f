// `backflow rejects` and `backflow retry`: see the records a destination refused, send them again.
#include <algorithm>
#include <atomic>
#include <csignal>
#include <filesystem>
#include <iomanip>
#include <iostream>
#include <map>
#include <sstream>

#include <unistd.h>

#include "pipelines/cli/commands.hpp"
#include "pipelines/cli/run_session.hpp"
#include "pipelines/cli/sync_file.hpp"
#include "pipelines/core/redaction.hpp"
#include "pipelines/sync/sync_runner.hpp"
#include "state/state_dir.hpp"
#include "state/sync_state.hpp"

namespace backflow {
namespace {

constexpr size_t default_limit = 100;
constexpr size_t reason_width = 200;  ///< text output only; --json keeps whole reasons
constexpr size_t key_column_max = 40;

/// One line: a vendor's reason may carry newlines and runs of spaces.
std::string one_line(const std::string& text) {
  std::string out;
  bool space = false;
  for (char c : text) {
    bool blank = c == '\n' || c == '\r' || c == '\t' || c == ' ';
    if (blank && !out.empty())
      space = true;
    if (blank)
      continue;
    if (space)
      out += ' ';
    space = false;
    out += c;
  }
  return out;
}

/// "2026-11-24T10:00:00.123Z" → "2026-11-24 10:00:00Z" (the table needs no milliseconds).
std::string short_time(std::string iso) {
  if (iso.size() >= 19) {
    iso[10] = ' ';
    return iso.substr(0, 19) + "Z";
  }
  return iso.empty() ? "-" : iso;
}

/// The rejected records of a sync, read from its state, as JSON for both output forms.
nlohmann::json rejects_json(const state::sync_state& st, size_t limit) {
  std::map<uint64_t, std::string> run_times;  // a few runs reject many records: look each up once
  nlohmann::json out = nlohmann::json::array();
  for (const auto& e : st.list_rejects(limit)) {
    auto it = run_times.find(e.record.run_id);
    if (it == run_times.end()) {
      auto run = st.load_run(e.record.run_id);
      std::string at = run.is_object() ? run.value("finished_at", run.value("started_at", ""))
                                       : std::string();
      it = run_times.emplace(e.record.run_id, at).first;
    }
    out.push_back({{"key", e.key},
                   {"change", e.record.deletion ? "delete" : "write"},
                   {"reason", e.record.reason},
                   {"run_id", e.record.run_id},
                   {"rejected_at", it->second.empty() ? nlohmann::json() : nlohmann::json(it->second)},
                   {"attempts", e.record.attempts},
                   {"synced", e.synced}});
  }
  return out;
}

/// Who has the record now: nobody, an older version, or (refused delete) the record itself.
const char* standing(const nlohmann::json& r) {
  if (r["change"] == "delete")
    return "delete refused";
  return r["synced"].get<bool>() ? "older version synced" : "never delivered";
}

void print_table(std::ostream& out, const sync_config& cfg, const nlohmann::json& rejects, size_t total) {
  size_t key_width = 3;
  for (const auto& r : rejects)
    key_width = std::max(key_width, r["key"].get<std::string>().size());
  key_width = std::min(key_width, key_column_max);
  out << "rejected records of " << cfg.name << ":\n";
  out << std::left << std::setw(int(key_width)) << "KEY"
            << "  " << std::setw(6) << "RUN"
            << "  " << std::setw(20) << "WHEN"
            << "  " << std::setw(5) << "TRIES"
            << "  " << std::setw(20) << "STATE"
            << "  REASON\n";
  bool cut = false;
  for (const auto& r : rejects) {
    auto reason = one_line(r["reason"].get<std::string>());
    if (reason.size() > reason_width) {
      reason = reason.substr(0, reason_width) + " …";
      cut = true;
    }
    auto when = r["rejected_at"].is_string() ? short_time(r["rejected_at"].get<std::string>())
                                             : std::string("-");
    out << std::left << std::setw(int(key_width)) << r["key"].get<std::string>() << "  "
              << std::setw(6) << r["run_id"].get<uint64_t>() << "  " << std::setw(20) << when
              << "  " << std::setw(5) << r["attempts"].get<uint32_t>() << "  " << std::setw(20)
              << standing(r) << "  " << reason << "\n";
  }
  out << total << (total == 1 ? " rejected record" : " rejected records");
  if (rejects.size() < total)
    out << " (showing " << rejects.size() << "; --limit N shows more)";
  if (cfg.retry_rejected == retry_rejected_policy::always)
    out << ". Every run sends them again (retry_rejected: \"always\").\n";
  else
    out << ". Each is sent again when its row changes in the model, or now with `backflow retry "
        << cfg.file.string() << "` (e.g. after a fix on the destination's side).\n";
  if (cut)
    out << "Long reasons are cut; --json prints them whole.\n";
}

// ---- `backflow retry`: a run of the sync with every rejected record re-planned. ----


}  // namespace

int cmd_rejects(const cli_args& args) {
  auto cfg = load_sync_argument(args);
  if (!cfg)
    return exit_usage;
  size_t limit = default_limit;
  try {
    limit = static_cast<size_t>(std::stoul(args.option("limit", std::to_string(default_limit))));
  } catch (...) {
    std::cerr << "backflow rejects: --limit must be a number\n";
    return exit_usage;
  }
  auto path = state_dir_argument(args);
  if (!std::filesystem::exists(std::filesystem::path(path) / "data.mdb")) {
    std::cerr << "backflow rejects: no state in " << path
              << " (run a sync first, or pass --state DIR)\n";
    return exit_usage;
  }
  auto dir = state::state_dir::open(path);
  if (!dir) {
    std::cerr << "backflow rejects: " << dir.error().message << "\n";
    return exit_usage;
  }
  state::sync_state st(*dir, cfg->name);
  auto total = st.count().rejects;
  auto rejects = rejects_json(st, limit);
  if (args.flag("json")) {
    nlohmann::json out = {{"sync", cfg->name},
                          {"total", total},
                          {"shown", rejects.size()},
                          {"retry_rejected", cfg->retry_rejected == retry_rejected_policy::always
                                                 ? "always"
                                                 : "changed"},
                          {"rejects", rejects}};
    std::cout << redact_secrets(out.dump()) << std::endl;
    return 0;
  }
  if (total == 0) {
    std::cout << "no rejected records for " << cfg->name << " in " << (*dir)->path().string()
              << "\n";
    return 0;
  }
  std::ostringstream text;
  print_table(text, *cfg, rejects, total);
  std::cout << redact_secrets(text.str()) << std::flush;
  return 0;
}

int cmd_retry(const cli_args& args) {
  return with_run_session(args, [&](const run_session& session) {
    const auto& cfg = session.cfg;
    bool json = args.flag("json");
    state::sync_state st(session.dir, cfg.name);
    auto before = st.count().rejects;
    if (!json)
      std::cout << "retry " << cfg.name << ": sending " << before << " rejected record"
                << (before == 1 ? "" : "s") << " again, with the run's other changes\n"
                << std::flush;
    // One run with retry_rejected "always": every rejected record whose row is still in the
    // model is planned again, and so is every refused delete. A rejected record whose row left
    // the model needs nothing: a never-delivered one is forgotten by the diff, a delivered one
    // becomes a delete (sent in mirror mode, forgotten in the others).
    auto retry_cfg = cfg;
    retry_cfg.retry_rejected = retry_rejected_policy::always;
    auto summary = session.runner.run(retry_cfg, session.opts);
    auto after = st.count().rejects;
    if (json) {
      auto j = summary.to_json();
      j["retry"] = {{"rejected_before", before}, {"rejected_after", after}};
      std::cout << redact_secrets(j.dump()) << std::endl;
    } else {
      print_summary(summary, false);
      std::cout << "rejected records: " << before << " before, " << after << " now";
      if (after > 0)
        std::cout << " (`backflow rejects " << args.positional.front() << "` lists them)";
      std::cout << "\n" << std::flush;
    }
    return exit_code(summary.status);
  });
}

}  // namespace backflow
