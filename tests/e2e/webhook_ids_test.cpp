// End to end: a webhook-id is never reused for other records. The receiver deduplicates on it,
// as Standard Webhooks says: a batch id reused for different records answers 200 and drops
// them, and Backflow used to commit them as delivered (issue 10, defect 1). Each case is one of
// the reproductions: after a 503 burst, after kill -9, after a 401 then a fixed secret, and
// after the state directory was deleted.
#include <boost/test/unit_test.hpp>

#include <csignal>
#include <set>
#include <thread>

#include "pipelines/core/crypto.hpp"
#include "tests/e2e/e2e_support.hpp"
#include "tests/support/emulator_process.hpp"

BOOST_AUTO_TEST_SUITE(e2e_webhook_ids)

using namespace backflow::testing;
using nlohmann::json;

namespace {

const std::string secret = "whsec_" + backflow::base64_encode("webhook-ids-secret");

struct fixture {
  temp_dir dir;
  std::unique_ptr<contacts_model> model = sqlite_contacts(dir);
  emulator_process webhook{"webhook", {"--secret", secret}};
  cli backflow{dir.file("state"), {}};

  /// A sync in batches of 10, one request at a time, giving up after `attempts` sends.
  std::string sync_file(int attempts = 6, const std::string& signing_secret = secret,
                        int concurrency = 1) {
    auto sync = webhook_sync(*model, webhook.url("/hooks"), signing_secret, "upsert");
    sync["destination"]["batch_size"] = 10;
    sync["delivery"]["max_attempts"] = attempts;
    sync["delivery"]["concurrency"] = concurrency;
    return write_sync(dir, sync);
  }

  /// Every model row is at the receiver with its current score; names what is not.
  void expect_receiver_holds_the_model(int from, int to) {
    std::map<std::string, json> got;
    for (auto& r : webhook.records())
      got[r["key"].get<std::string>()] = r;
    int missing = 0;
    for (int i = from; i < to; ++i) {
      auto it = got.find(email_of(i));
      if (it == got.end() || it->second["deleted"].get<bool>()) {
        if (++missing <= 5)
          BOOST_TEST_ERROR("row " << i << " never reached the receiver");
      }
    }
    BOOST_TEST(missing == 0);
  }

  /// The webhook-ids of every batch the receiver was sent, in order.
  std::vector<std::string> batch_ids() {
    std::vector<std::string> ids;
    for (const auto& body : webhook.control_get("bodies")["bodies"])
      ids.push_back(json::parse(body.get<std::string>())["batch_id"].get<std::string>());
    return ids;
  }
};

}  // namespace

BOOST_FIXTURE_TEST_CASE(after_a_503_burst_the_resumed_and_the_new_batches_never_share_an_id,
                        fixture) {
  model->insert(0, 30);
  // Four 503s from the second request on: with max_attempts 2, the batches they hit (sent in
  // turn while the first waits for its retry) are left for the next run.
  webhook.fault({{"match", {{"method", "POST"}}}, {"nth", 2}, {"count", 4}, {"status", 503}});
  auto first = backflow.run_sync(sync_file(2));
  BOOST_REQUIRE_MESSAGE(first.process.exit_code == 4, first.process.out << first.process.err);
  BOOST_TEST(first.summary["counts"]["failed"].get<int>() > 0);
  // The next run finishes that change set, then plans and sends the new rows.
  model->insert(30, 40);
  auto second = backflow.run_sync(sync_file(2));
  BOOST_REQUIRE_MESSAGE(second.process.exit_code == 0, second.process.out << second.process.err);
  BOOST_TEST(second.summary["resumed"] == true);
  expect_receiver_holds_the_model(0, 40);
  BOOST_TEST(webhook.control_get("records")["duplicates"] == 0);
}

BOOST_FIXTURE_TEST_CASE(after_kill_9_the_resumed_and_the_new_batches_never_share_an_id, fixture) {
  model->insert(0, 200);
  webhook.control_post("limits", {{"latency_ms", 60}});
  auto sync = sync_file();
  background_process run({binary_path("backflow"), "run", sync, "--state", backflow.state_dir});
  // Killed mid-apply, once a few batches were accepted.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (webhook.requests()["count"].get<int>() < 5 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  run.signal(SIGKILL);
  run.wait();
  BOOST_REQUIRE(webhook.requests()["count"].get<int>() >= 5);
  BOOST_REQUIRE(webhook.requests()["count"].get<int>() < 20);  // the kill landed mid-apply
  webhook.control_post("limits", {{"latency_ms", 0}});
  model->insert(200, 230);
  auto next = backflow.run_sync(sync);
  BOOST_REQUIRE_MESSAGE(next.process.exit_code == 0, next.process.out << next.process.err);
  expect_receiver_holds_the_model(0, 230);
}

BOOST_FIXTURE_TEST_CASE(after_a_401_then_a_fixed_secret_no_batch_id_repeats, fixture) {
  model->insert(0, 40);
  // The first batch goes through; then the receiver's secret "changes" (a 401), the run stops.
  webhook.fault({{"match", {{"method", "POST"}}}, {"nth", 2}, {"count", 1}, {"status", 401},
                 {"body", R"({"error":"invalid signature"})"}});
  auto first = backflow.run_sync(sync_file());
  BOOST_REQUIRE_MESSAGE(first.process.exit_code == 4, first.process.out << first.process.err);
  model->insert(40, 50);
  auto fixed = backflow.run_sync(sync_file());
  BOOST_REQUIRE_MESSAGE(fixed.process.exit_code == 0, fixed.process.out << fixed.process.err);
  expect_receiver_holds_the_model(0, 50);
  auto ids = batch_ids();  // (the refused request never reached the receiver's log)
  BOOST_TEST(std::set<std::string>(ids.begin(), ids.end()).size() == ids.size());
}

BOOST_FIXTURE_TEST_CASE(after_the_state_directory_is_deleted_no_batch_id_repeats, fixture) {
  model->insert(0, 30);
  auto sync = sync_file();
  BOOST_REQUIRE_EQUAL(backflow.run_sync(sync).process.exit_code, 0);
  std::filesystem::remove_all(backflow.state_dir);
  // Run ids start over with a new state directory; the rows changed meanwhile.
  model->bump_scores({0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14}, 7);
  auto again = backflow.run_sync(sync);
  BOOST_REQUIRE_MESSAGE(again.process.exit_code == 0, again.process.out << again.process.err);
  BOOST_TEST(again.summary["counts"]["delivered"] == 30);
  BOOST_TEST(webhook.control_get("records")["duplicates"] == 0);
  std::map<std::string, json> got;
  for (auto& r : webhook.records())
    got[r["key"].get<std::string>()] = r;
  BOOST_TEST(got[email_of(3)]["fields"]["score"] == 10.0);  // the new value arrived
  auto ids = batch_ids();
  BOOST_TEST(std::set<std::string>(ids.begin(), ids.end()).size() == ids.size());
}

BOOST_AUTO_TEST_SUITE_END()  // e2e_webhook_ids
