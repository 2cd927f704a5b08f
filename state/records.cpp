// Encodings of the per-key LMDB values (see records.hpp). Layouts are versioned by a leading byte;
// the transaction layer seals every stored value with a checksum (see lmdb.hpp).
#include "state/records.hpp"

#include <cstring>

#define XXH_INLINE_ALL
#include <xxhash.h>

namespace backflow::state {
namespace {

constexpr char record_v1 = 1;
constexpr char record_v2 = 2;

constexpr uint8_t key_orphan = 1;
constexpr uint8_t has_long_key = 2;
constexpr uint8_t change_mapping_failed = 4;
constexpr uint8_t change_identity_moved = 8;
constexpr uint8_t change_keep_identity = 16;

void put_u64(std::string& out, uint64_t v) {
  char buf[8];
  std::memcpy(buf, &v, 8);  // little endian on every platform we build for
  out.append(buf, 8);
}

void put_u32(std::string& out, uint32_t v) {
  char buf[4];
  std::memcpy(buf, &v, 4);
  out.append(buf, 4);
}

void put_string(std::string& out, std::string_view s) {
  put_u32(out, static_cast<uint32_t>(s.size()));
  out.append(s);
}

void put_hash(std::string& out, const hash128& h) {
  put_u64(out, h.low);
  put_u64(out, h.high);
}

/// Sequential reader that fails softly on truncated input.
class reader {
 public:
  explicit reader(std::string_view in) : in_(in) {}
  bool u8(uint8_t& v) {
    if (pos_ + 1 > in_.size())
      return false;
    v = static_cast<uint8_t>(in_[pos_++]);
    return true;
  }
  bool u64(uint64_t& v) {
    if (pos_ + 8 > in_.size())
      return false;
    std::memcpy(&v, in_.data() + pos_, 8);
    pos_ += 8;
    return true;
  }
  bool u32(uint32_t& v) {
    if (pos_ + 4 > in_.size())
      return false;
    std::memcpy(&v, in_.data() + pos_, 4);
    pos_ += 4;
    return true;
  }
  bool str(std::string& v) {
    uint32_t n;
    if (!u32(n) || n > in_.size() - pos_)
      return false;
    v.assign(in_.data() + pos_, n);
    pos_ += n;
    return true;
  }
  /// The long key when `flags` says there is one.
  bool long_key(uint8_t flags, std::string& v) { return (flags & has_long_key) == 0 || str(v); }
  bool hash(hash128& h) { return u64(h.low) && u64(h.high); }
  [[nodiscard]] bool at_end() const { return pos_ == in_.size(); }
  std::string_view rest() { return in_.substr(pos_); }

