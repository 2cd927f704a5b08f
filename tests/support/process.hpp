// Child processes for end-to-end tests: run to completion, or start, read a line, signal, wait.
#pragma once

#include <chrono>
#include <map>
#include <string>
#include <vector>

#include <sys/types.h>

namespace backflow::testing {

/// What a finished process left behind.
struct process_result {
  int exit_code = -1;   ///< -1 when killed by a signal
  int signal = 0;
  std::string out;      ///< stdout
  std::string err;      ///< stderr
};

/// Runs `argv` to completion with extra environment variables; kills it after `timeout`.
process_result run_process(const std::vector<std::string>& argv,
                           const std::map<std::string, std::string>& env = {},
                           std::chrono::seconds timeout = std::chrono::seconds(120));

/// A process running in the background; killed (SIGKILL) on destruction if still alive.
class background_process {
 public:
  background_process(const std::vector<std::string>& argv,
                     const std::map<std::string, std::string>& env = {});
  ~background_process();
  background_process(const background_process&) = delete;
  background_process& operator=(const background_process&) = delete;

  /// Reads stdout until a line containing `needle` appears; returns that line ("" on timeout/EOF).
  std::string wait_for_line(const std::string& needle,
                            std::chrono::milliseconds timeout = std::chrono::seconds(20));
  void signal(int sig);
  /// Waits for exit and collects the rest of its output.
  process_result wait(std::chrono::seconds timeout = std::chrono::seconds(120));
  [[nodiscard]] pid_t pid() const { return pid_; }
  [[nodiscard]] bool running();

 private:
  pid_t pid_ = -1;
  int out_fd_ = -1;
  int err_fd_ = -1;
  std::string out_buffer_;
  std::string err_buffer_;
  bool reaped_ = false;
  int status_ = 0;
};

/// The path of a built binary: `backflow` or `backflow-emulator`.
std::string binary_path(const std::string& name);
/// The repository root (for examples and scripts).
std::string source_dir();

}  // namespace backflow::testing
