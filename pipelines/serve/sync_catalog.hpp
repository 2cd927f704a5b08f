// The sync files of `backflow serve`: every *.json in a directory, loaded, and reloaded on demand.
#pragma once

#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "pipelines/config/sync_config.hpp"

namespace backflow {

/// A sync file that could not be loaded, with every reason.
struct invalid_sync_file {
  std::string file;
  std::vector<std::string> errors;  ///< secrets redacted
};

/// What one reload changed, by sync name.
struct catalog_changes {
  std::vector<std::string> added;
  std::vector<std::string> changed;
  std::vector<std::string> removed;
  [[nodiscard]] bool empty() const { return added.empty() && changed.empty() && removed.empty(); }
};

/// Not thread-safe: the service calls it under its own lock. Configs are shared, immutable
/// snapshots: a run keeps the one it started with while a reload installs a newer one.
/// The `.json` files directly in `dir`, in name order (empty when it cannot be read).
std::vector<std::filesystem::path> sync_files(const std::filesystem::path& dir);

class sync_catalog {
 public:
  explicit sync_catalog(std::filesystem::path dir);

  /// Re-reads the directory: new, changed (mtime, size or content) and removed files. Invalid
  /// files are listed in invalid() and their syncs dropped; the other syncs are kept.
  catalog_changes reload();

  /// The valid syncs, by name.
  [[nodiscard]] const std::map<std::string, std::shared_ptr<const sync_config>>& syncs() const {
    return syncs_;
  }
  /// The files that failed to load at the last reload, in file order.
  [[nodiscard]] const std::vector<invalid_sync_file>& invalid() const { return invalid_; }
  [[nodiscard]] const std::filesystem::path& dir() const { return dir_; }

 private:
  /// What was loaded from one file, to skip unchanged files on the next reload.
  struct loaded_file {
    std::filesystem::file_time_type mtime;
    uintmax_t size = 0;
    std::string content;
    std::shared_ptr<const sync_config> config;  ///< null when the file is invalid
    std::vector<std::string> errors;
  };
  loaded_file load(const std::filesystem::path& file, const loaded_file* before) const;

  std::filesystem::path dir_;
  std::map<std::string, loaded_file> files_;  ///< by path
  std::map<std::string, std::shared_ptr<const sync_config>> syncs_;
  std::vector<invalid_sync_file> invalid_;
};

}  // namespace backflow
