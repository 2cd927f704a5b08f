// End to end: reviewable plans (issue 14, item 5). `plan --out FILE` writes every record it
// would send; `apply FILE` sends exactly those (no re-read of the model), finishes them after a
// kill -9, and refuses (exit 3, nothing sent) when the sync file, the state or the file moved.
// Against the webhook emulator, whose bodies log shows every record it was sent.
#include <boost/test/unit_test.hpp>

#include <csignal>
#include <map>
#include <set>
#include <sstream>
#include <thread>

#include <sqlite3.h>

#include "pipelines/core/crypto.hpp"
#include "tests/e2e/e2e_support.hpp"
#include "tests/support/emulator_process.hpp"

BOOST_AUTO_TEST_SUITE(e2e_plan_file)

using namespace backflow::testing;
using nlohmann::json;

namespace {

const std::string secret = "whsec_" + backflow::base64_encode("plan-file-secret");

/// One record as the receiver got it, or as the plan lists it.
struct sent {
  std::string op;
  json fields;
  bool operator==(const sent& o) const { return op == o.op && fields == o.fields; }
};

struct fixture {
  temp_dir dir;
  std::unique_ptr<contacts_model> model = sqlite_contacts(dir);
  emulator_process webhook{"webhook", {"--secret", secret}};
  cli backflow{dir.file("state"), {}};
  std::string plan = dir.file("plan.jsonl");

  fixture() {
    // Hostile values: Unicode, separators inside keys, integers past 2^53, a 38-digit decimal
    // (as text), NULL next to empty.
    model->exec("CREATE TABLE leads (email TEXT, name TEXT, big INTEGER, amount TEXT, note TEXT)");
  }

  void add_leads(int from, int to) {
    for (int i = from; i < to; ++i)
      model->exec("INSERT INTO leads VALUES ('lead" + std::to_string(i) + "@example.com', 'Lead " +
                  std::to_string(i) + "', " + std::to_string(i) + ", '" + std::to_string(i) +
                  ".50', 'n')");
  }
  void add_hostile_leads() {
    model->exec("INSERT INTO leads VALUES ('zoë+名前@example.com', 'Zoë 🚀 \"q\"', "
                "9007199254740993, '12345678901234567890123456789012345678', NULL)");
    model->exec("INSERT INTO leads VALUES ('a,b|c\td@example.com', '', -9223372036854775808, "
                "'-0.00000000000000000000000000000000000001', '')");
  }

  /// A mirror sync of `leads` in batches of `batch`, one request at a time.
  std::string sync_file(int batch = 10, const std::string& query =
                                            "SELECT email, name, big, amount, note FROM leads") {
    auto sync = webhook_sync(*model, webhook.url("/hooks"), secret, "mirror");
    sync["source"]["query"] = query;
    sync["destination"]["batch_size"] = batch;
    sync["delivery"]["concurrency"] = 1;
    return write_sync(dir, sync);
  }

  /// The plan file's lines: header, records, trailer.
  std::vector<json> plan_lines() const {
    std::vector<json> out;
    std::istringstream in(read_file(plan));
    for (std::string line; std::getline(in, line);)
      out.push_back(json::parse(line));
    return out;
  }
  /// The plan's records by key.
  std::map<std::string, sent> planned() const {
    std::map<std::string, sent> out;
    auto lines = plan_lines();
    for (size_t i = 1; i + 1 < lines.size(); ++i)
      out[lines[i]["key"]] = {lines[i]["op"], lines[i].value("fields", json())};
    return out;
  }
  /// Every record of every batch the receiver was sent, from body `from` on, by key; fails on
  /// a key sent twice with different values.
  std::map<std::string, sent> received(size_t from = 0) {
    std::map<std::string, sent> out;
    auto bodies = webhook.control_get("bodies")["bodies"];
    for (size_t b = from; b < bodies.size(); ++b) {
      const auto batch = json::parse(bodies[b].get<std::string>());
      for (const auto& r : batch["records"]) {
        sent s{r["op"] == "delete" ? "remove" : r["op"].get<std::string>(),
               r["op"] == "delete" ? json() : r["fields"]};
        auto [it, fresh] = out.emplace(r["key"].get<std::string>(), s);
        BOOST_TEST((fresh || it->second == s), "key " << it->first << " sent with other values");
      }
    }
    return out;
  }
  size_t bodies() { return webhook.control_get("bodies")["bodies"].size(); }
  int requests() { return webhook.requests()["count"].get<int>(); }
};

/// The plan's op for a receiver's record: deletes are planned as "remove" (the receiver's op
/// "delete" carries no fields; the plan lists the destination id).
std::map<std::string, sent> comparable(std::map<std::string, sent> planned) {
  for (auto& [key, s] : planned)
    if (s.op == "remove")
      s.fields = json();
  return planned;
}

}  // namespace

