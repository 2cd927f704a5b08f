// End to end: a sync's state is never reused, trusted or kept paused wrongly (issue 10):
// another sync file under the same name (defect 6), a damaged state directory (defect 9), a
// bogus Retry-After (defect 10), a full disk (defect 12).
#include <boost/test/unit_test.hpp>

#include <sys/mount.h>

#include <fstream>
#include <random>

#include "pipelines/core/crypto.hpp"
#include "tests/e2e/e2e_support.hpp"
#include "tests/support/emulator_process.hpp"

BOOST_AUTO_TEST_SUITE(e2e_state_safety)

using namespace backflow::testing;
using nlohmann::json;

namespace {

const std::string secret = "whsec_" + backflow::base64_encode("state-safety-secret");

struct fixture {
  temp_dir dir;
  std::unique_ptr<contacts_model> model = sqlite_contacts(dir);
  emulator_process webhook{"webhook", {"--secret", secret}};
  cli backflow{dir.file("state"), {}};

  std::string sync_to(const std::string& endpoint, const std::string& file = "sync.json",
                      const std::string& mode = "mirror") {
    return write_sync(dir, webhook_sync(*model, endpoint, secret, mode), file);
  }
  int requests(emulator_process& e) { return e.requests()["count"].get<int>(); }
};

std::string text_of(const process_result& r) {
  return r.out + r.err;
}

}  // namespace

// -- defect 6: the state belongs to one destination and one source -----------------------------

BOOST_FIXTURE_TEST_CASE(a_second_sync_file_under_the_same_name_is_refused, fixture) {
  model->insert(0, 20);
  auto first = backflow.run_sync(sync_to(webhook.url("/a")));
  BOOST_REQUIRE_EQUAL(first.process.exit_code, 0);
  // Another file, same name, another receiver: it would send deletes of records it never had,
  // and skip the rows the state counts as synced.
  emulator_process other{"webhook", {"--secret", secret}};
  model->remove({1, 2});
  auto second = backflow.run_sync(sync_to(other.url("/b"), "other.json"));
  BOOST_TEST(second.process.exit_code == 2);
  auto error = second.summary.value("error", std::string());
  BOOST_TEST(error.find("another destination") != std::string::npos, error);
  BOOST_TEST(error.find(other.url()) != std::string::npos, error);
  BOOST_TEST(error.find("--adopt") != std::string::npos, error);
  BOOST_TEST(requests(other) == 0);
  // The right file still runs: the deletes go where the records are.
  auto right = backflow.run_sync(sync_to(webhook.url("/a")));
  BOOST_TEST(right.process.exit_code == 0);
  BOOST_TEST(right.summary["counts"]["deleted"] == 2);
}

BOOST_FIXTURE_TEST_CASE(a_moved_endpoint_needs_adopt_and_a_new_destination_needs_reset, fixture) {
  model->insert(0, 10);
  BOOST_REQUIRE_EQUAL(backflow.run_sync(sync_to(webhook.url("/hooks"))).process.exit_code, 0);
  // Only the path changed: still refused, since the state cannot tell.
  auto moved = sync_to(webhook.url("/hooks/v2"));
  BOOST_TEST(backflow.run_sync(moved).process.exit_code == 2);
  BOOST_TEST(requests(webhook) == 1);
  // The user says it is the same receiver: nothing to resend.
  auto adopted = backflow.run_sync(moved, {"--adopt"});
  BOOST_TEST(adopted.process.exit_code == 0);
  BOOST_TEST(adopted.summary["api_calls"] == 0);
  BOOST_TEST(backflow.run_sync(moved).process.exit_code == 0);  // adopted for good
  // A new receiver: reset, and everything goes to it.
  emulator_process fresh{"webhook", {"--secret", secret}};
  auto elsewhere = sync_to(fresh.url("/hooks"));
  BOOST_TEST(backflow.run_sync(elsewhere).process.exit_code == 2);
  BOOST_TEST(backflow.run({"reset", elsewhere, "--state", backflow.state_dir}).exit_code == 0);
  auto resent = backflow.run_sync(elsewhere);
  BOOST_TEST(resent.process.exit_code == 0);
  BOOST_TEST(resent.summary["counts"]["delivered"] == 10);
  BOOST_TEST(fresh.records().size() == 10u);
}

// -- defect 9: a damaged state is reported, never read as data ---------------------------------

BOOST_FIXTURE_TEST_CASE(a_truncated_state_file_stops_with_its_own_exit_code, fixture) {
  model->insert(0, 2000);
  auto sync = sync_to(webhook.url("/hooks"));
  BOOST_REQUIRE_EQUAL(backflow.run_sync(sync).process.exit_code, 0);
  auto file = std::filesystem::path(backflow.state_dir) / "data.mdb";
  std::filesystem::resize_file(file, std::filesystem::file_size(file) / 3);
  auto before = requests(webhook);
  for (int attempt = 0; attempt < 2; ++attempt) {  // every run says so, none "resumes"
    auto r = backflow.run({"run", sync, "--state", backflow.state_dir, "--json"});
    BOOST_TEST(r.exit_code == 6, text_of(r));
    BOOST_TEST(text_of(r).find("state directory is damaged") != std::string::npos, text_of(r));
    BOOST_TEST(text_of(r).find("truncated") != std::string::npos, text_of(r));
  }
  auto status = backflow.run({"status", "--state", backflow.state_dir});
  BOOST_TEST(status.exit_code == 6);
  BOOST_TEST(requests(webhook) == before);
}

