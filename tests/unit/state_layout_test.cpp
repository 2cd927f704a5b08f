// The layout of a state directory: shared databases with key prefixes (any number of syncs),
// migration from the per-sync layout, and damage recognised instead of read as data.
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <cstring>
#include <fstream>

#include "state/change_set_builder.hpp"
#include "state/state_dir.hpp"
#include "state/sync_state.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/unit/state_fixture.hpp"

using namespace backflow;
using namespace backflow::state;
using namespace backflow::unit;
using backflow::testing::temp_dir;

namespace {

/// Delivers `keys` for sync `st` (as a run would after the destination acknowledged them).
void deliver(const sync_state& st, const std::vector<std::string>& keys) {
  std::vector<settled_record> records;
  for (const auto& k : keys)
    records.push_back({k, change_kind::added, value_hash(k), settlement::delivered, "id-" + k, {}});
  st.env().write([&](transaction& txn) { st.settle(txn, records, 1); });
}

/// Writes an entry into a named database as Backflow 0.1 did: no seal.
void put_raw(environment& env, const std::string& db, std::string_view key, std::string_view value) {
  auto dbi = env.db(db);
  env.write([&](transaction& txn) {
    MDB_val k{key.size(), const_cast<char*>(key.data())};
    MDB_val v{value.size(), const_cast<char*>(value.data())};
    BOOST_REQUIRE(mdb_put(txn.raw(), dbi, &k, &v, 0) == MDB_SUCCESS);
  });
}

std::string v1_key_record(uint64_t slot, const std::string& dest_id) {
  std::string out(1, '\1');
  hash128 h{1, 2};
  out.append(reinterpret_cast<const char*>(&h.low), 8);
  out.append(reinterpret_cast<const char*>(&h.high), 8);
  out.append(reinterpret_cast<const char*>(&slot), 8);
  auto n = static_cast<uint32_t>(dest_id.size());
  out.append(reinterpret_cast<const char*>(&n), 4);
  return out + dest_id;
}

/// Overwrites `n` bytes at `offset` of `file` with `byte`.
void overwrite(const std::filesystem::path& file, std::streamoff offset, size_t n, char byte) {
  std::fstream f(file, std::ios::in | std::ios::out | std::ios::binary);
  f.seekp(offset);
  std::string junk(n, byte);
  f.write(junk.data(), static_cast<std::streamsize>(n));
}

/// Where `needle` is in `file`, or -1.
std::streamoff find_in_file(const std::filesystem::path& file, const std::string& needle) {
  std::ifstream f(file, std::ios::binary);
  std::string all((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  auto pos = all.find(needle);
  return pos == std::string::npos ? -1 : static_cast<std::streamoff>(pos);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(state_layout)

BOOST_AUTO_TEST_CASE(ten_thousand_syncs_share_one_directory) {
  // A named database per sync capped a directory at 584 syncs (MDB_DBS_FULL); key prefixes
  // in a fixed set of databases have no such limit. (In memory: 20,000 commits on a disk
  // would mostly measure fsync.)
  temp_dir d("/dev/shm");
  auto sd = *state_dir::open(d.path());
  constexpr int syncs = 10'000;
  auto started = std::chrono::steady_clock::now();
  for (int i = 0; i < syncs; ++i) {
    sync_state st(sd, "sync_" + std::to_string(i));
    deliver(st, {"a" + std::to_string(i), "b"});
  }
  BOOST_TEST_MESSAGE("10,000 syncs written in "
                     << std::chrono::duration_cast<std::chrono::milliseconds>(
                            std::chrono::steady_clock::now() - started)
                            .count()
                     << " ms");
  BOOST_TEST(sd->env()->database_names().size() <= 12u);
  sd.reset();
  auto again = *state_dir::open(d.path());
  for (int i : {0, 1, 4999, 9999}) {
    sync_state st(again, "sync_" + std::to_string(i));
    BOOST_TEST(st.count().keys == 2u);
    // Each sync sees its own keys only: "b" is synced in every one, "a<i>" in one.
    auto t = plan_rows(st, {kv_rows({{"a" + std::to_string(i), "a" + std::to_string(i)}, {"b", "b"}})}, 7, 1);
    BOOST_TEST(t.stored_before == 2u);
    BOOST_TEST(t.unchanged == 2u);
    BOOST_TEST(t.added + t.deleted == 0u);
  }
  sync_state fresh(again, "sync_10000");
  BOOST_TEST(fresh.count().keys == 0u);
}

BOOST_AUTO_TEST_CASE(a_reset_forgets_one_sync_only) {
  temp_dir d;
  auto sd = *state_dir::open(d.path());
  sync_state a(sd, "a"), b(sd, "b"), c(sd, "c");
  for (const auto* st : {&a, &b, &c})
    deliver(*st, {"k1", "k2", "k3"});
  b.reset();
  BOOST_TEST(a.count().keys == 3u);
  BOOST_TEST(b.count().keys == 0u);
  BOOST_TEST(c.count().keys == 3u);
  BOOST_TEST(plan_rows(c, {kv_rows({{"k1", "k1"}, {"k2", "k2"}, {"k3", "k3"}})}, 7, 1).unchanged == 3u);
}

BOOST_AUTO_TEST_CASE(a_version_1_directory_is_migrated_keeping_ids_and_history) {
  temp_dir d;
  {
    // The 0.1 layout: named databases per sync, composite keys joined with '\x1f'.
    auto env = environment::open(d.path());
    put_raw(*env, "syncs", "old", R"({"destination":"webhook","mode":"mirror"})");
    put_raw(*env, "sync/old/keys", "a@x.com", v1_key_record(0, "hs-1"));
    put_raw(*env, "sync/old/keys", std::string("EU\x1f" "x|y", 6), v1_key_record(1, "hs-2"));
    put_raw(*env, "sync/old/meta", "run_counter", u64_key(41));
    put_raw(*env, "sync/old/meta", "next_slot", u64_key(2));
    put_raw(*env, "sync/old/meta", "plan", R"({"status":"applying","run_id":41})");
    put_raw(*env, "sync/old/runs", u64_key(41), R"({"run_id":41,"status":"incomplete"})");
    put_raw(*env, "sync/old/changes", "a@x.com", "\1\2whatever");
  }
  auto sd = *state_dir::open(d.path());
  for (const auto& name : sd->env()->database_names())
    BOOST_TEST(name.rfind("sync/", 0) != 0, "left behind: " << name);
  sync_state st(sd, "old");
  BOOST_TEST(st.count().keys == 2u);
  BOOST_TEST(st.count().changes == 0u);  // an interrupted change set is planned anew
  BOOST_TEST((st.load_plan().state == plan_record::status::none));
  BOOST_TEST(st.new_run_id() == 42u);  // run ids never repeat
  BOOST_TEST(st.recent_runs(10).size() == 1u);
  std::optional<key_record> migrated;
  std::string composite = "EU|x\\|y";  // today's unambiguous form
  sd->env()->read([&](transaction& txn) {
    if (auto v = st.keys().get(txn, composite))
      migrated = decode_key_record(*v);
  });
  BOOST_REQUIRE(migrated);
  BOOST_TEST(migrated->dest_id == "hs-2");  // what removes the record later
  BOOST_TEST(sd->sync_info("old").value("mode", "") == "mirror");
  // Opening again does not migrate twice.
  sd.reset();
  auto again = *state_dir::open(d.path());
  BOOST_TEST(sync_state(again, "old").count().keys == 2u);
}

BOOST_AUTO_TEST_CASE(a_layout_2_directory_becomes_layout_3_as_it_is_and_a_newer_one_is_refused) {
  temp_dir d;
  {
    auto sd = *state_dir::open(d.path());
    deliver(sync_state(sd, "s"), {"k1", "k2"});
  }
  auto set_format = [&](uint64_t format) {
    auto env = environment::open(d.path());
    auto catalog = env->db("catalog");
    env->write([&](transaction& txn) { txn.put(catalog, "format", u64_key(format)); });
  };
  set_format(2);
  {
    auto sd = *state_dir::open(d.path());
    BOOST_TEST(sync_state(sd, "s").count().keys == 2u);
    uint64_t format = 0;
    auto catalog = sd->env()->db("catalog");
    sd->env()->read([&](transaction& txn) { format = u64_from_key(*txn.get(catalog, "format")); });
    BOOST_TEST(format == state_format);
    BOOST_TEST(state_format == 3u);  // a layout-2 build must refuse it: spans it cannot keep
  }
  // A directory from a build newer than this one is refused, naming both layouts.
  set_format(state_format + 1);
  auto refused = state_dir::open(d.path());
  BOOST_REQUIRE(!refused);
  BOOST_TEST(refused.error().message.find("newer Backflow") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_truncated_file_is_damage_not_a_crash) {
  temp_dir d;
  {
    auto sd = *state_dir::open(d.path());
    sync_state st(sd, "s");
    for (int i = 0; i < 50; ++i) {
      std::vector<std::string> keys;
      for (int j = 0; j < 100; ++j)
        keys.push_back(std::string(200, 'k') + std::to_string(i * 100 + j));
      deliver(st, keys);
    }
  }
  auto file = d.path() / "data.mdb";
  std::filesystem::resize_file(file, std::filesystem::file_size(file) / 2);
  BOOST_CHECK_EXCEPTION(state_dir::open(d.path()), state_damaged, [](const state_damaged& e) {
    std::string what = e.what();
    return what.find("truncated") != std::string::npos && what.find("data.mdb") != std::string::npos;
  });
}

BOOST_AUTO_TEST_CASE(an_overwritten_record_is_damage_not_data) {
  temp_dir d;
  auto sd = *state_dir::open(d.path());
  sync_state st(sd, "s");
  deliver(st, {"alpha@example.com", "beta@example.com", "gamma@example.com"});
  sd.reset();
  // Damage the destination id stored with beta: a different id would archive another record.
  auto offset = find_in_file(d.path() / "data.mdb", "id-beta@example.com");
  BOOST_REQUIRE(offset >= 0);
  overwrite(d.path() / "data.mdb", offset + 3, 4, 'Z');
  auto damaged = *state_dir::open(d.path());
  sync_state again(damaged, "s");
  auto rows = kv_rows({{"alpha@example.com", "alpha@example.com"}});
  BOOST_CHECK_EXCEPTION(plan_rows(again, {rows}, 7, 1), state_damaged, [](const state_damaged& e) {
    std::string what = e.what();
    return what.find("database keys") != std::string::npos &&
           what.find("fails its checksum") != std::string::npos;
  });
}

BOOST_AUTO_TEST_CASE(an_overwritten_key_is_damage_not_another_row) {
  temp_dir d;
  auto sd = *state_dir::open(d.path());
  sync_state st(sd, "s");
  deliver(st, {"alpha@example.com", "beta@example.com"});
  sd.reset();
  // A key changed on disk must not be read as a row the model lost (which mirror would delete).
  auto file = d.path() / "data.mdb";
  std::ifstream in(file, std::ios::binary);
  std::string all((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto pos = all.find("beta@example.com");
  while (pos != std::string::npos) {  // the key itself (the id is "id-beta...")
    if (pos < 3 || all.compare(pos - 3, 3, "id-") != 0)
      break;
    pos = all.find("beta@example.com", pos + 1);
  }
  BOOST_REQUIRE(pos != std::string::npos);
  overwrite(file, static_cast<std::streamoff>(pos), 1, 'X');
  auto damaged = *state_dir::open(d.path());
  sync_state again(damaged, "s");
  BOOST_CHECK_THROW(plan_rows(again, {kv_rows({{"alpha@example.com", "alpha@example.com"}})}, 7, 1),
                    state_damaged);
}

BOOST_AUTO_TEST_SUITE_END()
