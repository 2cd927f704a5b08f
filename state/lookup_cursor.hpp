// Many point lookups in one transaction through one LMDB cursor: fast when keys come in order.
#pragma once

#include <optional>
#include <string_view>

#include "state/lmdb.hpp"

namespace backflow::state {

/// Looks keys up like transaction::get, through a cursor kept open between lookups. LMDB checks
/// the leaf page the cursor is on before it descends from the root, so keys looked up in
/// ascending order mostly cost a binary search in a page already mapped, and touch each leaf
/// page once however many of them it holds.
class lookup_cursor {
 public:
  lookup_cursor(const transaction& txn, MDB_dbi db);
  ~lookup_cursor();
  lookup_cursor(const lookup_cursor&) = delete;
  lookup_cursor& operator=(const lookup_cursor&) = delete;

  /// The (verified) value under `key`, or nothing; valid until the transaction ends.
  [[nodiscard]] std::optional<std::string_view> get(std::string_view key);

 private:
  const transaction& txn_;
  MDB_dbi db_;
  MDB_cursor* cursor_ = nullptr;
};

}  // namespace backflow::state