BOOST_FIXTURE_TEST_CASE(random_overwrites_never_crash_and_never_send_from_a_damaged_state,
                        fixture) {
  model->insert(0, 3000);
  auto sync = sync_to(webhook.url("/hooks"));
  BOOST_REQUIRE_EQUAL(backflow.run_sync(sync).process.exit_code, 0);
  auto file = std::filesystem::path(backflow.state_dir) / "data.mdb";
  std::string pristine;
  {
    std::ifstream in(file, std::ios::binary);
    pristine.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  std::mt19937 rng(20261206);
  int damaged = 0;
  for (int round = 0; round < 8; ++round) {
    // Garbage over pages past the two meta pages (those are LMDB's own double-written header).
    std::string bytes = pristine;
    std::uniform_int_distribution<size_t> where(8192, bytes.size() - 64);
    for (int hit = 0; hit < 20; ++hit) {
      auto at = where(rng);
      for (int i = 0; i < 48; ++i)
        bytes[at + i] = static_cast<char>(rng());
    }
    {
      std::ofstream out(file, std::ios::binary | std::ios::trunc);
      out << bytes;
    }
    auto before = requests(webhook);
    auto r = backflow.run({"run", sync, "--state", backflow.state_dir, "--json"});
    BOOST_TEST_CONTEXT("round " << round << ": " << text_of(r).substr(0, 400)) {
      BOOST_TEST(r.signal == 0);  // never a crash
      BOOST_TEST((r.exit_code == 0 || r.exit_code == 6));
      if (r.exit_code == 6) {
        ++damaged;
        BOOST_TEST(requests(webhook) == before);  // nothing sent from it
      } else {
        BOOST_TEST(requests(webhook) == before);  // undamaged data: nothing to send either
      }
    }
  }
  BOOST_TEST(damaged > 0);
}

// -- defect 10: a bogus Retry-After pauses an account for a sane time, visibly ------------------

BOOST_FIXTURE_TEST_CASE(a_retry_after_of_a_year_pauses_for_the_cap_and_unpause_lifts_it,
                        fixture) {
  model->insert(0, 10);
  auto sync = sync_to(webhook.url("/hooks"), "sync.json", "upsert");
  webhook.fault({{"match", {{"method", "POST"}}}, {"status", 429},
                 {"headers", {{"Retry-After", "31536000"}}}});
  auto paused = backflow.run_sync(sync);
  BOOST_TEST(paused.process.exit_code == 4);
  auto status = json::parse(backflow.run({"status", "--state", backflow.state_dir, "--json"}).out);
  BOOST_REQUIRE(status.size() == 1u);
  auto until = status[0]["paused_until"];
  BOOST_REQUIRE_MESSAGE(until.is_string(), status.dump());
  // A webhook's waits are capped at an hour: not a year from now.
  auto now = std::time(nullptr);
  std::tm tm{};
  strptime(until.get<std::string>().c_str(), "%Y-%m-%dT%H:%M:%S", &tm);
  auto until_s = timegm(&tm);
  BOOST_TEST(until_s > now + 3000);
  BOOST_TEST(until_s <= now + 3700);
  auto text = backflow.run({"status", "--state", backflow.state_dir}).out;
  BOOST_TEST(text.find("paused until") != std::string::npos, text);
  // While paused, a run calls nothing; after unpause, it delivers.
  auto calls = requests(webhook);
  BOOST_TEST(backflow.run_sync(sync).process.exit_code == 4);
  BOOST_TEST(requests(webhook) == calls);
  auto lifted = backflow.run({"unpause", "contacts_to_webhook", "--state", backflow.state_dir});
  BOOST_TEST(lifted.exit_code == 0, text_of(lifted));
  BOOST_TEST(lifted.out.find("unpaused") != std::string::npos, lifted.out);
  auto resumed = backflow.run_sync(sync);
  BOOST_TEST(resumed.process.exit_code == 0, text_of(resumed.process));
  BOOST_TEST(webhook.records().size() == 10u);
}

// -- defect 12: a full disk says so ------------------------------------------------------------

BOOST_FIXTURE_TEST_CASE(a_full_disk_is_reported_as_no_space_left, fixture) {
  auto mount_point = std::filesystem::path(dir.file("small"));
  std::filesystem::create_directories(mount_point);
  if (::mount("tmpfs", mount_point.c_str(), "tmpfs", 0, "size=512k") != 0) {
    BOOST_TEST_MESSAGE("skipped: cannot mount a small tmpfs here (needs root): "
                       << std::strerror(errno));
    return;
  }
  struct unmount {
    std::filesystem::path p;
    ~unmount() { ::umount2(p.c_str(), MNT_DETACH); }
  } guard{mount_point};
  model->insert(0, 30000);
  cli small{(mount_point / "state").string(), {}};
  auto r = small.run({"run", sync_to(webhook.url("/hooks")), "--state", small.state_dir, "--json"});
  BOOST_TEST(r.exit_code != 0);
  BOOST_TEST(r.signal == 0);
  BOOST_TEST(text_of(r).find("no space left") != std::string::npos, text_of(r));
  BOOST_TEST(text_of(r).find("Input/output error") == std::string::npos, text_of(r));
}

BOOST_AUTO_TEST_SUITE_END()  // e2e_state_safety
