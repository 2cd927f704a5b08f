// `serve` and dbt (see dbt_watch.hpp).
#include "pipelines/serve/dbt_watch.hpp"

#include <set>

#include <spdlog/spdlog.h>

#include "pipelines/dbt/dbt_manifest.hpp"

namespace backflow {
namespace {

/// The invocation that wrote the file, and the nodes it built successfully.
struct invocation {
  std::string id;
  std::set<std::string> built;
};

std::optional<invocation> read_invocation(const std::filesystem::path& file) {
  auto doc = dbt::read_json_file(file);
  if (!doc)
    return std::nullopt;  // being written: looked at again next poll
  invocation out;
  if (auto meta = doc->find("metadata"); meta != doc->end() && meta->is_object())
    out.id = meta->value("invocation_id", "") + "@" + meta->value("generated_at", "");
  if (auto results = doc->find("results"); results != doc->end() && results->is_array())
    for (const auto& r : *results)
      if (r.is_object() && r.value("status", "") == "success")
        out.built.insert(r.value("unique_id", ""));
  return out;
}

}  // namespace

std::vector<std::string> dbt_watch::poll(
    const std::map<std::string, std::shared_ptr<const sync_config>>& syncs) {
  // Each project's results once, however many syncs read it.
  std::map<std::filesystem::path, std::vector<std::pair<std::string, std::string>>> by_file;
  for (const auto& [name, cfg] : syncs)
    if (cfg && cfg->dbt)
      by_file[cfg->dbt->target_dir / "run_results.json"].emplace_back(name, cfg->dbt->unique_id);
  std::vector<std::string> selected;
  for (const auto& [file, readers] : by_file) {
    std::error_code ec;
    seen now;
    now.mtime = std::filesystem::last_write_time(file, ec);
    if (ec)
      continue;  // no results yet
    now.size = std::filesystem::file_size(file, ec);
    auto before = seen_.find(file);
    if (before != seen_.end() && before->second.mtime == now.mtime &&
        before->second.size == now.size)
      continue;
    auto run = read_invocation(file);
    if (!run)
      continue;
    now.invocation = run->id;
    bool first_look = before == seen_.end();
    bool same_run = !first_look && before->second.invocation == now.invocation;
    seen_[file] = now;
    if (first_look || same_run)
      continue;
    for (const auto& [name, model] : readers)
      if (run->built.count(model) > 0) {
        spdlog::info("dbt built the model: sync={} model={} results={}", name, model,
                     file.string());
        selected.push_back(name);
      }
  }
  return selected;
}

}  // namespace backflow
