// Loading and reloading the sync files of `backflow serve` (see sync_catalog.hpp).
#include "pipelines/serve/sync_catalog.hpp"

#include <algorithm>

#include <spdlog/spdlog.h>

#include "pipelines/core/file_bytes.hpp"
#include "pipelines/core/redaction.hpp"

namespace backflow {
std::vector<std::filesystem::path> sync_files(const std::filesystem::path& dir) {
  std::vector<std::filesystem::path> out;
  std::error_code ec;
  for (std::filesystem::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec))
    if (it->path().extension() == ".json" && it->is_regular_file(ec))
      out.push_back(it->path());
  std::sort(out.begin(), out.end());
  return out;
}

sync_catalog::sync_catalog(std::filesystem::path dir) : dir_(std::move(dir)) {}

sync_catalog::loaded_file sync_catalog::load(const std::filesystem::path& file,
                                             const loaded_file* before) const {
  loaded_file out;
  std::error_code ec;
  out.mtime = std::filesystem::last_write_time(file, ec);
  out.size = std::filesystem::file_size(file, ec);
  if (before != nullptr && before->mtime == out.mtime && before->size == out.size)
    return *before;
  out.content = file_bytes(file).value_or("");
  if (before != nullptr && before->content == out.content) {
    out.config = before->config;
    out.errors = before->errors;
    return out;
  }
  auto loaded = load_sync_file(file);
  for (const auto& s : loaded.secrets)
    register_secret(s);
  for (const auto& e : loaded.errors.items())
    out.errors.push_back(redact_secrets(e));
  if (loaded.config && out.errors.empty())
    out.config = std::make_shared<const sync_config>(std::move(*loaded.config));
  else if (out.errors.empty())
    out.errors.push_back("the sync file could not be loaded");
  return out;
}

catalog_changes sync_catalog::reload() {
  std::map<std::string, loaded_file> files;
  for (const auto& path : sync_files(dir_)) {
    auto it = files_.find(path.string());
    files.emplace(path.string(), load(path, it == files_.end() ? nullptr : &it->second));
  }
  std::map<std::string, std::shared_ptr<const sync_config>> syncs;
  std::map<std::string, std::string> file_of;
  std::vector<invalid_sync_file> invalid;
  for (const auto& [path, f] : files) {
    if (!f.config) {
      invalid.push_back({path, f.errors});
      continue;
    }
    auto [it, fresh] = file_of.emplace(f.config->name, path);
    if (!fresh) {
      invalid.push_back({path, {"name: \"" + f.config->name + "\" is already the name of the sync in " + it->second}});
      continue;
    }
    syncs.emplace(f.config->name, f.config);
  }

  catalog_changes changes;
  for (const auto& [name, cfg] : syncs) {
    auto old = syncs_.find(name);
    if (old == syncs_.end())
      changes.added.push_back(name);
    else if (old->second != cfg)
      changes.changed.push_back(name);
  }
  for (const auto& [name, cfg] : syncs_)
    if (syncs.count(name) == 0)
      changes.removed.push_back(name);
  // Report a bad file once, when it turns bad, not at every poll.
  for (const auto& bad : invalid)
    for (const auto& e : bad.errors) {
      bool known = std::any_of(invalid_.begin(), invalid_.end(), [&](const invalid_sync_file& b) {
        return b.file == bad.file && std::find(b.errors.begin(), b.errors.end(), e) != b.errors.end();
      });
      if (!known)
        spdlog::error("Skipping sync file: file={} error=\"{}\"", bad.file, e);
    }
  files_ = std::move(files);
  syncs_ = std::move(syncs);
  invalid_ = std::move(invalid);
  return changes;
}

}  // namespace backflow