BOOST_FIXTURE_TEST_CASE(apply_sends_exactly_the_planned_records_and_full_lists_them, fixture) {
  add_leads(0, 30);
  auto sync = sync_file();
  BOOST_REQUIRE_EQUAL(backflow.run_sync(sync).process.exit_code, 0);
  // Changed 0-4, deleted 5-7, added 30-34 and the two hostile rows.
  model->exec("UPDATE leads SET name = name || ' (edited)' WHERE big < 5");
  model->exec("DELETE FROM leads WHERE big BETWEEN 5 AND 7");
  add_leads(30, 35);
  add_hostile_leads();
  auto planned_run = backflow.run({"plan", sync, "--state", backflow.state_dir, "--out", plan});
  BOOST_REQUIRE_MESSAGE(planned_run.exit_code == 0, planned_run.out << planned_run.err);
  auto lines = plan_lines();
  BOOST_REQUIRE_EQUAL(lines.size(), 2u + 5 + 3 + 7);
  const auto& header = lines.front();
  BOOST_TEST(header["format"] == "backflow-plan");
  BOOST_TEST(header["run_id"] == 2);  // one run before it
  BOOST_TEST(header["counts"]["added"] == 7);
  BOOST_TEST(header["counts"]["changed"] == 5);
  BOOST_TEST(header["counts"]["deleted"] == 3);
  BOOST_TEST(header["state"]["last_run_id"] == 1);
  BOOST_TEST(header["state"]["keys"] == 30);
  BOOST_TEST(lines.back()["end"]["records"] == 15);
  BOOST_TEST(lines.back()["end"]["sha256"].get<std::string>().size() == 64u);
  auto plan_text = read_file(plan);
  BOOST_TEST(plan_text.find(secret) == std::string::npos);  // no secret in any form it can be read
  BOOST_TEST(plan_text.find("plan-file-secret") == std::string::npos);
  auto records = planned();
  BOOST_TEST(records["lead0@example.com"].op == "upsert");
  BOOST_TEST(records["lead0@example.com"].fields["name"] == "Lead 0 (edited)");
  BOOST_TEST(records["lead6@example.com"].op == "remove");
  const auto& zoe = records["zoë+名前@example.com"].fields;
  BOOST_TEST(zoe["name"] == "Zoë 🚀 \"q\"");
  BOOST_TEST(zoe["big"].dump() == "9007199254740993");
  BOOST_TEST(zoe["amount"] == "12345678901234567890123456789012345678");
  BOOST_TEST(zoe["note"].is_null());
  const auto& separators = records["a,b|c\td@example.com"].fields;
  BOOST_TEST(separators["name"] == "");  // empty, not NULL
  BOOST_TEST(separators["big"].dump() == "-9223372036854775808");

  // plan --json --full lists every record, with the same values.
  auto full = backflow.run({"plan", sync, "--state", backflow.state_dir, "--json", "--full"});
  BOOST_REQUIRE_MESSAGE(full.exit_code == 0, full.out << full.err);
  auto listed = json::parse(full.out);
  BOOST_REQUIRE_EQUAL(listed["records"].size(), 15u);
  BOOST_TEST(listed["run_id"] == 2);
  for (const auto& r : listed["records"]) {
    BOOST_TEST(!r.contains("record"));
    BOOST_TEST(records[r["key"]].op == r["op"].get<std::string>());
    BOOST_TEST(records[r["key"]].fields == r.value("fields", json()));
  }

  auto text = backflow.run({"plan", sync, "--state", backflow.state_dir, "--full"});
  BOOST_REQUIRE_EQUAL(text.exit_code, 0);
  BOOST_TEST(text.out.find("changed → upsert  lead0@example.com  {") != std::string::npos, text.out);
  BOOST_TEST(text.out.find("deleted → remove  lead6@example.com") != std::string::npos, text.out);
  BOOST_TEST(text.out.find("added → upsert  zoë+名前@example.com") != std::string::npos, text.out);

  // The model moves on after the review: apply sends the plan, not the model.
  model->exec("UPDATE leads SET name = 'after the review' WHERE big = 1");
  add_leads(100, 101);
  auto before = bodies();
  auto applied = backflow.run({"apply", plan, "--json"});
  BOOST_REQUIRE_MESSAGE(applied.exit_code == 0, applied.out << applied.err);
  auto summary = json::parse(applied.out);
  BOOST_TEST(summary["run_id"] == 2);
  BOOST_TEST(summary["counts"]["delivered"] == 15);
  BOOST_TEST((received(before) == comparable(records)));
  // Applied once: the same file again is refused, and the next run sends what moved since.
  auto again = backflow.run({"apply", plan});
  BOOST_TEST(again.exit_code == 3);
  BOOST_TEST(again.out.find("applied already, as run 2") != std::string::npos, again.out);
  auto next = backflow.run_sync(sync);
  BOOST_REQUIRE_EQUAL(next.process.exit_code, 0);
  BOOST_TEST(next.summary["counts"]["changed"] == 1);
  BOOST_TEST(next.summary["counts"]["added"] == 1);
}

