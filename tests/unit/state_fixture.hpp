// A real LMDB state directory in a temp dir, and helpers to plan and settle change sets in it.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <boost/test/unit_test.hpp>

#include "pipelines/diff/row_identity.hpp"
#include "state/change_set_builder.hpp"
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

struct state_fixture {
  backflow::testing::temp_dir dir;
  std::shared_ptr<state::environment> env = state::environment::open(dir.path() / "state");
  state::sync_state st{env, "contacts"};

  /// Plans `rows` as one run (one or more add() batches) and returns the tally.
  state::diff_tally plan(const std::vector<packed_rows>& batches, uint64_t fingerprint = 7,
                         size_t key_columns = 1) {
    state::change_set_builder b(st, st.new_run_id(), fingerprint, key_columns);
    for (const auto& rows : batches)
      b.add(rows);
    b.finish();
    return b.tally();
  }
  state::diff_tally plan(const packed_rows& rows, uint64_t fingerprint = 7) {
    return plan(std::vector<packed_rows>{rows}, fingerprint);
  }

  /// The pending change set: key → record.
  std::map<std::string, state::change_record> changes() const {
    std::map<std::string, state::change_record> out;
    env->read([&](state::transaction& txn) {
      txn.scan(st.changes, {}, [&](std::string_view k, std::string_view v) {
        auto rec = state::decode_change_record(v);
        BOOST_REQUIRE(rec);
        out.emplace(std::string(k), *rec);
        return true;
      });
    });
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
      if (auto v = txn.get(st.keys, k))
        out = state::decode_key_record(*v);
    });
    return out;
  }

  size_t free_slots() const {
    size_t n = 0;
    env->read([&](state::transaction& txn) { n = txn.count(st.slots); });
    return n;
  }
};

}  // namespace backflow::unit
