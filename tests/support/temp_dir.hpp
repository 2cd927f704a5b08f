// A temporary directory removed when the test ends.
#pragma once

#include <filesystem>
#include <string>

namespace backflow::testing {

class temp_dir {
 public:
  temp_dir();
  /// A directory under `base` (e.g. /dev/shm, where fsync costs nothing, for tests that write
  /// many transactions); the usual temp directory when `base` does not exist.
  explicit temp_dir(const std::filesystem::path& base);
  ~temp_dir();
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;

  [[nodiscard]] const std::filesystem::path& path() const { return path_; }
  [[nodiscard]] std::string file(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

/// Writes `text` to `path`, replacing it.
void write_file(const std::string& path, const std::string& text);
std::string read_file(const std::string& path);

}  // namespace backflow::testing
