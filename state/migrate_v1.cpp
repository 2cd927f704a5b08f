// Rewrites the version-1 layout of a state directory into shared databases (see state_dir.hpp).
#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include <spdlog/spdlog.h>

#include "pipelines/core/row_key.hpp"
#include "state/records.hpp"
#include "state/state_dir.hpp"
#include "state/sync_state.hpp"

namespace backflow::state {
namespace {

constexpr std::string_view v1_prefix = "sync/";

/// A version-1 canonical key ('\x1f' between composite parts) in today's form.
std::string convert_key(std::string_view v1_key) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  for (size_t i = 0; i <= v1_key.size(); ++i)
    if (i == v1_key.size() || v1_key[i] == '\x1f') {
      parts.push_back(v1_key.substr(start, i - start));
      start = i + 1;
    }
  std::string out;
  for (size_t i = 0; i < parts.size(); ++i)
    append_key_part(out, parts[i], i, parts.size());
  return out;
}

MDB_dbi open_existing(transaction& txn, const std::string& name) {
  MDB_dbi dbi = 0;
  int rc = mdb_dbi_open(txn.raw(), name.c_str(), 0, &dbi);
  if (rc != MDB_SUCCESS)
    throw lmdb_error("open database " + name + " to migrate it", rc);
  return dbi;
}

/// Copies one version-1 sync into the shared databases.
void migrate_sync(transaction& txn, const shared_databases& dbs, const std::string& name,
                  const std::string& prefix, const std::vector<std::string>& parts) {
  auto has = [&](const char* part) {
    return std::find(parts.begin(), parts.end(), part) != parts.end();
  };
  auto old = [&](const char* part) {
    return open_existing(txn, std::string(v1_prefix) + name + "/" + part);
  };
  table keys(dbs.keys, prefix), meta(dbs.meta, prefix), runs(dbs.runs, prefix),
      rejects(dbs.rejects, prefix), slots(dbs.slots, prefix);
  // Keys and rejects: each record decoded as version 1, its key in today's form, re-encoded.
  auto copy_records = [&](const char* part, const table& into, auto decode) {
    uint64_t copied = 0;
    if (!has(part))
      return copied;
    txn.scan_unsealed(old(part), {}, [&](std::string_view k, std::string_view v) {
      auto r = decode(v);
      if (!r)
        throw state_damaged("sync \"" + name + "\": a version-1 " + part + " record cannot be read");
      auto key = convert_key(k);
      if (is_long_key(key))
        r->long_key = key;
      into.put(txn, storage_key(key), encode(*r));
      ++copied;
      return true;
    });
    return copied;
  };
  uint64_t n_keys = copy_records("keys", keys, decode_v1_key_record);
  uint64_t n_rejects = copy_records("rejects", rejects, decode_v1_reject_record);
  for (const auto& [part, target] : {std::pair<const char*, const table*>{"runs", &runs},
                                     std::pair<const char*, const table*>{"slots", &slots}})
    if (has(part))
      txn.scan_unsealed(old(part), {}, [&, target = target](std::string_view k, std::string_view v) {
        target->put(txn, k, v);
        return true;
      });
  if (has("meta"))
    txn.scan_unsealed(old("meta"), {}, [&](std::string_view k, std::string_view v) {
      // The plan and the payload fingerprint describe a change set that is not carried over.
      if (k == "run_counter" || k == "next_slot" || k == "model_profile")
        meta.put(txn, k, v);
      return true;
    });
  meta.put(txn, "n_keys", u64_key(n_keys));
  meta.put(txn, "n_rejects", u64_key(n_rejects));
  for (const auto& part : parts) {
    auto dbi = open_existing(txn, std::string(v1_prefix) + name + "/" + part);
    int rc = mdb_drop(txn.raw(), dbi, 1);
    if (rc != MDB_SUCCESS)
      throw lmdb_error("drop the migrated database of " + name, rc);
  }
  spdlog::info("Migrated state: sync={} keys={} rejects={}", name, n_keys, n_rejects);
}

}  // namespace

void migrate_v1(environment& env, const shared_databases& dbs, const std::vector<MDB_dbi>& reseal,
                const std::function<std::string(transaction&, const std::string&)>& prefix_of) {
  // Values of version 1 carry no seal: read them as they are and write them sealed.
  env.write([&](transaction& txn) {
    for (auto dbi : reseal) {
      std::vector<std::pair<std::string, std::string>> entries;
      txn.scan_unsealed(dbi, {}, [&](std::string_view k, std::string_view v) {
        entries.emplace_back(k, v);
        return true;
      });
      for (const auto& [k, v] : entries)
        txn.put(dbi, k, v);
    }
  });
  // "sync/<name>/<part>" → parts of each sync.
  std::map<std::string, std::vector<std::string>> syncs;
  for (const auto& db : env.database_names()) {
    if (db.rfind(v1_prefix, 0) != 0)
      continue;
    auto slash = db.rfind('/');
    if (slash <= v1_prefix.size())
      continue;
    syncs[db.substr(v1_prefix.size(), slash - v1_prefix.size())].push_back(db.substr(slash + 1));
  }
  if (syncs.empty())
    return;
  env.write([&](transaction& txn) {
    for (const auto& [name, parts] : syncs)
      migrate_sync(txn, dbs, name, prefix_of(txn, name), parts);
  });
}

}  // namespace backflow::state