 private:
  std::string_view in_;
  size_t pos_ = 0;
};

uint8_t long_key_flag(const std::string& long_key) {
  return long_key.empty() ? 0 : has_long_key;
}

}  // namespace

const char* to_string(change_kind k) {
  switch (k) {
    case change_kind::added:
      return "added";
    case change_kind::changed:
      return "changed";
    case change_kind::deleted:
      return "deleted";
  }
  return "?";
}

std::string encode(const key_record& r) {
  std::string out;
  out.reserve(1 + 1 + 16 + 8 + 4 + r.dest_id.size() + 4 + r.long_key.size() + 4);
  out.push_back(record_v2);
  out.push_back(static_cast<char>((r.orphan ? key_orphan : 0) | long_key_flag(r.long_key)));
  put_hash(out, r.hash);
  put_u64(out, r.slot);
  put_string(out, r.dest_id);
  if (!r.long_key.empty())
    put_string(out, r.long_key);
  return out;
}

bool peek_key_record(std::string_view bytes, hash128& hash, uint64_t& slot,
                     bool& orphan) {
  if (bytes.size() < 30 || bytes[0] != record_v2)
    return false;
  orphan = (static_cast<uint8_t>(bytes[1]) & key_orphan) != 0;
  std::memcpy(&hash.low, bytes.data() + 2, 8);
  std::memcpy(&hash.high, bytes.data() + 10, 8);
  std::memcpy(&slot, bytes.data() + 18, 8);
  return true;
}

std::optional<key_record> decode_key_record(std::string_view bytes) {
  reader in(bytes);
  uint8_t version;
  uint8_t flags;
  key_record r;
  if (!in.u8(version) || version != record_v2 || !in.u8(flags) || !in.hash(r.hash) ||
      !in.u64(r.slot) || !in.str(r.dest_id) || !in.long_key(flags, r.long_key) || !in.at_end())
    return std::nullopt;
  r.orphan = (flags & key_orphan) != 0;
  return r;
}

std::string encode(const change_record& r) {
  std::string out;
  out.reserve(3 + 16 + 4 + r.dest_id.size() + 4 + r.long_key.size() + r.payload.size() + 4);
  out.push_back(record_v2);
  out.push_back(static_cast<char>(r.kind));
  out.push_back(static_cast<char>((r.mapping_failed ? change_mapping_failed : 0) |
                                  (r.identity_moved ? change_identity_moved : 0) |
                                  (r.keep_identity ? change_keep_identity : 0) |
                                  long_key_flag(r.long_key)));
  put_hash(out, r.hash);
  put_string(out, r.dest_id);
  if (!r.long_key.empty())
    put_string(out, r.long_key);
  out.append(r.payload);
  return out;
}

std::optional<change_record> decode_change_record(std::string_view bytes) {
  reader in(bytes);
  uint8_t version;
  uint8_t kind;
  uint8_t flags;
  change_record r;
  if (!in.u8(version) || version != record_v2 || !in.u8(kind) || kind < 1 || kind > 3 ||
      !in.u8(flags) || !in.hash(r.hash) || !in.str(r.dest_id) || !in.long_key(flags, r.long_key))
    return std::nullopt;
  r.kind = static_cast<change_kind>(kind);
  r.mapping_failed = (flags & change_mapping_failed) != 0;
  r.identity_moved = (flags & change_identity_moved) != 0;
  r.keep_identity = (flags & change_keep_identity) != 0;
  r.payload = std::string(in.rest());
  return r;
}

std::string encode(const reject_record& r) {
  std::string out;
  out.push_back(record_v2);
  out.push_back(static_cast<char>((r.deletion ? 1 : 0) | long_key_flag(r.long_key)));
  put_hash(out, r.hash);
  put_u64(out, r.run_id);
  put_u32(out, r.attempts);
  put_string(out, r.reason);
  if (!r.long_key.empty())
    put_string(out, r.long_key);
  return out;
}

std::optional<reject_record> decode_reject_record(std::string_view bytes) {
  reader in(bytes);
  uint8_t version;
  uint8_t flags;
  reject_record r;
  if (!in.u8(version) || version != record_v2 || !in.u8(flags) || !in.hash(r.hash) ||
      !in.u64(r.run_id) || !in.u32(r.attempts) || !in.str(r.reason) ||
      !in.long_key(flags, r.long_key) || !in.at_end())
    return std::nullopt;
  r.deletion = (flags & 1) != 0;
  return r;
}

std::optional<key_record> decode_v1_key_record(std::string_view bytes) {
  reader in(bytes);
  uint8_t version;
  key_record r;
  if (!in.u8(version) || version != record_v1 || !in.hash(r.hash) || !in.u64(r.slot) ||
      !in.str(r.dest_id))
    return std::nullopt;
  return r;
}

std::optional<reject_record> decode_v1_reject_record(std::string_view bytes) {
  reader in(bytes);
  uint8_t version;
  uint8_t deletion;
  reject_record r;
  if (!in.u8(version) || version != record_v1 || !in.u8(deletion) || !in.hash(r.hash) ||
      !in.u64(r.run_id) || !in.u32(r.attempts) || !in.str(r.reason))
    return std::nullopt;
  r.deletion = deletion != 0;
  return r;
}

}  // namespace backflow::state
