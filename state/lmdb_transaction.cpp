// LMDB transactions: sealed reads and writes, counts, prefix erasure and scans (see lmdb.hpp).
#include "state/lmdb.hpp"

#include "state/fault_guard.hpp"

namespace backflow::state {

std::optional<std::string_view> transaction::get(MDB_dbi db, std::string_view key) const {
  MDB_val k = val(key);
  MDB_val v;
  int rc;
  {
    lmdb_call inside;
    rc = mdb_get(txn_, db, &k, &v);
  }
  if (rc == MDB_NOTFOUND)
    return std::nullopt;
  check(rc, "get");
  auto stored = env_.checked(v, read_only_);
  try {
    return unsealed(key, stored);
  } catch (const state_damaged&) {
    // Named only on failure: a lookup per model row must not build the name every time.
    return unsealed(key, stored, "database " + env_.name_of(db));
  }
}

void transaction::put(MDB_dbi db, std::string_view key, std::string_view value, unsigned flags) {
  auto stored = sealed(key, value);
  MDB_val k = val(key);
  MDB_val v = val(stored);
  int rc;
  {
    lmdb_call inside;
    rc = mdb_put(txn_, db, &k, &v, flags);
  }
  check(rc, "put");
}

bool transaction::insert(MDB_dbi db, std::string_view key, std::string_view value) {
  auto stored = sealed(key, value);
  MDB_val k = val(key);
  MDB_val v = val(stored);
  int rc;
  {
    lmdb_call inside;
    rc = mdb_put(txn_, db, &k, &v, MDB_NOOVERWRITE);
  }
  if (rc == MDB_KEYEXIST)
    return false;
  check(rc, "insert");
  return true;
}

bool transaction::del(MDB_dbi db, std::string_view key) {
  MDB_val k = val(key);
  int rc;
  {
    lmdb_call inside;
    rc = mdb_del(txn_, db, &k, nullptr);
  }
  if (rc == MDB_NOTFOUND)
    return false;
  check(rc, "delete");
  return true;
}

size_t transaction::count(MDB_dbi db) const {
  MDB_stat st;
  int rc;
  {
    lmdb_call inside;
    rc = mdb_stat(txn_, db, &st);
  }
  check(rc, "stat");
  return st.ms_entries;
}

void transaction::clear(MDB_dbi db) {
  int rc;
  {
    lmdb_call inside;
    rc = mdb_drop(txn_, db, 0);
  }
  check(rc, "clear");
}

size_t transaction::erase_prefix(MDB_dbi db, std::string_view prefix) {
  lmdb_call inside;
  MDB_cursor* cur = nullptr;
  check(mdb_cursor_open(txn_, db, &cur), "open cursor");
  MDB_val k = val(prefix);
  MDB_val v;
  size_t erased = 0;
  int rc = prefix.empty() ? mdb_cursor_get(cur, &k, &v, MDB_FIRST)
                          : mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
  while (rc == MDB_SUCCESS && view(k).substr(0, prefix.size()) == prefix) {
    rc = mdb_cursor_del(cur, 0);
    if (rc != MDB_SUCCESS)
      break;
    ++erased;
    // After a delete the cursor already points past the gone entry: NEXT returns that entry.
    rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
  }
  mdb_cursor_close(cur);
  if (rc != MDB_SUCCESS && rc != MDB_NOTFOUND)
    check(rc, "erase range");
  return erased;
}

void transaction::scan(MDB_dbi db, std::string_view from,
                       const std::function<bool(std::string_view, std::string_view)>& fn) const {
  scan_unsealed(db, from, [&](std::string_view k, std::string_view v) {
    std::string_view value;
    try {
      value = unsealed(k, v);
    } catch (const state_damaged&) {
      value = unsealed(k, v, "database " + env_.name_of(db));  // the same, saying where
    }
    return fn(k, value);
  });
}

void transaction::scan_unsealed(
    MDB_dbi db, std::string_view from,
    const std::function<bool(std::string_view, std::string_view)>& fn) const {
  MDB_cursor* cur = nullptr;
  check(mdb_cursor_open(txn_, db, &cur), "open cursor");
  MDB_val k = val(from);
  MDB_val v;
  auto step = [&](MDB_cursor_op op) {
    lmdb_call inside;
    return mdb_cursor_get(cur, &k, &v, op);
  };
  int rc = step(from.empty() ? MDB_FIRST : MDB_SET_RANGE);
  try {
    while (rc == MDB_SUCCESS) {
      if (!fn(env_.checked(k, read_only_), env_.checked(v, read_only_)))
        break;
      rc = step(MDB_NEXT);
    }
  } catch (...) {
    mdb_cursor_close(cur);
    throw;
  }
  mdb_cursor_close(cur);
  if (rc != MDB_SUCCESS && rc != MDB_NOTFOUND)
    check(rc, "scan");
}

std::string u64_key(uint64_t v) {
  std::string out(8, '\0');
  for (int i = 7; i >= 0; --i) {
    out[static_cast<size_t>(i)] = static_cast<char>(v & 0xff);
    v >>= 8;
  }
  return out;
}

uint64_t u64_from_key(std::string_view key) {
  uint64_t v = 0;
  for (size_t i = 0; i < 8 && i < key.size(); ++i)
    v = (v << 8) | static_cast<uint8_t>(key[i]);
  return v;
}

}  // namespace backflow::state
