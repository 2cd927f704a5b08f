// End to end: records the HubSpot emulator rejects are listed (`backflow rejects`), re-sent when
// their row changes, every run with retry_rejected "always", and once on `backflow retry`.
#include <boost/test/unit_test.hpp>

#include "tests/e2e/e2e_support.hpp"
#include "tests/support/emulator_process.hpp"

BOOST_AUTO_TEST_SUITE(e2e_rejects)

using namespace backflow::testing;
using nlohmann::json;

namespace {

/// A SQLite model of 21 contacts, two of which the emulator refuses: a key that is not an email
/// (INVALID_EMAIL) and user 5, whose score is not a number (INVALID_INTEGER, once `score` is declared a
/// number property). The score is mapped without a type, so the emulator, not the mapping,
/// judges it.
struct rejects_fixture {
  temp_dir dir;
  std::unique_ptr<contacts_model> model = sqlite_contacts(dir);
  emulator_process hubspot{"hubspot", {"--per-10s", "0", "--daily", "0"}};
  cli backflow{dir.file("state"), {}};
  const std::string bad_score = email_of(5);

  rejects_fixture() {
    model->insert(0, 20);
    model->exec("INSERT INTO contacts VALUES ('not-an-email', 'Broken', 1, 'gold')");
    model->exec("UPDATE contacts SET score = 'abc' WHERE email = '" + bad_score + "'");
    score_is_a_number(true);
  }

  void score_is_a_number(bool yes) {
    hubspot.control_post("properties", {{"object", "contacts"},
                                        {"names", nullptr},
                                        {"numbers", yes ? json::array({"score"}) : json::array()}});
  }

  std::string sync_file(const json& extra = json::object()) {
    auto sync = hubspot_sync(*model, hubspot.url());
    sync["mapping"] = json::array({json{{"from", "email"}, {"to", "email"}},
                                   json{{"from", "first_name"}, {"to", "firstname"}},
                                   json{{"from", "score"}, {"to", "score"}}});
    sync.merge_patch(extra);
    return write_sync(dir, sync);
  }

  process_result rejects(const std::string& sync, const std::vector<std::string>& more = {}) {
    std::vector<std::string> args{"rejects", sync, "--state", backflow.state_dir};
    args.insert(args.end(), more.begin(), more.end());
    return backflow.run(args);
  }
  json rejects_json(const std::string& sync) {
    auto r = rejects(sync, {"--json"});
    BOOST_REQUIRE_MESSAGE(r.exit_code == 0, "rejects --json: exit " << r.exit_code << "\n" << r.err);
    return json::parse(r.out);
  }
  /// The rejects list as key → entry.
  std::map<std::string, json> rejects_by_key(const std::string& sync) {
    std::map<std::string, json> out;
    auto listed = rejects_json(sync);
    for (auto& r : listed["rejects"])
      out[r["key"].get<std::string>()] = r;
    return out;
  }
  cli::run_result retry(const std::string& sync) {
    cli::run_result r;
    r.process = backflow.run({"retry", sync, "--state", backflow.state_dir, "--json"});
    r.summary = json::parse(r.process.out, nullptr, false);
    return r;
  }

  int64_t requests() { return hubspot.requests()["count"].get<int64_t>(); }
  /// Live (not archived) records by email.
  std::map<std::string, json> live_records() {
    std::map<std::string, json> out;
    for (auto& r : hubspot.records())
      if (!r["archived"].get<bool>())
        out[r["properties"]["email"].get<std::string>()] = r;
    return out;
  }
};

void require_exit(const process_result& r, int code) {
  BOOST_REQUIRE_MESSAGE(r.exit_code == code, "exit " << r.exit_code << " (want " << code
                                                      << ")\nstdout: " << r.out
                                                      << "\nstderr: " << r.err);
}

void require_exit(const cli::run_result& r, int code) {
  require_exit(r.process, code);
}

bool contains(const std::string& text, const std::string& needle) {
  return text.find(needle) != std::string::npos;
}

}  // namespace

