// One sync's slice of a shared database (see table.hpp).
#include "state/table.hpp"

#include "pipelines/core/crypto.hpp"

namespace backflow::state {
namespace {

/// Longest key stored as it is: with the 8-byte prefix it stays well within LMDB's 511 bytes.
constexpr size_t max_plain_key = 400;
/// Bytes of a long key kept in front of its digest, so long keys still sort roughly by value.
constexpr size_t long_key_head = 380;

}  // namespace

bool is_long_key(std::string_view canonical_key) {
  return canonical_key.size() > max_plain_key;
}

std::string storage_key(std::string_view canonical_key) {
  std::string out;
  storage_key(canonical_key, out);
  return out;
}

void storage_key(std::string_view canonical_key, std::string& out) {
  if (!is_long_key(canonical_key)) {
    out.assign(canonical_key);
    return;
  }
  // 380 + 1 + 64 = 445 bytes: longer than any plain key, so the two forms never collide.
  out.assign(canonical_key.substr(0, long_key_head));
  out.push_back('\0');
  out += sha256_hex(canonical_key);
}

std::string_view table::full(std::string_view key) const {
  thread_local std::string buffer;
  buffer.assign(prefix_);
  buffer.append(key);
  return buffer;
}

std::optional<std::string_view> table::get(const transaction& txn, std::string_view key) const {
  return txn.get(dbi_, full(key));
}

void table::put(transaction& txn, std::string_view key, std::string_view value) const {
  txn.put(dbi_, full(key), value);
}

bool table::insert(transaction& txn, std::string_view key, std::string_view value) const {
  return txn.insert(dbi_, full(key), value);
}

bool table::del(transaction& txn, std::string_view key) const {
  return txn.del(dbi_, full(key));
}

void table::scan(const transaction& txn, std::string_view from,
                 const std::function<bool(std::string_view, std::string_view)>& fn) const {
  std::string start = prefix_ + std::string(from);
  txn.scan(dbi_, start, [&](std::string_view k, std::string_view v) {
    if (k.size() < prefix_.size() || k.compare(0, prefix_.size(), prefix_) != 0)
      return false;  // past this sync's range
    return fn(k.substr(prefix_.size()), v);
  });
}

size_t table::clear(transaction& txn) const {
  return txn.erase_prefix(dbi_, prefix_);
}

size_t table::count(const transaction& txn) const {
  size_t n = 0;
  scan(txn, {}, [&](std::string_view, std::string_view) {
    ++n;
    return true;
  });
  return n;
}

}  // namespace backflow::state