BOOST_FIXTURE_TEST_CASE(apply_refuses_a_changed_sync_file_a_moved_state_or_an_edited_file,
                        fixture) {
  add_leads(0, 20);
  auto sync = sync_file();
  BOOST_REQUIRE_EQUAL(backflow.run_sync(sync).process.exit_code, 0);
  model->exec("UPDATE leads SET name = 'x' WHERE big < 3");
  auto plan_it = [&] {
    auto r = backflow.run({"plan", sync, "--state", backflow.state_dir, "--out", plan});
    BOOST_REQUIRE_MESSAGE(r.exit_code == 0, r.out << r.err);
  };
  auto refused = [&](const std::string& why) {
    auto sent_before = requests();
    auto r = backflow.run({"apply", plan});
    BOOST_TEST(r.exit_code == 3, r.out << r.err);
    BOOST_TEST(r.out.find(why) != std::string::npos, r.out);
    BOOST_TEST(requests() == sent_before);  // nothing sent
  };
  // The model's query changed in the sync file (same mapping): refused, naming the part.
  plan_it();
  sync_file(10, "SELECT email, name, big, amount, note FROM leads WHERE big < 1000");
  refused("the sync file changed since the plan (source)");
  // The mapping changed.
  auto mapped = json::parse(read_file(sync));
  mapped["mapping"] = json::array({{{"from", "email"}, {"to", "email"}},
                                   {{"from", "name"}, {"to", "full_name"}}});
  write_file(sync, mapped.dump());
  refused("mode, key, mapping or destination changed");
  // Another run committed since the plan.
  sync_file();
  plan_it();
  BOOST_REQUIRE_EQUAL(backflow.run_sync(sync).process.exit_code, 0);
  refused("the state moved on since the plan: run 2 started since");
  // An edited record, a cut file.
  model->exec("UPDATE leads SET name = 'y' WHERE big < 3");
  plan_it();
  auto text = read_file(plan);
  auto at = text.find("\"name\":\"y\"");
  BOOST_REQUIRE(at != std::string::npos);
  write_file(plan, text.substr(0, at) + "\"name\":\"z\"" + text.substr(at + 10));
  refused("the plan file was edited since it was written");
  write_file(plan, text.substr(0, text.size() - 20));
  refused("cut short");
  // A record holding the sync file's secret is never written to a plan file.
  model->exec("UPDATE leads SET note = '" + secret + "' WHERE big = 9");
  std::filesystem::remove(plan);
  auto leaked = backflow.run({"plan", sync, "--state", backflow.state_dir, "--out", plan});
  BOOST_TEST(leaked.exit_code == 3);
  BOOST_TEST(leaked.out.find("holds a secret of the sync file") != std::string::npos, leaked.out);
  BOOST_TEST(!std::filesystem::exists(plan));
  BOOST_TEST(!std::filesystem::exists(plan + ".partial"));
  BOOST_TEST(leaked.out.find(secret) == std::string::npos);
  // The intact plan of before, applied untouched, still goes through, here with the same sync
  // file from another checkout.
  write_file(plan, text);
  std::filesystem::create_directories(dir.path() / "checkout");
  std::filesystem::copy_file(sync, dir.file("checkout/sync.json"));
  auto applied = backflow.run({"apply", plan, "--json", "--sync", dir.file("checkout/sync.json")});
  BOOST_TEST(applied.exit_code == 0, applied.out << applied.err);
}

