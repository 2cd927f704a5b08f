// Encodings of the per-key LMDB values (see records.hpp). Layouts are versioned by a leading byte.
#include "state/records.hpp"

#include <cstring>

namespace backflow::state {
namespace {

constexpr char key_record_v1 = 1;
constexpr char change_record_v1 = 1;
constexpr char reject_record_v1 = 1;

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
    if (!u32(n) || pos_ + n > in_.size())
      return false;
    v.assign(in_.data() + pos_, n);
    pos_ += n;
    return true;
  }
  bool hash(hash128& h) { return u64(h.low) && u64(h.high); }
  std::string_view rest() { return in_.substr(pos_); }

 private:
  std::string_view in_;
  size_t pos_ = 0;
};

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
  out.reserve(1 + 16 + 8 + 4 + r.dest_id.size());
  out.push_back(key_record_v1);
  put_u64(out, r.hash.low);
  put_u64(out, r.hash.high);
  put_u64(out, r.slot);
  put_string(out, r.dest_id);
  return out;
}

bool peek_key_record(std::string_view bytes, hash128& hash, uint64_t& slot) {
  if (bytes.size() < 25 || bytes[0] != key_record_v1)
    return false;
  std::memcpy(&hash.low, bytes.data() + 1, 8);
  std::memcpy(&hash.high, bytes.data() + 9, 8);
  std::memcpy(&slot, bytes.data() + 17, 8);
  return true;
}

std::optional<key_record> decode_key_record(std::string_view bytes) {
  reader in(bytes);
  uint8_t version;
  key_record r;
  if (!in.u8(version) || version != key_record_v1 || !in.hash(r.hash) || !in.u64(r.slot) ||
      !in.str(r.dest_id))
    return std::nullopt;
  return r;
}

std::string encode(const change_record& r) {
  std::string out;
  out.reserve(2 + 16 + 4 + r.dest_id.size() + r.row.size());
  out.push_back(change_record_v1);
  out.push_back(static_cast<char>(r.kind));
  put_u64(out, r.hash.low);
  put_u64(out, r.hash.high);
  put_string(out, r.dest_id);
  out.append(r.row);
  return out;
}

std::optional<change_record> decode_change_record(std::string_view bytes) {
  reader in(bytes);
  uint8_t version;
  uint8_t kind;
  change_record r;
  if (!in.u8(version) || version != change_record_v1 || !in.u8(kind) || kind < 1 || kind > 3 ||
      !in.hash(r.hash) || !in.str(r.dest_id))
    return std::nullopt;
  r.kind = static_cast<change_kind>(kind);
  r.row = std::string(in.rest());
  return r;
}

std::string encode(const reject_record& r) {
  std::string out;
  out.push_back(reject_record_v1);
  out.push_back(r.deletion ? 1 : 0);
  put_u64(out, r.hash.low);
  put_u64(out, r.hash.high);
  put_u64(out, r.run_id);
  put_u32(out, r.attempts);
  put_string(out, r.reason);
  return out;
}

std::optional<reject_record> decode_reject_record(std::string_view bytes) {
  reader in(bytes);
  uint8_t version;
  uint8_t deletion;
  reject_record r;
  if (!in.u8(version) || version != reject_record_v1 || !in.u8(deletion) || !in.hash(r.hash) ||
      !in.u64(r.run_id) || !in.u32(r.attempts) || !in.str(r.reason))
    return std::nullopt;
  r.deletion = deletion != 0;
  return r;
}

}  // namespace backflow::state
