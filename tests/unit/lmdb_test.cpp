// The LMDB wrappers: transactions, scans, named databases, and map growth after MDB_MAP_FULL.
#include <boost/test/unit_test.hpp>

#include <fstream>

#include "state/lmdb.hpp"
#include "tests/support/temp_dir.hpp"

using namespace backflow::state;
using backflow::testing::temp_dir;

BOOST_AUTO_TEST_SUITE(lmdb_wrappers)

BOOST_AUTO_TEST_CASE(put_get_insert_delete_count) {
  temp_dir d;
  auto env = environment::open(d.path());
  auto db = env->db("t");
  BOOST_TEST(env->db("t") == db);  // handles are cached
  env->write([&](transaction& txn) {
    txn.put(db, "k1", "v1");
    BOOST_TEST(txn.insert(db, "k2", "v2"));
    BOOST_TEST(!txn.insert(db, "k2", "other"));
    BOOST_TEST(*txn.get(db, "k2") == "v2");
    BOOST_TEST(txn.del(db, "k1"));
    BOOST_TEST(!txn.del(db, "k1"));
    BOOST_TEST(!txn.get(db, "k1"));
    BOOST_TEST(txn.count(db) == 1u);
  });
  env->read([&](transaction& txn) { BOOST_TEST(*txn.get(db, "k2") == "v2"); });
}

BOOST_AUTO_TEST_CASE(a_throwing_write_commits_nothing) {
  temp_dir d;
  auto env = environment::open(d.path());
  auto db = env->db("t");
  BOOST_CHECK_THROW(env->write([&](transaction& txn) {
    txn.put(db, "k", "v");
    throw std::runtime_error("boom");
  }),
                    std::runtime_error);
  env->read([&](transaction& txn) { BOOST_TEST(!txn.get(db, "k")); });
}

BOOST_AUTO_TEST_CASE(scans_run_in_key_order_from_a_start_key) {
  temp_dir d;
  auto env = environment::open(d.path());
  auto db = env->db("t");
  env->write([&](transaction& txn) {
    for (const char* k : {"d", "b", "a", "c"})
      txn.put(db, k, std::string("v") + k);
  });
  std::string seen;
  env->read([&](transaction& txn) {
    txn.scan(db, {}, [&](std::string_view k, std::string_view) {
      seen += k;
      return true;
    });
    seen += "|";
    txn.scan(db, "bb", [&](std::string_view k, std::string_view v) {
      seen += std::string(k) + "=" + std::string(v) + ",";
      return k != "c";  // stop after c
    });
  });
  BOOST_TEST(seen == "abcd|c=vc,");
}

BOOST_AUTO_TEST_CASE(drop_empties_or_removes_a_database) {
  temp_dir d;
  auto env = environment::open(d.path());
  auto db = env->db("t");
  env->write([&](transaction& txn) { txn.put(db, "k", "v"); });
  env->drop("t", false);
  env->read([&](transaction& txn) { BOOST_TEST(txn.count(db) == 0u); });
  env->write([&](transaction& txn) { txn.put(db, "k2", "v"); });
  env->drop("t", true);
  auto again = env->db("t");
  env->read([&](transaction& txn) { BOOST_TEST(txn.count(again) == 0u); });
}

// environment::open always maps 1 GiB and offers no way to choose a smaller map, so filling it
// through the API would take over a gigabyte. raw() exposes the MDB_env, and LMDB allows
// mdb_env_set_mapsize between transactions: shrink the map to what is used, then write 4 MiB in
// one transaction. write() must abort, double the map and rerun the callback until it fits.
BOOST_AUTO_TEST_CASE(a_full_map_grows_and_the_write_is_retried) {
  temp_dir d;
  auto env = environment::open(d.path());
  auto db = env->db("big");
  BOOST_REQUIRE_EQUAL(mdb_env_set_mapsize(env->raw(), 64 * 1024), 0);  // LMDB keeps >= used pages
  const auto tiny = env->map_size();
  BOOST_REQUIRE_LT(tiny, size_t{1} << 20);
  const std::string value(4096, 'x');
  int calls = 0;
  env->write([&](transaction& txn) {
    ++calls;
    for (int i = 0; i < 1024; ++i)
      txn.put(db, "key-" + std::to_string(i), value);
  });
  BOOST_TEST(calls > 1);
  BOOST_TEST(env->map_size() >= size_t{4} << 20);
  BOOST_TEST(env->map_size() >= 2 * tiny);
  env->read([&](transaction& txn) {
    BOOST_TEST(txn.count(db) == 1024u);
    BOOST_TEST(txn.get(db, "key-1023")->size() == 4096u);
  });
}

