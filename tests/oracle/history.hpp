// What an oracle sequence knows beyond the current model: which records must still exist, which
// may linger because no state could know them, and what the destination held when last compared.
#pragma once

#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "tests/oracle/expected.hpp"

namespace backflow::oracle {

class history {
 public:
  /// A run starts in `mode` over a model with destination keys `keys`.
  void note_run(const std::string& mode, const std::set<std::string>& keys);

  /// The state directory is deleted now, while the destination holds `live`.
  void note_state_loss(const std::set<std::string>& live);

  /// A run succeeded over `keys`: records held at a state loss since the last success whose keys
  /// are not in the model can never be known again; call before comparing.
  void fold_losses(const std::set<std::string>& keys);

  /// After comparing at a success in `mode`: this becomes the state to compare the next one with.
  void settle(const std::string& mode, const std::set<std::string>& keys, const held_state& held);

  /// A record the destination may keep although its key left the model (see fold_losses).
  [[nodiscard]] bool unknowable(const std::string& key) const {
    return unknowable_.count(key) != 0;
  }
  /// A record that must exist: created by a successful run, never removed since.
  [[nodiscard]] bool must_exist(const std::string& key) const {
    return must_exist_.count(key) != 0;
  }
  /// Records the key may have gained since the last comparison: one if it was not live then,
  /// plus one per mirror run since that found it out of the model (removed, then back); none
  /// while only update runs happened.
  [[nodiscard]] int creations_allowed(const std::string& key) const;
  /// Records (live or not) the key had at the last comparison.
  [[nodiscard]] int records_before(const std::string& key) const;
  /// Keys live at the last comparison.
  [[nodiscard]] const std::set<std::string>& live_before() const { return live_before_; }

 private:
  std::set<std::string> unknowable_;
  std::set<std::string> pending_loss_;
  std::set<std::string> must_exist_;
  std::set<std::string> live_before_;
  std::map<std::string, int> records_before_;
  std::vector<std::pair<std::string, std::set<std::string>>> runs_since_;  ///< mode, keys
};

}  // namespace backflow::oracle
