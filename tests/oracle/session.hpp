// One oracle sequence's engine: a destination's emulator, a warehouse, a sync file and its state;
// runs (plain, faulted, killed), the checks after each, and the report of the first mismatch.
//
//   model (warehouse) ──► sync file ──► backflow run ──► emulator ──► held_state ─┐
//        └──────────────────────► expected_<destination>() ──► expected_state ────┴─► compare
#pragma once

#include <cstdint>
#include <initializer_list>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "tests/oracle/compare.hpp"
#include "tests/oracle/faults.hpp"
#include "tests/oracle/history.hpp"
#include "tests/oracle/profiles.hpp"
#include "tests/oracle/run_driver.hpp"
#include "tests/oracle/sync_setup.hpp"
#include "tests/oracle/warehouse.hpp"
#include "tests/support/temp_dir.hpp"

namespace backflow::oracle {

class session {
 public:
  /// Resets `emulator`; `label` ("webhook/mirror seed=…") and `replay` head every report.
  session(const profile& destination, testing::emulator_process& emulator, std::string label,
          std::string replay);

  warehouse& model() { return model_; }
  sync_setup& setup() { return setup_; }
  [[nodiscard]] const profile& destination() const { return destination_; }
  testing::emulator_process& emulator() { return emulator_; }

  /// Writes the model and the sync file, applies `fault`, runs backflow once, and checks the
  /// request bodies it sent (numbers exactly as the warehouse holds them).
  run_result run(const fault_plan& fault = {});

  /// After a successful run: the destination holds what the model says. False on a mismatch.
  bool check(const run_result& r) { return audit("after " + r.describe()); }
  /// The same check at any moment (`context` heads the report): request bodies not yet read are
  /// checked for exact numbers, then the destination is compared with the model.
  bool audit(const std::string& context);
  /// The run made no API call (`why` names what did not need sending).
  bool expect_no_calls(const run_result& r, const std::string& why);
  /// The run ended with one of `codes`.
  bool expect_exit(const run_result& r, std::initializer_list<int> codes, const std::string& why);
  /// Runs without faults until one succeeds (at most `attempts`); false and a report otherwise.
  bool recover(int attempts, run_result& last);

  /// Starts the journal's next step (printed with a report).
  void step(const std::string& description);
  [[nodiscard]] bool failed() const { return !report_.empty(); }
  [[nodiscard]] const std::string& report() const { return report_; }
  /// The destination keys of the current model (remembering which row each came from).
  std::set<std::string> model_keys();
  /// True when every record live at the last comparison still has its row (or can be unknown):
  /// a switch to mirror has nothing to remove.
  bool nothing_to_remove();

 private:
  void fail(const std::string& what, const std::vector<mismatch>& found, const std::string& note);
  void check_bodies();
  void remember_numbers();

  const profile& destination_;
  testing::emulator_process& emulator_;
  std::string label_;
  std::string replay_;
  testing::temp_dir dir_;
  warehouse model_;
  sync_setup setup_;
  run_driver driver_;
  history past_;
  std::map<std::string, std::set<std::string>> produced_;  ///< column → number literals written
  std::map<std::string, std::string> origins_;  ///< every destination key seen → its model row
  long seen_requests_ = 0;
  int runs_ = 0;
  int steps_ = 0;
  bool after_loss_ = false;      ///< the state directory was lost since the last success
  long resent_ = 0;              ///< records delivered or rejected since the loss
  bool resent_unknown_ = false;  ///< a run since the loss was killed (no counts)
  std::vector<std::string> journal_;
  std::string report_;
};

}  // namespace backflow::oracle
