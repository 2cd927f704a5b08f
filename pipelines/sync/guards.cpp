// Guards on the whole change set (see guards.hpp).
#include "pipelines/sync/guards.hpp"

#include <algorithm>
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

std::vector<std::string> vanished_columns(const sync_config& cfg, const schema& model,
                                          const std::optional<state::model_profile>& previous) {
  std::vector<std::string> problems;
  if (!previous)
    return problems;
  std::vector<std::string> needed = cfg.key_columns;
  for (const auto& rule : cfg.mapping)
    needed.push_back(rule.from);
  for (const auto& c : previous->columns) {
    bool used = !cfg.mapping_given ||
                std::find(needed.begin(), needed.end(), c.name) != needed.end();
    bool returned = find_column(model, c.name).has_value();
    if (used && !returned)
      problems.push_back("column \"" + c.name + "\" vanished from the model: run " +
                         std::to_string(previous->run_id) + " read it, the query no longer returns it");
  }
  return problems;
}

std::vector<std::string> model_problems(const guards_config& guards, const state::diff_tally& tally,
                                        const value_findings& values,
                                        const std::vector<std::string>& columns,
                                        const std::optional<state::model_profile>& previous) {
  std::vector<std::string> problems;
  const uint64_t rows = tally.extracted;
  const uint64_t before = previous ? previous->rows : 0;
  if (guards.min_rows && rows < *guards.min_rows)
    problems.push_back("guards.min_rows: the model returned " + std::to_string(rows) +
                       " rows, fewer than " + std::to_string(*guards.min_rows));
  else if (!guards.min_rows && rows == 0 && before > 0)
    problems.push_back("the model returned no rows, after " + std::to_string(before) +
                       " in run " + std::to_string(previous->run_id) +
                       " (set guards.min_rows to 0 if an empty model is expected)");
  if (guards.max_row_drop_ratio && before > 0 && rows < before) {
    double dropped = static_cast<double>(before - rows) / static_cast<double>(before);
    if (dropped > *guards.max_row_drop_ratio)
      problems.push_back("guards.max_row_drop_ratio: the model returned " + std::to_string(rows) +
                         " rows, " + std::to_string(before) + " in run " +
                         std::to_string(previous->run_id) + " (" + percent(dropped) +
                         " fewer) exceeds " + percent(*guards.max_row_drop_ratio));
  }
  if (previous)
    for (size_t i = 0; i < columns.size() && i < values.kinds.size(); ++i) {
      const auto* was = previous->find(columns[i]);
      if (was == nullptr || was->kinds == 0 || values.kinds[i] == 0)
        continue;
      auto fresh = static_cast<uint8_t>(values.kinds[i] & ~was->kinds);
      // Binary values were read as text before Backflow 0.2: the same column, not a new type.
      if ((was->kinds & kind_text) != 0)
        fresh = static_cast<uint8_t>(fresh & ~kind_bytes);
      if (fresh != 0)
        problems.push_back("column \"" + columns[i] + "\" changed type: it held " +
                           describe_kinds(was->kinds) + " in run " +
                           std::to_string(previous->run_id) + ", now also " +
                           describe_kinds(fresh));
    }
  if (values.bad_values > 0) {
    std::string list;
    for (const auto& sample : values.samples)
      list += "\n  " + sample;
    problems.push_back(std::to_string(values.bad_values) +
                       " value(s) no destination should receive:" + list +
                       (values.bad_values > values.samples.size() ? "\n  ..." : ""));
  }
  return problems;
}

state::model_profile profile_of(uint64_t run_id, const state::diff_tally& tally,
                                const value_findings& values,
                                const std::vector<std::string>& columns) {
  state::model_profile p;
  p.run_id = run_id;
  p.rows = tally.extracted;
  for (size_t i = 0; i < columns.size(); ++i)
    p.columns.push_back({columns[i], i < values.kinds.size() ? values.kinds[i] : uint8_t{0}});
  return p;
}

}  // namespace backflow
