// Encodings of the per-key LMDB values: round trips, exact layout, and rejection of garbage.
#include <boost/test/unit_test.hpp>

#include "state/lmdb.hpp"
#include "state/records.hpp"

using namespace backflow;
using namespace backflow::state;

namespace {

const hash128 some_hash{0x0123456789abcdefULL, 0xfedcba9876543210ULL};

}  // namespace

BOOST_AUTO_TEST_SUITE(state_records)

BOOST_AUTO_TEST_CASE(key_records_round_trip) {
  key_record r{some_hash, 12345, "hs-901"};
  auto bytes = encode(r);
  BOOST_TEST(bytes.size() == 2u + 16u + 8u + 4u + 6u);  // version, flags, hash, slot, id
  BOOST_TEST(bytes[0] == 2);
  auto back = decode_key_record(bytes);
  BOOST_REQUIRE(back);
  BOOST_TEST((back->hash == some_hash));
  BOOST_TEST(back->slot == 12345u);
  BOOST_TEST(back->dest_id == "hs-901");
  BOOST_TEST(!back->orphan);
  BOOST_TEST(back->long_key.empty());
  auto no_id = decode_key_record(encode(key_record{some_hash, 0, ""}));
  BOOST_REQUIRE(no_id);
  BOOST_TEST(no_id->dest_id.empty());
  key_record orphan{some_hash, 3, "x", true, std::string(900, 'k')};
  auto back_orphan = decode_key_record(encode(orphan));
  BOOST_REQUIRE(back_orphan);
  BOOST_TEST(back_orphan->orphan);
  BOOST_TEST(back_orphan->long_key == orphan.long_key);
}

BOOST_AUTO_TEST_CASE(peek_reads_hash_slot_and_orphan_only) {
  hash128 h;
  uint64_t slot = 0;
  bool orphan = true;
  BOOST_TEST(peek_key_record(encode(key_record{some_hash, 77, "x"}), h, slot, orphan));
  BOOST_TEST((h == some_hash));
  BOOST_TEST(slot == 77u);
  BOOST_TEST(!orphan);
  BOOST_TEST(peek_key_record(encode(key_record{some_hash, 1, "", true}), h, slot, orphan));
  BOOST_TEST(orphan);
  BOOST_TEST(!peek_key_record(std::string(24, '\1'), h, slot, orphan));         // too short
  BOOST_TEST(!peek_key_record("\1" + std::string(40, '\0'), h, slot, orphan));  // other version
}

BOOST_AUTO_TEST_CASE(change_records_round_trip_every_kind) {
  const std::string payload(
      "\x05\x03"
      "a\0b",
      5);  // binary row bytes, with a NUL
  for (auto kind : {change_kind::added, change_kind::changed, change_kind::deleted}) {
    change_record r{kind, some_hash, "dest-1", kind == change_kind::deleted ? "" : payload};
    auto back = decode_change_record(encode(r));
    BOOST_REQUIRE(back);
    BOOST_TEST((back->kind == kind));
    BOOST_TEST((back->hash == some_hash));
    BOOST_TEST(back->dest_id == "dest-1");
    BOOST_TEST(back->payload == r.payload);
    BOOST_TEST(!back->mapping_failed);
  }
  change_record refused{change_kind::added, some_hash, "", "column \"x\": bad", true,
                        std::string(450, 'q')};
  auto back = decode_change_record(encode(refused));
  BOOST_REQUIRE(back);
  BOOST_TEST(back->mapping_failed);
  BOOST_TEST(back->payload == refused.payload);
  BOOST_TEST(back->long_key == refused.long_key);
  BOOST_TEST(std::string(to_string(change_kind::changed)) == "changed");
}

BOOST_AUTO_TEST_CASE(reject_records_round_trip) {
  reject_record r{some_hash, "VALIDATION_ERROR: bad email [INVALID_EMAIL]", 42, 3, true};
  auto back = decode_reject_record(encode(r));
  BOOST_REQUIRE(back);
  BOOST_TEST((back->hash == some_hash));
  BOOST_TEST(back->reason == r.reason);
  BOOST_TEST(back->run_id == 42u);
  BOOST_TEST(back->attempts == 3u);
  BOOST_TEST(back->deletion);
  r.deletion = false;
  BOOST_TEST(!decode_reject_record(encode(r))->deletion);
}

BOOST_AUTO_TEST_CASE(garbage_is_rejected) {
  BOOST_TEST(!decode_key_record(""));
  BOOST_TEST(!decode_change_record(""));
  BOOST_TEST(!decode_reject_record(""));
  BOOST_TEST(!decode_key_record("not a record at all, just text"));
  // Truncated anywhere, including inside the trailing string.
  auto full = encode(key_record{some_hash, 1, "abcdef"});
  for (size_t n = 0; n < full.size(); ++n)
    BOOST_TEST(!decode_key_record(full.substr(0, n)), "truncated at " << n);
  auto reject = encode(reject_record{some_hash, "why", 1, 1, false});
  for (size_t n = 0; n < reject.size(); ++n)
    BOOST_TEST(!decode_reject_record(reject.substr(0, n)), "truncated at " << n);
  auto change = encode(change_record{change_kind::added, some_hash, "id", "row"});
  for (size_t n = 0; n < 3 + 16 + 4 + 2; ++n)  // the header and the id (the payload is the rest)
    BOOST_TEST(!decode_change_record(change.substr(0, n)), "truncated at " << n);
}

BOOST_AUTO_TEST_CASE(version_1_records_are_read_for_migration) {
  // The 0.1 layout: version 1, no flags, no checksum.
  std::string v1;
  v1.push_back(1);
  v1.append(reinterpret_cast<const char*>(&some_hash.low), 8);
  v1.append(reinterpret_cast<const char*>(&some_hash.high), 8);
  uint64_t slot = 5;
  v1.append(reinterpret_cast<const char*>(&slot), 8);
  uint32_t len = 3;
  v1.append(reinterpret_cast<const char*>(&len), 4);
  v1 += "h-1";
  auto back = decode_v1_key_record(v1);
  BOOST_REQUIRE(back);
  BOOST_TEST(back->slot == 5u);
  BOOST_TEST(back->dest_id == "h-1");
  BOOST_TEST(!decode_key_record(v1));  // never mistaken for the current layout
}

BOOST_AUTO_TEST_CASE(u64_keys_sort_numerically) {
  BOOST_TEST(u64_key(1) < u64_key(256));
  BOOST_TEST(u64_key(255) < u64_key(256));
  BOOST_TEST(u64_key(0xffffffffULL) < u64_key(0x100000000ULL));
  for (uint64_t v : {0ULL, 1ULL, 300ULL, 0xdeadbeefcafeULL, ~0ULL})
    BOOST_TEST(u64_from_key(u64_key(v)) == v);
  BOOST_TEST(u64_key(1) == std::string("\0\0\0\0\0\0\0\1", 8));
}

BOOST_AUTO_TEST_SUITE_END()
