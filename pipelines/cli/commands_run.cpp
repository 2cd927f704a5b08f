// `backflow plan` and `backflow run`: one sync, once.
#include <iostream>

#include "pipelines/cli/commands.hpp"
#include "pipelines/cli/plan_commands.hpp"
#include "pipelines/cli/run_session.hpp"
#include "pipelines/core/redaction.hpp"
#include "pipelines/sync/incremental_read.hpp"

namespace backflow {

int cmd_run(const cli_args& args) {
  return with_run_session(args, [&](const run_session& session) {
    auto summary = session.runner.run(session.cfg, session.opts);
    print_summary(summary, args.flag("json"));
    return exit_code(summary.status);
  });
}

int cmd_plan(const cli_args& args) {
  return with_run_session(args, [&](const run_session& session) {
    if (args.options.count("out") != 0 || args.flag("full"))
      return plan_with_file(args, session);  // the whole change set, reviewable
    const auto& cfg = session.cfg;
    std::vector<planned_change> samples;
    auto summary = session.runner.plan(cfg, session.opts, samples);
    if (args.flag("json")) {
      auto j = summary.to_json();
      nlohmann::json sample_json = nlohmann::json::array();
      for (const auto& s : samples)
        sample_json.push_back({{"kind", s.kind}, {"op", s.op}, {"key", s.key}, {"fields", s.fields}});
      j["samples"] = sample_json;
      std::cout << redact_secrets(j.dump()) << std::endl;
      return exit_code(summary.status);
    }
    const auto& c = summary.plan;
    if (summary.status == run_status::planned && summary.error.empty()) {
      std::cout << "plan for " << cfg.name << ": " << c.added << " added, " << c.changed
                << " changed, " << c.deleted << " deleted, " << c.unchanged << " unchanged ("
                << c.extracted << " rows read); nothing was sent\n";
      if (!summary.read_window.is_null())
        std::cout << "  read: " << read_window_text(summary.read_window) << "\n";
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