BOOST_FIXTURE_TEST_CASE(rejects_lists_them_with_reasons_in_text_and_json, rejects_fixture) {
  auto sync = sync_file();
  auto run = backflow.run_sync(sync);
  require_exit(run, 1);
  BOOST_TEST(run.summary["counts"]["delivered"] == 19);
  BOOST_TEST(run.summary["counts"]["rejected"] == 2);

  auto text = rejects(sync);
  require_exit(text, 0);
  BOOST_TEST(contains(text.out, "rejected records of contacts_to_hubspot"), text.out);
  BOOST_TEST(contains(text.out, "KEY"), text.out);
  BOOST_TEST(contains(text.out, "REASON"), text.out);
  BOOST_TEST(contains(text.out, "not-an-email"), text.out);
  BOOST_TEST(contains(text.out, "INVALID_EMAIL"), text.out);
  BOOST_TEST(contains(text.out, bad_score), text.out);
  BOOST_TEST(contains(text.out, "INVALID_INTEGER"), text.out);
  BOOST_TEST(contains(text.out, "never delivered"), text.out);
  BOOST_TEST(contains(text.out, "2 rejected records"), text.out);
  BOOST_TEST(contains(text.out, "backflow retry"), text.out);
  BOOST_TEST(!contains(text.out, "emulator-token"), text.out);

  auto listed = rejects_json(sync);
  BOOST_TEST(listed["sync"] == "contacts_to_hubspot");
  BOOST_TEST(listed["total"] == 2);
  BOOST_TEST(listed["shown"] == 2);
  BOOST_TEST(listed["retry_rejected"] == "changed");
  BOOST_REQUIRE(listed["rejects"].size() == 2u);
  auto by_key = rejects_by_key(sync);
  BOOST_REQUIRE(by_key.count("not-an-email") == 1u);
  BOOST_REQUIRE(by_key.count(bad_score) == 1u);
  const auto& email = by_key["not-an-email"];
  BOOST_TEST(contains(email["reason"].get<std::string>(), "INVALID_EMAIL"));
  BOOST_TEST(email["change"] == "write");
  BOOST_TEST(email["run_id"] == run.summary["run_id"]);
  BOOST_TEST(email["rejected_at"] == run.summary["finished_at"]);
  BOOST_TEST(email["attempts"] == 1);
  BOOST_TEST(email["synced"] == false);
  BOOST_TEST(contains(by_key[bad_score]["reason"].get<std::string>(), "INVALID_INTEGER"));

  auto limited = json::parse(rejects(sync, {"--json", "--limit", "1"}).out);
  BOOST_TEST(limited["total"] == 2);
  BOOST_TEST(limited["shown"] == 1);
  BOOST_TEST(limited["rejects"].size() == 1u);
  auto limited_text = rejects(sync, {"--limit", "1"});
  BOOST_TEST(contains(limited_text.out, "showing 1"), limited_text.out);
  require_exit(rejects(sync, {"--limit", "many"}), 2);
}

BOOST_FIXTURE_TEST_CASE(rejects_says_so_when_there_are_none, rejects_fixture) {
  model->exec("DELETE FROM contacts WHERE email = 'not-an-email'");
  model->exec("UPDATE contacts SET score = 5 WHERE email = '" + bad_score + "'");
  auto sync = sync_file();
  // Before any run there is no state to read: a usage error that says why.
  auto no_state = rejects(sync);
  require_exit(no_state, 2);
  BOOST_TEST(contains(no_state.err, "no state in"), no_state.err);

  require_exit(backflow.run_sync(sync), 0);
  auto text = rejects(sync);
  require_exit(text, 0);
  BOOST_TEST(contains(text.out, "no rejected records for contacts_to_hubspot"), text.out);
  auto listed = rejects_json(sync);
  BOOST_TEST(listed["total"] == 0);
  BOOST_TEST(listed["rejects"] == json::array());
}

BOOST_FIXTURE_TEST_CASE(an_unchanged_reject_waits_and_a_fixed_row_is_resent_and_leaves_the_list,
                        rejects_fixture) {
  auto sync = sync_file();
  require_exit(backflow.run_sync(sync), 1);

  // Nothing changed: a plain run sends nothing, and the list stays.
  auto calls = requests();
  auto same = backflow.run_sync(sync);
  require_exit(same, 0);
  BOOST_TEST(same.summary["counts"]["unchanged_rejected"] == 2);
  BOOST_TEST(same.summary["api_calls"] == 0);
  BOOST_TEST(requests() == calls);
  BOOST_TEST(rejects_json(sync)["total"] == 2);

  // The score is fixed in the model: that row alone is sent, delivered and leaves the list.
  model->exec("UPDATE contacts SET score = 5 WHERE email = '" + bad_score + "'");
  auto fixed = backflow.run_sync(sync);
  require_exit(fixed, 0);
  BOOST_TEST(fixed.summary["counts"]["added"] == 1);
  BOOST_TEST(fixed.summary["counts"]["delivered"] == 1);
  BOOST_TEST(fixed.summary["counts"]["unchanged_rejected"] == 1);
  BOOST_TEST(fixed.summary["counts"]["rejected"] == 0);
  BOOST_TEST(std::stod(live_records()[bad_score]["properties"]["score"].get<std::string>()) == 5);
  auto left = rejects_by_key(sync);
  BOOST_TEST(left.size() == 1u);
  BOOST_TEST(left.count("not-an-email") == 1u);
}

