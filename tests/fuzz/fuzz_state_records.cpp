// Fuzzes the LMDB value decoders and the row codec on arbitrary bytes (a corrupt state file).
#include <cstring>

#include "pipelines/core/row_codec.hpp"
#include "state/lmdb.hpp"
#include "state/records.hpp"
#include "tests/fuzz/fuzz_support.hpp"

using namespace backflow;
using namespace backflow::state;

namespace {

bool same_cell(const cell& a, const cell& b) {
  if (a.type != b.type || a.integer != b.integer || a.text != b.text)
    return false;
  // row_writer folds -0.0 into 0.0; every other double keeps its bits (NaNs included).
  if (a.real == 0.0 && b.real == 0.0)
    return true;
  return std::memcmp(&a.real, &b.real, sizeof a.real) == 0;
}

void check_rows(std::string_view bytes) {
  row_reader reader{bytes};
  std::vector<cell> cells;
  cell c;
  size_t last = 0;
  while (reader.next(c)) {
    fuzz::require(reader.position() > last && reader.position() <= bytes.size(),
                  "row_reader advances within the row");
    last = reader.position();
    if (c.is_text_like())
      fuzz::require(c.text.data() >= bytes.data() &&
                        c.text.data() + c.text.size() <= bytes.data() + bytes.size(),
                    "a text cell views into the row");
    (void)cell_to_string(c);
    cells.push_back(c);
  }
  fuzz::require(decode_row(bytes).size() == cells.size(), "decode_row reads what row_reader reads");
  std::string encoded;
  row_writer writer{encoded};
  for (const auto& cell : cells)
    writer.write(cell);
  auto again = decode_row(encoded);
  fuzz::require(again.size() == cells.size(), "re-encoded cells decode to as many cells");
  for (size_t i = 0; i < cells.size(); ++i)
    fuzz::require(same_cell(again[i], cells[i]), "re-encoded cells decode equal");
}

void check_records(std::string_view bytes) {
  if (auto k = decode_key_record(bytes)) {
    hash128 hash;
    uint64_t slot = 0;
    bool orphan = false;
    fuzz::require(peek_key_record(bytes, hash, slot, orphan) && hash == k->hash &&
                      slot == k->slot && orphan == k->orphan,
                  "peek_key_record agrees with decode_key_record");
    auto again = decode_key_record(encode(*k));
    fuzz::require(again && again->hash == k->hash && again->slot == k->slot &&
                      again->dest_id == k->dest_id && again->long_key == k->long_key,
                  "a key record survives encode/decode");
  }
  if (auto ch = decode_change_record(bytes)) {
    (void)to_string(ch->kind);
    auto again = decode_change_record(encode(*ch));
    fuzz::require(again && again->payload == ch->payload && again->dest_id == ch->dest_id &&
                      again->long_key == ch->long_key && again->mapping_failed == ch->mapping_failed,
                  "a change record survives encode/decode");
    if (!ch->mapping_failed)
      check_rows(ch->payload);
  }
  if (auto rej = decode_reject_record(bytes)) {
    auto again = decode_reject_record(encode(*rej));
    fuzz::require(again && again->hash == rej->hash && again->reason == rej->reason &&
                      again->run_id == rej->run_id && again->attempts == rej->attempts &&
                      again->deletion == rej->deletion, "a reject record survives encode/decode");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  // The first byte says how long the entry's key is; the rest is the record.
  size_t key_size = size > 0 ? static_cast<uint8_t>(bytes[0]) % 32 : 0;
  auto key = bytes.substr(std::min<size_t>(1, size), key_size);
  auto body = bytes.substr(std::min(size, 1 + key_size));
  check_records(body);
  // A sealed entry as read back: garbage is refused as damage, never read as a value.
  try {
    check_records(unsealed(key, body));
  } catch (const state_damaged&) {
  }
  fuzz::require(unsealed(key, sealed(key, body)) == body, "a sealed value reads back as itself");
  (void)decode_v1_key_record(body);
  (void)decode_v1_reject_record(body);
  check_rows(bytes);
  return 0;
}
