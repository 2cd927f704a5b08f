// Guards on the whole change set (see guards.hpp).
#include "pipelines/sync/guards.hpp"

#include <cstdio>

#include "pipelines/delivery/record.hpp"

namespace backflow {
namespace {

std::string percent(double ratio) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f%%", ratio * 100.0);
  return buf;
}

std::string joined(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& i : items)
    out += (out.empty() ? "" : ", ") + i;
  return out;
}

}  // namespace

std::vector<std::string> bad_model_problems(const state::diff_tally& tally,
                                            const std::vector<std::string>& key_columns) {
  std::vector<std::string> problems;
  std::string key = joined(key_columns);
  if (tally.null_keys > 0) {
    std::vector<std::string> rows;
    for (auto r : tally.null_key_rows)
      rows.push_back(std::to_string(r));
    problems.push_back(std::to_string(tally.null_keys) + " row(s) have a null or empty key (" + key +
                       "); row numbers: " + joined(rows) +
                       (tally.null_keys > rows.size() ? ", ..." : ""));
  }
  if (tally.duplicate_keys > 0) {
    std::vector<std::string> quoted;
    for (const auto& k : tally.duplicate_samples)
      quoted.push_back("\"" + k + "\"");
    problems.push_back(std::to_string(tally.duplicate_keys) + " row(s) repeat a key (" + key +
                       "): " + joined(quoted) +
                       (tally.duplicate_keys > quoted.size() ? ", ..." : ""));
  }
  return problems;
}

std::vector<std::string> tripped_guards(const guards_config& guards, const state::diff_tally& tally) {
  std::vector<std::string> tripped;
  if (tally.stored_before == 0)
    return tripped;
  auto base = static_cast<double>(tally.stored_before);
  double changed = static_cast<double>(tally.added + tally.changed) / base;
  double deleted = static_cast<double>(tally.deleted) / base;
  if (guards.max_changed_ratio && changed > *guards.max_changed_ratio)
    tripped.push_back("guards.max_changed_ratio: " + std::to_string(tally.added + tally.changed) +
                      " rows added or changed of " + std::to_string(tally.stored_before) +
                      " synced (" + percent(changed) + ") exceeds " +
                      percent(*guards.max_changed_ratio));
  if (guards.max_deleted_ratio && deleted > *guards.max_deleted_ratio)
    tripped.push_back("guards.max_deleted_ratio: " + std::to_string(tally.deleted) +
                      " rows disappeared of " + std::to_string(tally.stored_before) + " synced (" +
                      percent(deleted) + ") exceeds " + percent(*guards.max_deleted_ratio));
  return tripped;
}

}  // namespace backflow
