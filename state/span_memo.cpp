// Remembered unchanged spans (see span_memo.hpp).
#include "state/span_memo.hpp"

#include <algorithm>
#include <cstring>

namespace backflow::state {
namespace {

std::string digest_key(const hash128& d) {
  // Big-endian, high word first: the table's order is hash128_less's.
  std::string k(16, '\0');
  for (int i = 0; i < 8; ++i) {
    k[i] = static_cast<char>(d.high >> (56 - 8 * i));
    k[8 + i] = static_cast<char>(d.low >> (56 - 8 * i));
  }
  return k;
}

std::optional<hash128> digest_of(std::string_view key) {
  if (key.size() != 16)
    return std::nullopt;
  hash128 d;
  for (int i = 0; i < 8; ++i) {
    d.high = (d.high << 8) | static_cast<uint8_t>(key[i]);
    d.low = (d.low << 8) | static_cast<uint8_t>(key[8 + i]);
  }
  return d;
}

void put_varint(std::string& out, uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
}

bool get_varint(std::string_view& in, uint64_t& v) {
  v = 0;
  for (int shift = 0; shift < 64 && !in.empty(); shift += 7) {
    auto byte = static_cast<uint8_t>(in.front());
    in.remove_prefix(1);
    v |= uint64_t{byte & 0x7fu} << shift;
    if ((byte & 0x80) == 0)
      return true;
  }
  return false;
}

/// The slots as a count, then each slot's difference from the one before, zigzag-encoded: a
/// model synced in its own order has consecutive slots, one byte each.
std::string encode_slots(const std::vector<uint64_t>& slots) {
  std::string out;
  put_varint(out, slots.size());
  uint64_t previous = 0;
  for (auto slot : slots) {
    auto delta = static_cast<int64_t>(slot - previous);
    put_varint(out, (static_cast<uint64_t>(delta) << 1) ^ static_cast<uint64_t>(delta >> 63));
    previous = slot;
  }
  return out;
}

std::optional<std::vector<uint64_t>> decode_slots(std::string_view in) {
  uint64_t n = 0;
  if (!get_varint(in, n) || n > in.size())
    return std::nullopt;
  std::vector<uint64_t> slots;
  slots.reserve(n);
  uint64_t previous = 0;
  for (uint64_t i = 0; i < n; ++i) {
    uint64_t z = 0;
    if (!get_varint(in, z))
      return std::nullopt;
    auto delta = static_cast<int64_t>(z >> 1) ^ -static_cast<int64_t>(z & 1);
    previous += static_cast<uint64_t>(delta);
    slots.push_back(previous);
  }
  if (!in.empty())
    return std::nullopt;
  return slots;
}

}  // namespace

std::vector<hash128> remembered_spans(const sync_state& st) {
  std::vector<hash128> out;
  st.env().read([&](transaction& txn) {
    st.spans().scan(txn, {}, [&](std::string_view key, std::string_view) {
      auto d = digest_of(key);
      if (!d)
        st.damaged("spans", key);
      out.push_back(*d);
      return true;
    });
  });
  std::sort(out.begin(), out.end(), hash128_less{});
  return out;
}

std::optional<std::vector<uint64_t>> span_slots(const sync_state& st, const transaction& txn,
                                                const hash128& digest) {
  auto key = digest_key(digest);
  auto bytes = st.spans().get(txn, key);
  if (!bytes)
    return std::nullopt;
  auto slots = decode_slots(*bytes);
  if (!slots)
    st.damaged("spans", key);
  return slots;
}

void remember_span(const sync_state& st, transaction& txn, const hash128& digest,
                   const std::vector<uint64_t>& slots) {
  st.spans().put(txn, digest_key(digest), encode_slots(slots));
}

size_t keep_only_spans(const sync_state& st, transaction& txn, const std::vector<hash128>& keep) {
  std::vector<std::string> gone;
  st.spans().scan(txn, {}, [&](std::string_view key, std::string_view) {
    auto d = digest_of(key);
    if (!d || !std::binary_search(keep.begin(), keep.end(), *d, hash128_less{}))
      gone.emplace_back(key);
    return true;
  });
  for (const auto& key : gone)
    st.spans().del(txn, key);
  return gone.size();
}

void forget_spans(const sync_state& st, transaction& txn) { st.spans().clear(txn); }

}  // namespace backflow::state
