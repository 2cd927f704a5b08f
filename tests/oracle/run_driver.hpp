// The oracle's run driver: writes the sync file, runs the real backflow binary (to completion or
// killed with SIGKILL mid-apply), and deletes the state directory.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "tests/support/emulator_process.hpp"

namespace backflow::oracle {

/// How one run of backflow ended.
struct run_result {
  int exit_code = -1;  ///< -1 when killed
  bool killed = false;
  bool hung = false;    ///< still running at the oracle's timeout (then killed)
  long api_calls = -1;  ///< from `run --json` (-1: no summary)
  nlohmann::json summary;
  std::string err;  ///< the end of stderr

  [[nodiscard]] bool success(bool rejects_expected) const {
    return exit_code == 0 || (rejects_expected && exit_code == 1);
  }
  /// "exit 4 (incomplete, 12 API calls): <error>".
  [[nodiscard]] std::string describe() const;
};

class run_driver {
 public:
  /// Sync file and state directory under `dir`.
  explicit run_driver(const std::string& dir);

  void write_sync(const nlohmann::json& sync);
  /// `backflow run SYNC --state DIR --json` to completion.
  run_result run();
  /// The same run in the background, SIGKILLed once `emulator` has answered one of its API
  /// requests (with the emulator slowed so the kill lands mid-apply). When the run ends first,
  /// its result is returned as is (killed stays false).
  run_result run_killed(testing::emulator_process& emulator);
  /// Deletes the state directory.
  void lose_state();

 private:
  run_result finish(int exit_code, const std::string& out, const std::string& err);

  std::string sync_file_;
  std::string state_dir_;
};

}  // namespace backflow::oracle
