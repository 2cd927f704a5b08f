// End to end: a PostgreSQL model synced to the webhook emulator (signed batches, mirror deletes).
#include <boost/test/unit_test.hpp>

#include "pipelines/core/crypto.hpp"
#include "tests/e2e/e2e_support.hpp"
#include "tests/support/emulator_process.hpp"

BOOST_AUTO_TEST_SUITE(e2e_postgres_webhook)

using namespace backflow::testing;
using nlohmann::json;

namespace {

const std::string secret = "whsec_" + backflow::base64_encode("e2e-webhook-secret");

struct webhook_fixture {
  temp_dir dir;
  std::unique_ptr<contacts_model> model = postgres_contacts();
  emulator_process webhook{"webhook", {"--secret", secret}};
  cli backflow{dir.file("state"), {}};

  std::string sync_file(const std::string& mode, const std::string& signing_secret = secret) {
    return write_sync(dir, webhook_sync(*model, webhook.url("/hooks/backflow"), signing_secret, mode));
  }
  std::map<std::string, json> received() {
    std::map<std::string, json> out;
    for (auto& r : webhook.records())
      out[r["key"].get<std::string>()] = r;
    return out;
  }
};

}  // namespace

BOOST_FIXTURE_TEST_CASE(postgres_rows_reach_the_webhook_and_deletes_follow_in_mirror_mode,
                        webhook_fixture) {
  model->insert(1, 1001);
  auto sync = sync_file("mirror");
  auto first = backflow.run_sync(sync);
  BOOST_REQUIRE_MESSAGE(first.process.exit_code == 0, first.process.out << first.process.err);
  BOOST_TEST(first.summary["counts"]["delivered"] == 1000);
  BOOST_TEST(first.summary["api_calls"] == 20);  // batch_size 50
  auto got = received();
  BOOST_TEST(got.size() == 1000u);
  BOOST_TEST(got[email_of(42)]["fields"]["score"] == 42.0);
  BOOST_TEST(got[email_of(42)]["fields"]["tier"] == "silver");
  BOOST_TEST(got[email_of(42)]["fields"].contains("email") == false);  // the key is not a field

  model->bump_scores({5, 6}, 0.5);
  model->remove({7, 8, 9});
  auto second = backflow.run_sync(sync);
  BOOST_REQUIRE_EQUAL(second.process.exit_code, 0);
  BOOST_TEST(second.summary["counts"]["changed"] == 2);
  BOOST_TEST(second.summary["counts"]["deleted"] == 3);
  BOOST_TEST(second.summary["api_calls"] == 1);  // the webhook mixes upserts and deletes
  got = received();
  BOOST_TEST(got[email_of(5)]["fields"]["score"] == 5.5);
  BOOST_TEST(got[email_of(8)]["deleted"] == true);
  BOOST_TEST(got[email_of(10)]["deleted"] == false);
  BOOST_TEST(webhook.control_get("records")["duplicates"] == 0);
}

BOOST_FIXTURE_TEST_CASE(a_wrong_signing_secret_stops_the_run_without_blaming_records,
                        webhook_fixture) {
  model->insert(1, 101);
  auto run = backflow.run_sync(sync_file("upsert", "whsec_" + backflow::base64_encode("wrong")));
  BOOST_TEST(run.process.exit_code == 4);
  BOOST_TEST(run.summary["counts"]["rejected"] == 0);
  BOOST_TEST(run.summary["error"].get<std::string>().find("401") != std::string::npos);
  BOOST_TEST(received().empty());
  auto fixed = backflow.run_sync(sync_file("upsert"));
  BOOST_TEST(fixed.process.exit_code == 0);
  BOOST_TEST(received().size() == 100u);
}

BOOST_FIXTURE_TEST_CASE(a_query_failing_mid_stream_says_how_far_it_read, webhook_fixture) {
  // It used to report "0 rows read" whatever had been read before the error.
  model->insert(1, 5001);
  auto sync = webhook_sync(*model, webhook.url("/hooks/backflow"), secret, "upsert");
  // Rows stream in table order; the one of user 3001 divides by zero.
  sync["source"]["query"] = "SELECT email, first_name, score / (CASE WHEN substr(first_name, 6)::int "
                            "> 3000 THEN 0 ELSE 1 END) AS score, tier FROM " + model->table();
  auto run = backflow.run_sync(write_sync(dir, sync));
  BOOST_TEST(run.process.exit_code == 4, run.process.out << run.process.err);
  BOOST_TEST(run.summary["error"].get<std::string>().find("division by zero") != std::string::npos);
  BOOST_TEST(run.summary["counts"]["extracted"].get<int>() >= 1000, run.summary.dump());
  BOOST_TEST(received().empty());  // nothing planned, nothing sent
}

BOOST_FIXTURE_TEST_CASE(a_record_the_receiver_refuses_is_isolated_by_splitting, webhook_fixture) {
  model->insert(1, 201);
  model->exec("UPDATE " + model->table() + " SET tier = 'invalid-tier' WHERE email = '" +
              email_of(77) + "'");
  webhook.control_post("rules", {{"reject_if", {{"field", "tier"}, {"contains", "invalid"}}}});
  auto run = backflow.run_sync(sync_file("upsert"));
  BOOST_TEST(run.process.exit_code == 1);
  BOOST_TEST(run.summary["counts"]["delivered"] == 199);
  BOOST_TEST(run.summary["counts"]["rejected"] == 1);
  BOOST_REQUIRE(run.summary["rejected"].size() == 1u);
  BOOST_TEST(run.summary["rejected"][0]["key"] == email_of(77));
  BOOST_TEST(run.summary["rejected"][0]["reason"].get<std::string>().find("422") !=
             std::string::npos);
  BOOST_TEST(received().size() == 199u);
}

// PostgreSQL can hold NaN and infinities in a double column (SQLite cannot hold NaN at all).
BOOST_FIXTURE_TEST_CASE(nan_and_infinity_stop_the_run_naming_their_rows, webhook_fixture) {
  model->insert(1, 101);
  auto sync = sync_file("upsert");
  auto first = backflow.run_sync(sync);
  BOOST_REQUIRE_MESSAGE(first.process.exit_code == 0, first.process.out << first.process.err);
  auto calls = webhook.requests()["count"].get<int>();
  model->exec("UPDATE " + model->table() + " SET score = 'NaN' WHERE email = '" + email_of(5) + "'");
  model->exec("UPDATE " + model->table() + " SET score = '-Infinity' WHERE email = '" +
              email_of(9) + "'");
  auto bad = backflow.run_sync(sync);
  BOOST_TEST(bad.process.exit_code == 3, bad.process.out << bad.process.err);
  auto problems = bad.summary["problems"].dump();
  BOOST_TEST(problems.find("row email=\\\"" + email_of(5) + "\\\", column score: NaN") !=
             std::string::npos, problems);
  BOOST_TEST(problems.find("row email=\\\"" + email_of(9) + "\\\", column score: an infinite") !=
             std::string::npos, problems);
  BOOST_TEST(webhook.requests()["count"].get<int>() == calls);
  // Fixed in the model: only the two rows go out.
  model->exec("UPDATE " + model->table() + " SET score = 1 WHERE email IN ('" + email_of(5) +
              "', '" + email_of(9) + "')");
  auto fixed = backflow.run_sync(sync);
  BOOST_TEST(fixed.process.exit_code == 0, fixed.process.out << fixed.process.err);
  BOOST_TEST(fixed.summary["counts"]["changed"] == 2);
}

BOOST_AUTO_TEST_SUITE_END()  // e2e_postgres_webhook