BOOST_FIXTURE_TEST_CASE(kill_9_during_apply_then_apply_again_finishes_exactly_the_plan, fixture) {
  add_leads(0, 150);
  add_hostile_leads();
  auto sync = sync_file(5);
  auto planned_run = backflow.run({"plan", sync, "--state", backflow.state_dir, "--out", plan});
  BOOST_REQUIRE_MESSAGE(planned_run.exit_code == 0, planned_run.out << planned_run.err);
  auto records = planned();
  BOOST_REQUIRE_EQUAL(records.size(), 152u);
  webhook.control_post("limits", {{"latency_ms", 40}});
  background_process apply({binary_path("backflow"), "apply", plan});
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (requests() < 4 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  apply.signal(SIGKILL);
  apply.wait();
  BOOST_REQUIRE(requests() >= 4);
  BOOST_REQUIRE(requests() < 31);  // the kill landed mid-apply (31 batches of 5)
  webhook.control_post("limits", {{"latency_ms", 0}});
  // The model moves meanwhile: the finished apply still sends only the plan.
  model->exec("UPDATE leads SET name = 'moved' WHERE big BETWEEN 140 AND 149");
  add_leads(200, 203);
  auto again = backflow.run({"apply", plan, "--json"});
  BOOST_REQUIRE_MESSAGE(again.exit_code == 0, again.out << again.err);
  auto summary = json::parse(again.out);
  BOOST_TEST(summary["resumed"] == true);
  auto got = received();
  BOOST_TEST(got.size() == records.size());  // every planned record, none outside the plan
  BOOST_TEST((got == comparable(records)));
  BOOST_TEST(webhook.control_get("records")["duplicates"] == 0);
  // Then a run sends what moved in the model since.
  auto next = backflow.run_sync(sync);
  BOOST_REQUIRE_EQUAL(next.process.exit_code, 0);
  BOOST_TEST(next.summary["counts"]["changed"] == 10);
  BOOST_TEST(next.summary["counts"]["added"] == 3);
}

BOOST_FIXTURE_TEST_CASE(a_run_after_a_killed_apply_finishes_the_plan_first, fixture) {
  add_leads(0, 60);
  auto sync = sync_file(5);
  auto planned_run = backflow.run({"plan", sync, "--state", backflow.state_dir, "--out", plan});
  BOOST_REQUIRE_MESSAGE(planned_run.exit_code == 0, planned_run.out << planned_run.err);
  auto records = planned();
  webhook.control_post("limits", {{"latency_ms", 40}});
  background_process apply({binary_path("backflow"), "apply", plan});
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (requests() < 3 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  apply.signal(SIGKILL);
  apply.wait();
  BOOST_REQUIRE(requests() >= 3);
  BOOST_REQUIRE(requests() < 12);  // 12 batches of 5
  webhook.control_post("limits", {{"latency_ms", 0}});
  add_leads(60, 62);
  // The run resumes the plan's change set (its run 1), then plans and sends the two new rows.
  auto run = backflow.run_sync(sync);
  BOOST_REQUIRE_MESSAGE(run.process.exit_code == 0, run.process.out << run.process.err);
  BOOST_TEST(run.summary["resumed"] == true);
  BOOST_TEST(run.summary["counts"]["added"] == 2);
  auto got = received();
  for (const auto& [key, s] : records)
    BOOST_TEST((got.count(key) == 1 && got[key] == s), key << " was not delivered as planned");
  BOOST_TEST(got.size() == records.size() + 2);
  auto again = backflow.run({"apply", plan});
  BOOST_TEST(again.exit_code == 3);
  BOOST_TEST(again.out.find("applied already, as run 1") != std::string::npos, again.out);
}

BOOST_FIXTURE_TEST_CASE(an_applied_incremental_plan_leaves_its_mark, fixture) {
  add_leads(0, 20);
  auto sync = json::parse(read_file(sync_file()));
  sync["mode"] = "upsert";
  sync["source"]["incremental"] = {{"cursor", "big"}};
  auto file = write_sync(dir, sync);
  auto planned_run = backflow.run({"plan", file, "--state", backflow.state_dir, "--out", plan});
  BOOST_REQUIRE_MESSAGE(planned_run.exit_code == 0, planned_run.out << planned_run.err);
  BOOST_REQUIRE_EQUAL(backflow.run({"apply", plan}).exit_code, 0);
  // The mark the plan read (19) is committed with its last record: the next plan reads past it.
  add_leads(20, 22);
  auto next = backflow.run({"plan", file, "--state", backflow.state_dir});
  BOOST_TEST(next.out.find("2 added, 0 changed") != std::string::npos, next.out);
  BOOST_TEST(next.out.find("(mark 19)") != std::string::npos, next.out);
}

BOOST_AUTO_TEST_CASE(the_reviewed_example_plans_then_applies_what_was_reviewed) {
  temp_dir dir;
  sqlite3* db = nullptr;
  BOOST_REQUIRE(sqlite3_open(dir.file("warehouse.sqlite").c_str(), &db) == SQLITE_OK);
  int rc = sqlite3_exec(db, read_file(source_dir() + "/examples/warehouse.sql").c_str(), nullptr,
                        nullptr, nullptr);
  sqlite3_close(db);
  BOOST_REQUIRE(rc == SQLITE_OK);
  const std::string file = dir.file("reviewed_pql_to_webhook.json");
  write_file(file, read_file(source_dir() + "/examples/reviewed_pql_to_webhook.json"));
  emulator_process webhook{"webhook", {"--secret", "whsec_ZW11bGF0b3Itc2VjcmV0"}};
  cli backflow{dir.file("state"), {{"REVIEWED_WEBHOOK_URL", webhook.url("/hooks/reviewed")}}};
  const std::string plan = dir.file("plan.jsonl");
  auto planned = backflow.run({"plan", file, "--state", backflow.state_dir, "--out", plan});
  BOOST_REQUIRE_MESSAGE(planned.exit_code == 0, planned.out << planned.err);
  // The example's model: the 1,000 leads but every fifth (customers).
  BOOST_TEST(planned.out.find("plan written to " + plan + " (800 records, run 1)") !=
             std::string::npos, planned.out);
  BOOST_TEST(webhook.requests()["count"] == 0);
  auto applied = backflow.run({"apply", plan, "--json"});
  BOOST_REQUIRE_MESSAGE(applied.exit_code == 0, applied.out << applied.err);
  BOOST_TEST(json::parse(applied.out)["counts"]["delivered"] == 800);
  BOOST_TEST(webhook.records().size() == 800u);
  auto after = backflow.run({"plan", file, "--state", backflow.state_dir, "--json"});
  BOOST_TEST(json::parse(after.out)["counts"]["added"] == 0);
}

BOOST_AUTO_TEST_SUITE_END()  // e2e_plan_file