BOOST_AUTO_TEST_CASE(released_pages_read_back_unchanged) {
  temp_dir d;
  auto env = environment::open(d.path());
  env->release_resident_pages();  // nothing touched yet
  auto db = env->db("t");
  env->write([&](transaction& txn) {
    for (int i = 0; i < 2000; ++i)
      txn.put(db, "k" + std::to_string(i), std::string(100, static_cast<char>('a' + i % 26)));
  });
  env->release_resident_pages();
  env->read([&](transaction& txn) {
    auto v = txn.get(db, "k1999");
    BOOST_REQUIRE(v);
    env->release_resident_pages();  // while a reader holds views into the map
    BOOST_TEST(*v == std::string(100, static_cast<char>('a' + 1999 % 26)));
    BOOST_TEST(txn.count(db) == 2000u);
  });
}

BOOST_AUTO_TEST_CASE(lmdb_errors_name_the_operation) {
  lmdb_error e("put", MDB_MAP_FULL);
  BOOST_TEST(e.code() == MDB_MAP_FULL);
  BOOST_TEST(std::string(e.what()).rfind("state (LMDB) put: MDB_MAP_FULL", 0) == 0, e.what());
}

BOOST_AUTO_TEST_CASE(stored_values_are_sealed_and_any_damage_is_caught) {
  // A value (or its key) damaged on disk must never be read as another valid value.
  const std::string key = "\0\0\0\0\0\0\0\1user@example.com";
  const std::string value = std::string("\2\0hash-and-slot", 15) + "hs-901";
  auto stored = sealed(key, value);
  BOOST_TEST(stored.size() == value.size() + 4);
  BOOST_TEST(unsealed(key, stored) == value);
  for (size_t i = 0; i < stored.size(); ++i)
    for (int bit = 0; bit < 8; ++bit) {
      auto damaged = stored;
      damaged[i] = static_cast<char>(damaged[i] ^ (1 << bit));
      BOOST_CHECK_THROW(unsealed(key, damaged), state_damaged);
    }
  for (size_t i = 0; i < key.size(); ++i) {
    auto other_key = key;
    other_key[i] = static_cast<char>(other_key[i] ^ 0x20);
    BOOST_CHECK_THROW(unsealed(other_key, stored), state_damaged);
  }
  BOOST_CHECK_THROW(unsealed(key, "abc"), state_damaged);
}

BOOST_AUTO_TEST_CASE(a_value_overwritten_in_the_file_is_damage_when_read) {
  temp_dir d;
  {
    auto env = environment::open(d.path());
    auto db = env->db("t");
    env->write([&](transaction& txn) { txn.put(db, "k", "the-original-value"); });
  }
  {
    std::fstream f(d.path() / "data.mdb", std::ios::in | std::ios::out | std::ios::binary);
    std::string all((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    auto at = all.find("the-original-value");
    BOOST_REQUIRE(at != std::string::npos);
    f.seekp(static_cast<std::streamoff>(at + 4));
    f.write("X", 1);
  }
  auto env = environment::open(d.path());
  auto db = env->db("t");
  env->read([&](transaction& txn) { BOOST_CHECK_THROW((void)txn.get(db, "k"), state_damaged); });
}

BOOST_AUTO_TEST_SUITE_END()
