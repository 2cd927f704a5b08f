// `plan --out FILE` / `plan --full` (see plan_commands.hpp).
#include <filesystem>
#include <iostream>

#include <unistd.h>

#include "pipelines/cli/commands.hpp"
#include "pipelines/cli/plan_commands.hpp"
#include "pipelines/core/redaction.hpp"
#include "pipelines/sync/plan_file.hpp"

namespace backflow {
namespace {

/// A record line as a reviewer reads it: without its encoded form.
nlohmann::json for_review(nlohmann::json line) {
  line.erase("record");
  return line;
}

/// Every record of `file`, as --json's "records" array, streamed.
void print_records_json(const plan_file_reader& file) {
  std::cout << "[";
  bool first = true;
  auto listed = file.each_record([&](uint64_t, const nlohmann::json& line) -> status {
    std::cout << (first ? "" : ",") << redact_secrets(for_review(line).dump());
    first = false;
    return {};
  });
  std::cout << "]";
  if (!listed)
    std::cerr << "backflow plan: " << listed.error().message << "\n";
}

void print_records_text(const plan_file_reader& file) {
  auto listed = file.each_record([&](uint64_t, const nlohmann::json& line) -> status {
    auto fields = line.value("fields", nlohmann::json());
    std::cout << "  " << line.value("kind", "") << " → " << line.value("op", "") << "  "
              << redact_secrets(line.value("key", "") + "  " +
                                (fields.is_null() ? std::string() : fields.dump()))
              << "\n";
    return {};
  });
  if (!listed)
    std::cerr << "backflow plan: " << listed.error().message << "\n";
}

}  // namespace

int plan_with_file(const cli_args& args, const run_session& session) {
  const bool keep = args.options.count("out") != 0;
  const std::string path =
      keep ? args.option("out", "")
           : (session.dir->path() / ("plan." + std::to_string(getpid()) + ".jsonl")).string();
  plan_file_writer writer(path);
  std::vector<planned_change> samples;
  auto summary = session.runner.plan_to_file(session.cfg, session.opts, samples, writer);
  const bool json = args.flag("json");
  if (!writer.finished()) {
    if (summary.status == run_status::planned) {
      // An interrupted run's change set is pending: a plan of it would not be what apply sends.
      std::cerr << "backflow plan: no plan file written: " << redact_secrets(summary.error) << "\n";
      return exit_code(run_status::aborted);
    }
    print_summary(summary, json);
    return exit_code(summary.status);
  }
  auto file = plan_file_reader::open(path);
  if (!file) {
    std::cerr << "backflow plan: " << file.error().message << "\n";
    return 4;
  }
  const auto run_id = file->header().value("run_id", uint64_t{0});
  const auto& c = summary.plan;
  if (json) {
    auto j = summary.to_json();
    j["run_id"] = run_id;  // the run id the plan takes when applied
    if (keep)
      j["plan_file"] = path;
    auto text = redact_secrets(j.dump());
    text.pop_back();  // the closing brace: "records" follows, streamed
    std::cout << text;
    if (args.flag("full")) {
      std::cout << ",\"records\":";
      print_records_json(*file);
    }
    std::cout << "}" << std::endl;
  } else {
    std::cout << "plan for " << session.cfg.name << ": " << c.added << " added, " << c.changed
              << " changed, " << c.deleted << " deleted, " << c.unchanged << " unchanged ("
              << c.extracted << " rows read); nothing was sent\n";
    if (args.flag("full"))
      print_records_text(*file);
    if (keep)
      std::cout << "plan written to " << path << " (" << writer.records() << " records, run "
                << run_id << "); `backflow apply " << path << "` sends exactly these\n";
  }
  if (!keep) {
    std::error_code ignored;
    std::filesystem::remove(path, ignored);
  }
  return 0;
}

}  // namespace backflow