BOOST_FIXTURE_TEST_CASE(retry_rejected_always_resends_them_every_run, rejects_fixture) {
  auto sync = sync_file({{"retry_rejected", "always"}});
  require_exit(backflow.run_sync(sync), 1);
  BOOST_TEST(rejects_json(sync)["retry_rejected"] == "always");
  for (int attempt = 2; attempt <= 3; ++attempt) {
    auto calls = requests();
    auto run = backflow.run_sync(sync);
    require_exit(run, 1);
    BOOST_TEST(run.summary["counts"]["added"] == 2);  // only the two rejected rows
    BOOST_TEST(run.summary["counts"]["unchanged"] == 19);
    BOOST_TEST(run.summary["counts"]["unchanged_rejected"] == 0);
    BOOST_TEST(run.summary["counts"]["rejected"] == 2);
    BOOST_TEST(requests() > calls);
    for (auto& [key, r] : rejects_by_key(sync))
      BOOST_TEST(r["attempts"] == attempt, key);
  }
  // Once the destination accepts the score, the next run delivers it without a model change.
  score_is_a_number(false);
  auto run = backflow.run_sync(sync);
  require_exit(run, 1);
  BOOST_TEST(run.summary["counts"]["delivered"] == 1);
  BOOST_TEST(live_records()[bad_score]["properties"]["score"] == "abc");
  BOOST_TEST(rejects_json(sync)["total"] == 1);
}

BOOST_FIXTURE_TEST_CASE(retry_forces_one_resend_of_every_rejected_record, rejects_fixture) {
  auto sync = sync_file();
  require_exit(backflow.run_sync(sync), 1);
  // Fixed on the destination's side: the row did not change, so a plain run does not notice.
  score_is_a_number(false);
  auto calls = requests();
  auto plain = backflow.run_sync(sync);
  require_exit(plain, 0);
  BOOST_TEST(plain.summary["counts"]["unchanged_rejected"] == 2);
  BOOST_TEST(requests() == calls);

  auto retried = retry(sync);
  require_exit(retried, 1);  // the bad email is rejected again
  BOOST_TEST(retried.summary["status"] == "partial");
  BOOST_TEST(retried.summary["counts"]["added"] == 2);
  BOOST_TEST(retried.summary["counts"]["unchanged"] == 19);
  BOOST_TEST(retried.summary["counts"]["delivered"] == 1);
  BOOST_TEST(retried.summary["counts"]["rejected"] == 1);
  BOOST_TEST(retried.summary["retry"]["rejected_before"] == 2);
  BOOST_TEST(retried.summary["retry"]["rejected_after"] == 1);
  BOOST_TEST(live_records()[bad_score]["properties"]["score"] == "abc");
  auto left = rejects_by_key(sync);
  BOOST_REQUIRE(left.size() == 1u);
  BOOST_TEST(left["not-an-email"]["attempts"] == 2);
  BOOST_TEST(left["not-an-email"]["run_id"] == retried.summary["run_id"]);
  BOOST_TEST(contains(left["not-an-email"]["reason"].get<std::string>(), "INVALID_EMAIL"));

  // Once only: the next plain run leaves the unchanged reject alone again.
  calls = requests();
  auto after = backflow.run_sync(sync);
  require_exit(after, 0);
  BOOST_TEST(after.summary["counts"]["unchanged_rejected"] == 1);
  BOOST_TEST(requests() == calls);

  // Text output: the run summary, then how the list changed.
  auto text = backflow.run({"retry", sync, "--state", backflow.state_dir});
  require_exit(text, 1);
  BOOST_TEST(contains(text.out, "sending 1 rejected record again"), text.out);
  BOOST_TEST(contains(text.out, "of contacts_to_hubspot: partial"), text.out);
  BOOST_TEST(contains(text.out, "rejected records: 1 before, 1 now"), text.out);
}

BOOST_FIXTURE_TEST_CASE(a_bad_retry_rejected_value_is_a_config_error, rejects_fixture) {
  auto sync = sync_file({{"retry_rejected", "sometimes"}});
  auto validate = backflow.run({"validate", sync, "--offline"});
  require_exit(validate, 2);
  BOOST_TEST(contains(validate.err, "retry_rejected: must be one of \"changed\", \"always\""),
             validate.err);
  auto run = backflow.run_sync(sync);
  require_exit(run, 2);
  BOOST_TEST(contains(run.process.err, "retry_rejected"), run.process.err);
  require_exit(backflow.run({"retry", sync, "--state", backflow.state_dir}), 2);
  BOOST_TEST(requests() == 0);
}

BOOST_AUTO_TEST_SUITE_END()  // e2e_rejects
