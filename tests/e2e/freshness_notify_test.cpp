// End to end: the freshness guard skips stale models; `notify` posts signed alerts after runs.
#include <boost/test/unit_test.hpp>

#include "pipelines/core/crypto.hpp"
#include "tests/e2e/e2e_support.hpp"
#include "tests/support/emulator_process.hpp"

BOOST_AUTO_TEST_SUITE(e2e_freshness_notify)

using namespace backflow::testing;
using nlohmann::json;

namespace {

const std::string secret = "whsec_" + backflow::base64_encode("e2e-webhook-secret");
const std::string notify_secret = "whsec_" + backflow::base64_encode("e2e-notify-secret");
constexpr int64_t loaded_at = 1767225600;  // 2026-01-01T00:00:00Z, the model's last load

struct fixture {
  temp_dir dir;
  std::unique_ptr<contacts_model> model = sqlite_contacts(dir);
  emulator_process webhook{"webhook", {"--secret", secret}};
  emulator_process alerts{"webhook", {"--secret", notify_secret}};

  fixture() {
    model->insert(1, 51);
    model->exec("CREATE TABLE loads (updated_at TEXT)");
    model->exec("INSERT INTO loads VALUES ('2026-01-01 00:00:00')");
  }
  /// The backflow binary with the clock at `seconds_after_load` past the model's last load.
  cli backflow_at(int64_t seconds_after_load) {
    return cli{dir.file("state"),
               {{"BACKFLOW_FAKE_NOW", std::to_string(loaded_at + seconds_after_load)},
                {"NOTIFY_SECRET", notify_secret}}};
  }
  json sync(const json& patch = json::object()) {
    auto doc = webhook_sync(*model, webhook.url("/hooks/backflow"), secret);
    doc.merge_patch(patch);
    return doc;
  }
  json notify(const json& extra = json::object()) {
    json n = {{"url", alerts.url("/alerts")}, {"secret", "${NOTIFY_SECRET}"}};
    n.merge_patch(extra);
    return n;
  }
  /// Notifications that reached the receiver, by HTTP status it answered (401: bad signature;
  /// 400: signed correctly but not a batch, which is how the webhook emulator sees an alert).
  json alert_statuses() {
    auto by = alerts.requests()["by_endpoint"];
    return by.contains("POST /alerts") ? by["POST /alerts"]["status"] : json::object();
  }
  uint64_t alert_count() {
    auto by = alerts.requests()["by_endpoint"];
    return by.contains("POST /alerts") ? by["POST /alerts"]["requests"].get<uint64_t>() : 0;
  }
  uint64_t webhook_requests() { return webhook.requests()["count"].get<uint64_t>(); }
};

const json freshness = {{"query", "SELECT max(updated_at) FROM loads"}, {"max_age", "2h"}};

}  // namespace

BOOST_FIXTURE_TEST_CASE(a_stale_model_is_skipped_and_a_fresh_one_runs, fixture) {
  auto file = write_sync(dir, sync({{"freshness", freshness}, {"notify", notify()}}));
  auto stale = backflow_at(3 * 3600 + 300).run_sync(file);
  BOOST_TEST_MESSAGE(stale.process.out << stale.process.err);
  BOOST_TEST(stale.process.exit_code == 5);
  BOOST_TEST(stale.summary["status"] == "stale");
  auto error = stale.summary["error"].get<std::string>();
  BOOST_TEST(error.find("2026-01-01 00:00:00") != std::string::npos, error);
  BOOST_TEST(error.find("3h 5m old") != std::string::npos, error);
  BOOST_TEST(error.find("max_age 2h") != std::string::npos, error);
  BOOST_TEST(stale.summary["counts"]["extracted"] == 0);
  BOOST_TEST(webhook_requests() == 0u);
  // Stale is in the default `on` list: one signed alert.
  BOOST_TEST(alert_count() == 1u);
  BOOST_TEST(!alert_statuses().contains("401"));

  // The clock moves back within max_age: the run goes ahead and, the state untouched, sends all.
  auto fresh = backflow_at(3600).run_sync(file);
  BOOST_REQUIRE_MESSAGE(fresh.process.exit_code == 0, fresh.process.out << fresh.process.err);
  BOOST_TEST(fresh.summary["status"] == "success");
  BOOST_TEST(fresh.summary["counts"]["added"] == 50);
  BOOST_TEST(fresh.summary["counts"]["delivered"] == 50);
  BOOST_TEST(webhook.records().size() == 50u);
  BOOST_TEST(alert_count() == 1u);  // success does not notify

  // New data loaded later: fresh again with the clock far ahead.
  model->exec("INSERT INTO loads VALUES ('2026-01-02 00:00:00')");
  auto next_day = backflow_at(86400 + 600).run_sync(file);
  BOOST_TEST(next_day.process.exit_code == 0, next_day.process.out << next_day.process.err);
}

