// The reviewable plan file: JSON lines, a header, one line per record, and a trailer with the
// SHA-256 of everything before it. Written and read as a stream: never the whole plan in memory.
#pragma once

#include <cstdint>
#include <fstream>
#include <functional>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "pipelines/core/result.hpp"

namespace backflow {

/// The first line's format tag and version.
inline constexpr const char* plan_file_format = "backflow-plan";
inline constexpr int plan_file_version = 1;

class sha256_stream;

/// Writes a plan file to `path` + ".partial", renamed to `path` by finish(): a plan that
/// stopped half-way never looks like a plan.
class plan_file_writer {
 public:
  explicit plan_file_writer(std::string path);
  ~plan_file_writer();
  plan_file_writer(const plan_file_writer&) = delete;
  plan_file_writer& operator=(const plan_file_writer&) = delete;

  [[nodiscard]] const std::string& path() const { return path_; }
  /// The header (written first) and each record line, in order; a failure names the file.
  status line(const nlohmann::json& j);
  /// The trailer (record count and digest), then the rename. True once done.
  status finish();
  [[nodiscard]] bool finished() const { return finished_; }
  [[nodiscard]] uint64_t records() const { return lines_ == 0 ? 0 : lines_ - 1; }

 private:
  std::string path_;
  std::ofstream out_;
  std::unique_ptr<sha256_stream> digest_;
  uint64_t lines_ = 0;
  bool finished_ = false;
};

/// Reads a plan file: the header at open, the trailer's check on demand, then the records.
class plan_file_reader {
 public:
  /// Opens `path` and parses its header; fails when it is not a plan file.
  static result<plan_file_reader> open(const std::string& path);

  [[nodiscard]] const nlohmann::json& header() const { return header_; }
  /// Reads the whole file once: the SHA-256 of every line before the trailer must be the
  /// trailer's, and the record count too. Returns the digest; a failure says what is wrong
  /// (edited, truncated).
  result<std::string> verify() const;
  /// Calls `fn` with each record line (1-based line number, parsed), in file order; stops at
  /// the first failure `fn` returns.
  status each_record(const std::function<status(uint64_t, const nlohmann::json&)>& fn) const;

 private:
  std::string path_;
  nlohmann::json header_;
};

}  // namespace backflow
