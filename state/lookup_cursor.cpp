// Point lookups through one cursor (see lookup_cursor.hpp).
#include "state/lookup_cursor.hpp"

#include "state/fault_guard.hpp"

namespace backflow::state {

lookup_cursor::lookup_cursor(const transaction& txn, MDB_dbi db) : txn_(txn), db_(db) {
  int rc = mdb_cursor_open(txn.raw(), db, &cursor_);
  check(rc, "open cursor");
}

lookup_cursor::~lookup_cursor() { mdb_cursor_close(cursor_); }

std::optional<std::string_view> lookup_cursor::get(std::string_view key) {
  MDB_val k{key.size(), const_cast<char*>(key.data())};
  MDB_val v;
  int rc;
  {
    lmdb_call inside;
    rc = mdb_cursor_get(cursor_, &k, &v, MDB_SET_KEY);
  }
  if (rc == MDB_NOTFOUND)
    return std::nullopt;
  check(rc, "get");
  auto stored = txn_.env_.checked(v, txn_.read_only_);
  try {
    return unsealed(key, stored);
  } catch (const state_damaged&) {
    return unsealed(key, stored, "database " + txn_.env_.name_of(db_));
  }
}

}  // namespace backflow::state
