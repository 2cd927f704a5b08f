// A real LMDB state directory in a temp dir, and helpers to plan and settle change sets in it.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <boost/test/unit_test.hpp>

#include "pipelines/diff/row_planner.hpp"
#include "pipelines/diff/row_preparer.hpp"
#include "pipelines/diff/span_cutter.hpp"
#include "state/change_set_builder.hpp"
#include "state/span_memo.hpp"
#include "state/sync_state.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/unit/unit_rows.hpp"

namespace backflow::unit {

/// Rows of (key, value) text pairs, encoded as the diff sees them (key column first).
inline packed_rows kv_rows(const std::vector<std::pair<std::string, std::string>>& kvs) {
  packed_rows out;
  for (const auto& [k, v] : kvs)
    out.push_back(encode_row({txt(k), txt(v)}));
  return out;
}

/// The planner the diff uses, for rows of `width` columns c0, c1, ... whose first `key_columns`
/// are the key and whose other columns map to fields of the same names.
inline row_planner planner_for(size_t width, size_t key_columns, uint64_t fingerprint,
                               identity_function identity = {}) {
  schema cols;
  std::vector<mapping_rule> rules;
  for (size_t i = 0; i < width; ++i) {
    cols.push_back({"c" + std::to_string(i), column_kind::unknown});
    if (i >= key_columns)
      rules.push_back({"c" + std::to_string(i), "c" + std::to_string(i), field_type::keep, {}});
  }
  return row_planner(key_columns, *row_mapper::compile(rules, cols), fingerprint,
                     std::move(identity));
}

/// Plans `batches` (encoded rows) into `st` as one run, the way the diff actor does.
inline state::diff_tally plan_rows(const state::sync_state& st,
                                   const std::vector<packed_rows>& batches, uint64_t fingerprint,
                                   size_t key_columns, state::diff_options options = {},
                                   identity_function identity = {}) {
  state::change_set_builder b(st, st.new_run_id(), fingerprint, options);
  size_t width = 0;
  for (const auto& rows : batches)
    if (!rows.empty())
      width = decode_row(rows[0]).size();
  width = std::max(width, key_columns);
  std::vector<size_t> all_columns(width);
  std::vector<std::string> names(width);
  for (size_t i = 0; i < width; ++i) {
    all_columns[i] = i;
    names[i] = "c" + std::to_string(i);
  }
  // As the plan's actors do: the extract cuts each batch into spans and prepares those the state
  // does not remember as unchanged; the diff marks the known ones and looks the others up. A
  // read of the whole model cuts spans (a window, planning no deletes, does not).
  row_preparer preparer(row_projection(all_columns, width),
                        planner_for(width, key_columns, fingerprint, std::move(identity)),
                        value_inspector(names, key_columns, 65536));
  std::optional<span_cutter> cutter;
  if (options.plan_deletes)
    cutter.emplace(fingerprint * 31 + key_columns,
                   std::make_shared<const std::vector<hash128>>(state::remembered_spans(st)));
  auto diff = [&](const planned_batch& batch) {
    for (auto row : batch.null_key_rows)
      b.null_key(row);
    b.add_known(batch.known);
    b.add(batch.rows);
  };
  for (const auto& rows : batches) {
    planned_batch batch;
    if (cutter)
      cutter->cut(rows, preparer, batch);
    else
      preparer.prepare(rows, batch);
    diff(batch);
  }
  if (cutter) {
    planned_batch last;
    cutter->finish(preparer, last);
    diff(last);
  }
  b.finish();
  return b.tally();
}

/// The payload hash the diff gives the (key, value) row `value` under `fingerprint`.
inline hash128 value_hash(const std::string& value, uint64_t fingerprint = 7) {
  auto payload = encode_row({txt(value)});
  payload_hasher hasher({"c1"}, fingerprint);
  hash128 h;
  hasher.hash(payload, h);
  return h;
}

struct state_fixture {
  backflow::testing::temp_dir dir;
  std::shared_ptr<state::state_dir> sd = *state::state_dir::open(dir.path() / "state");
  std::shared_ptr<state::environment> env = sd->env();
  state::sync_state st{sd, "contacts"};

  /// Plans `rows` as one run (one or more add() batches) and returns the tally.
  state::diff_tally plan(const std::vector<packed_rows>& batches, uint64_t fingerprint = 7,
                         size_t key_columns = 1, state::diff_options options = {}) {
    return plan_rows(st, batches, fingerprint, key_columns, options);
  }
  state::diff_tally plan(const packed_rows& rows, uint64_t fingerprint = 7, size_t key_columns = 1,
                         state::diff_options options = {}) {
    return plan(std::vector<packed_rows>{rows}, fingerprint, key_columns, options);
  }

  /// The pending change set: canonical key → record.
  std::map<std::string, state::change_record> changes() const {
    std::map<std::string, state::change_record> out;
    std::string after;
    for (auto& pc : st.read_changes(after, 1'000'000, {}))
      out.emplace(pc.key, pc.change);
    return out;
  }

  /// Settles every pending change the same way; delivered records get dest id "id-<key>".
  void settle_all(state::settlement how, const std::string& reason = {}) {
    std::vector<state::settled_record> records;
    for (const auto& [key, rec] : changes())
      records.push_back({key, rec.kind, rec.hash, how,
                         how == state::settlement::delivered ? "id-" + key : std::string(),
                         reason});
    settle(records);
  }

  /// Settles one pending change.
  void settle_one(const std::string& key, state::settlement how, const std::string& dest_id = {},
                  const std::string& reason = {}) {
    auto all = changes();
    auto it = all.find(key);
    BOOST_REQUIRE_MESSAGE(it != all.end(), "no pending change for " << key);
    settle({{key, it->second.kind, it->second.hash, how, dest_id, reason}});
  }

  void settle(const std::vector<state::settled_record>& records, uint64_t run_id = 1) {
    env->write([&](state::transaction& txn) { st.settle(txn, records, run_id); });
  }

  /// The stored key record of `key`, if synced.
  std::optional<state::key_record> key(const std::string& k) const {
    std::optional<state::key_record> out;
    env->read([&](state::transaction& txn) {
      auto sk = state::storage_key(k);
      if (auto v = st.keys().get(txn, sk))
        out = state::decode_key_record(*v);
    });
    return out;
  }

  /// The stored reject record of `key`, if any.
  std::optional<state::reject_record> reject(const std::string& k) const {
    std::optional<state::reject_record> out;
    env->read([&](state::transaction& txn) {
      auto sk = state::storage_key(k);
      if (auto v = st.rejects().get(txn, sk))
        out = state::decode_reject_record(*v);
    });
    return out;
  }

  size_t free_slots() const { return st.free_slots(); }
};

}  // namespace backflow::unit
