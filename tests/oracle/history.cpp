// What an oracle sequence knows beyond the model (see history.hpp).
#include "tests/oracle/history.hpp"

namespace backflow::oracle {

void history::note_run(const std::string& mode, const std::set<std::string>& keys) {
  runs_since_.emplace_back(mode, keys);
}

void history::note_state_loss(const std::set<std::string>& live) {
  pending_loss_.insert(live.begin(), live.end());
}

void history::fold_losses(const std::set<std::string>& keys) {
  for (const auto& key : pending_loss_)
    if (keys.count(key) == 0)
      unknowable_.insert(key);
  pending_loss_.clear();
}

void history::settle(const std::string& mode, const std::set<std::string>& keys,
                     const held_state& held) {
  for (const auto& key : keys)
    unknowable_.erase(key);  // synced by this run: known again
  if (mode == "mirror" || mode == "audience")
    must_exist_ = keys;
  else if (mode != "update")
    must_exist_.insert(keys.begin(), keys.end());
  live_before_ = held.live_keys();
  records_before_.clear();
  for (const auto& [key, records] : held.by_key)
    records_before_[key] = static_cast<int>(records.size());
  runs_since_.clear();
}

int history::creations_allowed(const std::string& key) const {
  bool only_updates = !runs_since_.empty();
  int allowed = live_before_.count(key) != 0 ? 0 : 1;
  for (const auto& [mode, keys] : runs_since_) {
    only_updates = only_updates && mode == "update";
    if (mode == "mirror" && keys.count(key) == 0)
      ++allowed;
  }
  return only_updates ? 0 : allowed;
}

int history::records_before(const std::string& key) const {
  auto it = records_before_.find(key);
  return it == records_before_.end() ? 0 : it->second;
}

}  // namespace backflow::oracle
