// State directories: 0700 permissions, sync registry, per-day quota accounting, run locks.
#include <boost/test/unit_test.hpp>

#include <ctime>
#include <regex>

#include <sys/stat.h>
#include <unistd.h>

#include "state/state_dir.hpp"
#include "tests/support/temp_dir.hpp"

using namespace backflow;
using namespace backflow::state;
using backflow::testing::temp_dir;

namespace {

unsigned mode_of(const std::filesystem::path& p) {
  struct stat st {};
  BOOST_REQUIRE(::stat(p.c_str(), &st) == 0);
  return st.st_mode & 0777;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(state_dirs)

BOOST_AUTO_TEST_CASE(the_directory_is_created_private) {
  temp_dir d;
  auto path = d.path() / "nested" / "state";
  auto sd = state_dir::open(path);
  BOOST_REQUIRE_MESSAGE(sd.ok(), (sd.ok() ? "" : sd.error().message));
  BOOST_TEST(mode_of(path) == 0700u);
  BOOST_TEST(std::filesystem::exists(path / "data.mdb"));
  BOOST_TEST(mode_of(path / "data.mdb") == 0600u);
  BOOST_TEST((*sd)->path() == path);
}

BOOST_AUTO_TEST_CASE(an_existing_open_directory_is_made_private) {
  temp_dir d;
  auto path = d.path() / "state";
  std::filesystem::create_directory(path);
  ::chmod(path.c_str(), 0755);
  auto env = environment::open(path);
  BOOST_TEST(mode_of(path) == 0700u);
}

BOOST_AUTO_TEST_CASE(an_unusable_path_is_an_error_naming_it) {
  temp_dir d;
  backflow::testing::write_file(d.file("plain"), "not a directory");
  auto sd = state_dir::open(d.path() / "plain" / "state");
  BOOST_REQUIRE(!sd.ok());
  BOOST_TEST(sd.error().message.rfind("--state: ", 0) == 0, sd.error().message);
  BOOST_TEST(sd.error().message.find(d.file("plain")) != std::string::npos, sd.error().message);
}

BOOST_AUTO_TEST_CASE(syncs_are_registered_and_forgotten) {
  temp_dir d;
  auto sd = *state_dir::open(d.path());
  sd->register_sync("b_sync", {{"last_status", "success"}});
  sd->register_sync("a_sync", {{"last_status", "partial"}});
  sd->register_sync("b_sync", {{"last_status", "aborted"}});
  auto all = sd->syncs();
  BOOST_REQUIRE_EQUAL(all.size(), 2u);
  BOOST_TEST(all[0].first == "a_sync");
  BOOST_TEST(all[1].second == nlohmann::json({{"last_status", "aborted"}}));
  sd->forget_sync("a_sync");
  BOOST_TEST(sd->syncs().size() == 1u);
}

BOOST_AUTO_TEST_CASE(quota_accumulates_per_account_and_day) {
  temp_dir d;
  auto sd = *state_dir::open(d.path());
  const std::string day = "2026-11-24";
  BOOST_TEST(sd->quota("hubspot:a", day).used == 0);
  BOOST_TEST(sd->quota("hubspot:a", day).day == day);
  sd->env()->write([&](transaction& txn) {
    sd->add_quota(txn, "hubspot:a", day, 3);
    sd->add_quota(txn, "hubspot:a", day, 2);
    sd->add_quota(txn, "hubspot:b", day, 0);
  });
  sd->env()->write([&](transaction& txn) { sd->add_quota(txn, "hubspot:a", day, 10); });
  BOOST_TEST(sd->quota("hubspot:a", day).used == 15);
  BOOST_TEST(sd->quota("hubspot:b", day).used == 0);
  // Survives reopening: a restart does not reset a daily budget.
  auto path = sd->path();
  sd.reset();
  auto again = *state_dir::open(path);
  BOOST_TEST(again->quota("hubspot:a", day).used == 15);
}

BOOST_AUTO_TEST_CASE(yesterdays_usage_does_not_count_today) {
  temp_dir d;
  auto sd = *state_dir::open(d.path());
  sd->env()->write([&](transaction& txn) {
    txn.put(sd->quota_db, "hubspot:a", R"({"day":"2000-01-01","used":99999})");
  });
  BOOST_TEST(sd->quota("hubspot:a", "2026-11-24").used == 0);
  sd->env()->write([&](transaction& txn) { sd->add_quota(txn, "hubspot:a", "2026-11-24", 4); });
  BOOST_TEST(sd->quota("hubspot:a", "2026-11-24").used == 4);
}

BOOST_AUTO_TEST_CASE(a_second_run_of_a_sync_is_refused) {
  temp_dir d;
  auto first = sync_lock::acquire(d.path(), "pql_to_hubspot");
  BOOST_REQUIRE_MESSAGE(first.ok(), (first.ok() ? "" : first.error().message));
  auto second = sync_lock::acquire(d.path(), "pql_to_hubspot");
  BOOST_REQUIRE(!second.ok());
  const auto& msg = second.error().message;
  BOOST_TEST(msg.find("sync \"pql_to_hubspot\" is already running") != std::string::npos, msg);
  BOOST_TEST(msg.find("(pid " + std::to_string(::getpid()) + ")") != std::string::npos, msg);
  BOOST_TEST(msg.find(d.path().string()) != std::string::npos, msg);
  // Another sync is independent, and the lock is free again once released.
  BOOST_TEST(sync_lock::acquire(d.path(), "other_sync").ok());
  first.value().reset();
  BOOST_TEST(sync_lock::acquire(d.path(), "pql_to_hubspot").ok());
}

BOOST_AUTO_TEST_SUITE_END()