BOOST_FIXTURE_TEST_CASE(a_null_freshness_value_counts_as_stale, fixture) {
  model->exec("DELETE FROM loads");
  auto file = write_sync(dir, sync({{"freshness", freshness}}));
  auto run = backflow_at(0).run_sync(file);
  BOOST_TEST(run.process.exit_code == 5);
  BOOST_TEST(run.summary["error"].get<std::string>().find("null") != std::string::npos);
  BOOST_TEST(webhook_requests() == 0u);
}

BOOST_FIXTURE_TEST_CASE(an_aborted_run_sends_one_signed_alert_and_a_success_none, fixture) {
  auto file = write_sync(dir, sync({{"notify", notify()}}));
  auto ok = backflow_at(0).run_sync(file);
  BOOST_REQUIRE_MESSAGE(ok.process.exit_code == 0, ok.process.out << ok.process.err);
  BOOST_TEST(alert_count() == 0u);

  // A duplicated key: the plan guard aborts before any write.
  auto duplicated = sync({{"notify", notify()}});
  duplicated["source"]["query"] =
      "SELECT email, first_name, score, tier FROM contacts UNION ALL "
      "SELECT email, first_name, score, tier FROM contacts WHERE email = '" + email_of(3) + "'";
  auto aborted = backflow_at(0).run_sync(write_sync(dir, duplicated));
  BOOST_TEST(aborted.process.exit_code == 3, aborted.process.out << aborted.process.err);
  BOOST_TEST(aborted.summary["status"] == "aborted");
  BOOST_TEST(alert_count() == 1u);
  BOOST_TEST(alert_statuses().value("400", 0) == 1);  // signature accepted, body is not a batch
  BOOST_TEST(!alert_statuses().contains("401"));

  // The same alert with a wrong secret is refused by the receiver, and the run is unaffected.
  auto wrong = duplicated;
  wrong["notify"]["secret"] = "whsec_" + backflow::base64_encode("not-the-secret");
  auto again = backflow_at(0).run_sync(write_sync(dir, wrong));
  BOOST_TEST(again.process.exit_code == 3);
  BOOST_TEST(alert_statuses().value("401", 0) == 1);
  BOOST_TEST(again.process.err.find("not-the-secret") == std::string::npos);
}

BOOST_FIXTURE_TEST_CASE(more_rejections_than_rejected_over_notify, fixture) {
  model->exec("UPDATE contacts SET tier = 'invalid-tier' WHERE email IN ('" + email_of(4) + "', '" +
              email_of(5) + "', '" + email_of(6) + "')");
  webhook.control_post("rules", {{"reject_if", {{"field", "tier"}, {"contains", "invalid"}}}});
  auto over = write_sync(dir, sync({{"notify", notify({{"on", {"stale"}}, {"rejected_over", 2}})}}));
  auto run = backflow_at(0).run_sync(over);
  BOOST_TEST(run.process.exit_code == 1, run.process.out << run.process.err);
  BOOST_TEST(run.summary["counts"]["rejected"] == 3);
  BOOST_TEST(alert_count() == 1u);

  // Three rejected again (retry_rejected: always) but the threshold is 3: no alert.
  auto under = sync({{"notify", notify({{"on", {"stale"}}, {"rejected_over", 3}})},
                     {"retry_rejected", "always"}});
  auto second = backflow_at(0).run_sync(write_sync(dir, under));
  BOOST_TEST(second.summary["counts"]["rejected"] == 3, second.process.out);
  BOOST_TEST(alert_count() == 1u);
}

BOOST_AUTO_TEST_SUITE_END()  // e2e_freshness_notify
