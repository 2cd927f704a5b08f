// The delivery machine driven by scripted answers: bisection, 429s, lookups before creates,
// resumed jobs, credit, stop. No actors, no sockets: a fixed clock and seed make it deterministic.
#include <boost/test/unit_test.hpp>

#include <set>

#include "connectors/destinations/salesforce.hpp"
#include "tests/unit/delivery_rig.hpp"

using namespace backflow;
using namespace backflow::delivery;
using namespace backflow::delivery::machine_rig;
using namespace backflow::unit;
using nlohmann::json;
using namespace std::chrono_literals;

BOOST_AUTO_TEST_SUITE(delivery_machine_policy)

BOOST_AUTO_TEST_CASE(a_400_is_bisected_down_to_the_one_bad_record) {
  auto dest = std::make_shared<hubspot_destination>(hubspot());
  rig r(dest);
  const std::string bad = "cy@x.com";
  r.answer = [&](const http_request& req) {
    auto emails = emails_in(req);
    if (std::find(emails.begin(), emails.end(), bad) != emails.end())
      return response(400, {{"status", "error"}, {"category", "VALIDATION_ERROR"},
                            {"message", "Property values were not valid"}});
    return hubspot_results(emails);
  };
  r.deliver(batch_of(delivery_op::upsert, {"ann@x.com", "bob@x.com", "cy@x.com", "dee@x.com"}));
  r.end();

  // 4 → 400; halves {ann,bob} → 200 and {cy,dee} → 400; quarters {cy} → 400, {dee} → 200.
  BOOST_TEST(r.sent.size() == 5u);
  BOOST_TEST(r.report.splits == 2u);
  BOOST_TEST(r.settled.size() == 4u);
  for (const char* ok : {"ann@x.com", "bob@x.com", "dee@x.com"}) {
    auto* o = r.outcome_of(ok);
    BOOST_REQUIRE(o);
    BOOST_TEST((o->what == settled_outcome::kind::delivered));
    BOOST_TEST(o->dest_id == std::string("id-") + ok);
  }
  auto* rejected = r.outcome_of(bad);
  BOOST_REQUIRE(rejected);
  BOOST_TEST((rejected->what == settled_outcome::kind::rejected));
  BOOST_TEST(rejected->reason.find("Property values were not valid") != std::string::npos);
  BOOST_TEST(r.credits == 1u);  // one batch from upstream, one credit back, after all its parts
  BOOST_TEST(r.finishes == 1);
  BOOST_TEST(r.report.failed == 0u);
  BOOST_TEST(r.report.api_calls == 5u);
}

BOOST_AUTO_TEST_CASE(a_429_with_retry_after_parks_that_long_capped_by_max_wait) {
  auto dest = std::make_shared<hubspot_destination>(hubspot());
  for (auto [header, expected] : {std::pair{"3", 3000ms}, std::pair{"3600", 20000ms}}) {
    rig r(dest, 4, [](machine_settings& s) {
      s.max_wait = 20s;  // a bogus hour is cut to this...
      s.max_pause = 60s; // ...which is short enough to wait out in the run
    });
    int calls = 0;
    r.answer = [&](const http_request& req) {
      if (calls++ == 0)
        return response(429, {{"status", "error"}, {"policyName", "TEN_SECONDLY_ROLLING"}},
                        {{"Retry-After", header}});
      return hubspot_results(emails_in(req));
    };
    r.deliver(batch_of(delivery_op::upsert, {"ann@x.com", "bob@x.com"}));
    r.end();
    BOOST_REQUIRE(r.parks.size() == 1u);
    // Retry-After is honoured with at most 10% jitter on top (never less: never early).
    BOOST_TEST(r.parks[0].count() >= expected.count());
    BOOST_TEST(r.parks[0].count() <= (expected + expected / 10).count());
    BOOST_TEST(r.sent.size() == 2u);
    BOOST_TEST(r.report.retried == 2u);
    BOOST_TEST(r.settled.size() == 2u);
    // The account pauses too (other syncs share it): HubSpot's 1 s, then the park itself.
    BOOST_REQUIRE(r.pauses.size() == 2u);
    BOOST_TEST(r.pauses[0].count() == 1000);
    BOOST_TEST(r.pauses[1].count() == r.parks[0].count());
  }
}

BOOST_AUTO_TEST_CASE(a_retry_after_beyond_max_pause_stops_and_pauses_the_account) {
  auto dest = std::make_shared<plain_destination>();
  rig r(dest, 4, [](machine_settings& s) { s.max_pause = 60s; });
  r.answer = [](const http_request&) { return response(429, nullptr, {{"Retry-After", "600"}}); };
  r.deliver(batch_of(delivery_op::upsert, {"a", "b"}));
  r.end();
  BOOST_TEST(r.sent.size() == 1u);
  BOOST_TEST(r.parks.empty());
  BOOST_TEST(r.report.failed == 2u);
  BOOST_TEST(r.settled.empty());
  BOOST_TEST(r.report.fatal.find("asks to wait 10 min") != std::string::npos);
  BOOST_TEST((r.pauses == std::vector<std::chrono::milliseconds>{600s}));
  BOOST_TEST(r.credits == 1u);
  BOOST_TEST(r.finishes == 1);
}

BOOST_AUTO_TEST_CASE(a_429_without_retry_after_backs_off_within_the_policy_and_gives_up) {
  auto dest = std::make_shared<plain_destination>();
  retry_policy policy;  // 6 sends, 500 ms doubling, capped at 30 s
  rig r(dest, 4, [&](machine_settings& s) { s.retry = policy; });
  r.answer = [](const http_request&) { return response(429, nullptr); };
  r.deliver(batch_of(delivery_op::upsert, {"a", "b", "c"}));
  r.end();
  BOOST_TEST(r.sent.size() == static_cast<size_t>(policy.max_attempts));
  BOOST_REQUIRE(r.parks.size() == static_cast<size_t>(policy.max_attempts - 1));
  std::chrono::milliseconds ceiling = policy.initial;
  bool any_positive = false;
  for (auto park : r.parks) {
    BOOST_TEST(park.count() >= 0);
    BOOST_TEST(park.count() <= ceiling.count());  // full jitter under a doubling ceiling
    any_positive = any_positive || park.count() > 0;
    ceiling = std::min(ceiling * 2, policy.max);
  }
  BOOST_TEST(any_positive);
  BOOST_TEST(r.report.failed == 3u);  // left for the next run, not settled
  BOOST_TEST(r.settled.empty());
  BOOST_TEST(r.report.fatal.empty());
  BOOST_TEST(r.report.retried == 3u * (policy.max_attempts - 1));
  BOOST_TEST(r.report.unanswered_at_ms == 0);  // every request was answered (429)
  BOOST_TEST(r.credits == 1u);
  BOOST_TEST(r.finishes == 1);

  // The same seed gives the same delays: the jitter is the rig's, not the machine's chance.
  rig again(dest, 4, [&](machine_settings& s) { s.retry = policy; });
  again.answer = r.answer;
  again.deliver(batch_of(delivery_op::upsert, {"a", "b", "c"}));
  BOOST_TEST((again.parks == r.parks));
}

BOOST_AUTO_TEST_CASE(a_create_timed_out_after_leaving_is_looked_up_before_a_second_create) {
  auto dest = std::make_shared<hubspot_destination>(hubspot());
  rig r(dest);
  std::vector<std::string> created;  // every email a create request carried
  int creates_sent = 0;
  r.answer = [&](const http_request& req) {
    auto emails = emails_in(req);
    if (ends_with(req.url, "/batch/read"))  // the first create landed for ann only
      return hubspot_results({"ann@x.com"});
    BOOST_TEST_REQUIRE(ends_with(req.url, "/batch/create"));
    created.insert(created.end(), emails.begin(), emails.end());
    if (creates_sent++ == 0)
      return timeout_after_sending();
    return hubspot_results(emails);
  };
  r.deliver(batch_of(delivery_op::insert, {"ann@x.com", "bob@x.com", "cy@x.com"}));
  r.end();

  BOOST_REQUIRE(r.sent.size() == 3u);
  BOOST_TEST(ends_with(r.sent[0].url, "/batch/create"));
  BOOST_TEST(ends_with(r.sent[1].url, "/batch/read"));  // before any second create
  BOOST_TEST(ends_with(r.sent[2].url, "/batch/create"));
  BOOST_TEST((emails_in(r.sent[2]) == std::vector<std::string>{"bob@x.com", "cy@x.com"}));
  auto* ann = r.outcome_of("ann@x.com");
  BOOST_REQUIRE(ann);
  BOOST_TEST((ann->what == settled_outcome::kind::delivered));
  BOOST_TEST(ann->dest_id == "id-ann@x.com");
  for (const char* key : {"bob@x.com", "cy@x.com"}) {
    auto* o = r.outcome_of(key);
    BOOST_REQUIRE(o);
    BOOST_TEST((o->what == settled_outcome::kind::delivered));
    BOOST_TEST(std::count(created.begin(), created.end(), key) == 2);  // the lost one + once
  }
  BOOST_TEST(std::count(created.begin(), created.end(), "ann@x.com") == 1);
  BOOST_TEST(r.report.notes.counters["creates_looked_up"] == 3u);
  BOOST_TEST(r.report.notes.counters["creates_found_existing"] == 1u);
  // The run knows a request went unanswered, and when (a late landing is waited out).
  BOOST_TEST(r.report.unanswered_at_ms == 1'790'000'000'000);
  BOOST_TEST(r.credits == 1u);
  BOOST_TEST(r.finishes == 1);
}

BOOST_AUTO_TEST_CASE(a_job_interrupted_mid_poll_resumes_from_its_checkpoint_without_uploading) {
  json options = {{"instance_url", "http://127.0.0.1:8092"}, {"token", "tok"},
                  {"object", "Contact"}, {"external_id_field", "Ext_Id__c"},
                  {"bulk_poll_initial", "100ms"}, {"bulk_poll_max", "1s"}};
  auto sf = std::make_shared<salesforce_destination>(
      context_for(salesforce_destination::type(), options));
  const std::string job_url = "http://127.0.0.1:8092/services/data/v59.0/jobs/ingest/7501";
  auto batch = batch_of(delivery_op::upsert, {"A-1", "A-2"});
  batch.as_job = true;

  // First life: create, upload, close; the checkpoint is written; the second poll never answers.
  rig first(sf);
  int polls = 0;
  first.hold_if = [&](const http_request& req) { return req.method == "GET" && ++polls == 2; };
  first.answer = [&](const http_request& req) {
    if (req.method == "POST")
      return response(200, {{"id", "7501"}, {"state", "Open"}});
    if (req.method == "PUT")
      return response(201, nullptr);
    if (req.method == "PATCH")
      return response(200, {{"id", "7501"}, {"state", "UploadComplete"}});
    return response(200, {{"id", "7501"}, {"state", "InProgress"}});
  };
  first.deliver(batch);
  BOOST_REQUIRE(first.checkpoints.size() == 1u);
  BOOST_TEST(first.checkpoints[0].checkpoint == "7501");
  BOOST_TEST(first.checkpoints[0].replaces.empty());
  BOOST_TEST((first.checkpoints[0].keys == std::vector<std::string>{"A-1", "A-2"}));
  BOOST_REQUIRE(first.sent.size() == 5u);  // POST, PUT, PATCH, GET, GET (in flight at the crash)
  BOOST_TEST(first.sent[1].method == "PUT");
  BOOST_TEST(first.held.size() == 1u);
  BOOST_TEST(first.settled.empty());
  // The checkpoint is written before the first poll goes out.
  BOOST_REQUIRE(first.trail.size() == 6u);
  BOOST_TEST(first.trail[3] == "checkpoint");
  BOOST_TEST(first.trail[4] == "GET " + job_url);

  // Second life (after the crash): resumed from the checkpoint, polled, never uploaded again.
  rig second(sf);
  second.answer = [&](const http_request& req) {
    if (req.url == job_url)
      return response(200, {{"id", "7501"}, {"state", "JobComplete"}});
    http_response csv;
    csv.status = 200;
    if (ends_with(req.url, "/successfulResults/"))
      csv.body = "\"sf__Id\",\"sf__Created\",\"Ext_Id__c\"\n\"003A\",\"true\",\"A-1\"\n";
    else if (ends_with(req.url, "/failedResults/"))
      csv.body = "\"sf__Id\",\"sf__Error\",\"Ext_Id__c\"\n\"\",\"INVALID_EMAIL_ADDRESS:bad:Email --\",\"A-2\"\n";
    else
      csv.body = "\"Ext_Id__c\"\n";
    return csv;
  };
  second.run(second.machine->on_resume(batch, "7501"));
  second.end();
  for (const auto& req : second.sent)
    BOOST_TEST(req.method == "GET");  // no create, no upload, no close
  BOOST_TEST(second.sent.size() == 4u);  // poll, successful, failed, unprocessed
  BOOST_TEST(second.checkpoints.empty());  // already persisted
  auto* a1 = second.outcome_of("A-1");
  auto* a2 = second.outcome_of("A-2");
  BOOST_REQUIRE(a1);
  BOOST_REQUIRE(a2);
  BOOST_TEST(a1->dest_id == "003A");
  BOOST_TEST((a2->what == settled_outcome::kind::rejected));
  BOOST_TEST((second.finished_jobs == std::vector<std::string>{"7501"}));  // forget the job
  BOOST_TEST(second.report.jobs == 1u);
  BOOST_TEST(second.credits == 0u);  // the batcher never sent it: no credit owed
  BOOST_TEST(second.finishes == 1);
}

BOOST_AUTO_TEST_CASE(a_job_spends_one_rate_limit_token_per_request) {
  // Three helpers measured jobs at 2/3 of a vendor's limit: the first request of each job took a
  // token of its own after the one the job was started with.
  json options = {{"instance_url", "http://127.0.0.1:8092"}, {"token", "tok"},
                  {"object", "Contact"}, {"external_id_field", "Ext_Id__c"},
                  {"bulk_poll_initial", "100ms"}, {"bulk_poll_max", "1s"}};
  auto sf = std::make_shared<salesforce_destination>(
      context_for(salesforce_destination::type(), options));
  rig r(sf);
  r.answer = [&](const http_request& req) {
    if (req.method == "POST")
      return response(200, {{"id", "7502"}, {"state", "Open"}});
    if (req.method == "PUT")
      return response(201, nullptr);
    if (req.method == "PATCH")
      return response(200, {{"id", "7502"}, {"state", "UploadComplete"}});
    http_response csv;
    csv.status = 200;
    if (ends_with(req.url, "/jobs/ingest/7502"))
      return response(200, {{"id", "7502"}, {"state", "JobComplete"}});
    csv.body = ends_with(req.url, "/successfulResults/")
                   ? "\"sf__Id\",\"sf__Created\",\"Ext_Id__c\"\n\"003B\",\"true\",\"B-1\"\n"
                   : "\"Ext_Id__c\"\n";
    if (ends_with(req.url, "/failedResults/"))
      csv.body = "\"sf__Id\",\"sf__Error\",\"Ext_Id__c\"\n";
    return csv;
  };
  auto batch = batch_of(delivery_op::upsert, {"B-1"});
  batch.as_job = true;
  r.deliver(batch);
  BOOST_REQUIRE(r.outcome_of("B-1"));
  BOOST_TEST(r.outcome_of("B-1")->dest_id == "003B");
  BOOST_TEST(r.sent.size() >= 5u);  // create, upload, close, poll, results
  BOOST_TEST(r.tokens == static_cast<int>(r.sent.size()));
}

BOOST_AUTO_TEST_CASE(credit_never_exceeds_its_bound_and_every_batch_returns_one) {
  auto dest = std::make_shared<plain_destination>();
  const int concurrency = 3, window = 4, total = 12;
  rig r(dest, concurrency);
  r.hold_if = [](const http_request&) { return true; };
  int sent_batches = 0, answered = 0;
  std::set<std::string> keys;
  std::vector<std::vector<std::string>> batches;
  // A batch's credit may come back only once all its records are settled (none fails here).
  auto settled_batches = [&] {
    std::set<std::string> done;
    for (const auto& o : r.settled)
      done.insert(o.record.key);
    uint32_t n = 0;
    for (const auto& b : batches)
      n += std::all_of(b.begin(), b.end(), [&](const auto& k) { return done.count(k) > 0; });
    return n;
  };
  auto feed = [&] {
    while (sent_batches - static_cast<int>(r.credits) < window && sent_batches < total) {
      auto n = sent_batches++;
      std::vector<std::string> batch_keys;
      for (int i = 0; i < 3; ++i)
        batch_keys.push_back("k" + std::to_string(n) + "-" + std::to_string(i));
      if (n % 4 == 1)
        batch_keys[2] = "bad" + std::to_string(n);  // 400: bisected
      keys.insert(batch_keys.begin(), batch_keys.end());
      batches.push_back(batch_keys);
      r.deliver(batch_named("b" + std::to_string(n), delivery_op::upsert, batch_keys));
    }
  };
  feed();
  while (!r.held.empty()) {
    BOOST_TEST(r.held.size() <= static_cast<size_t>(concurrency));
    // Answer the newest first, so parts and batches finish out of order.
    auto& req = r.held.back().request;
    http_response answer = response(200, nullptr);
    auto comma = req.body.find(',');
    if (req.body.find("bad") != std::string::npos)
      answer = response(400, nullptr);
    else if (answered++ % 5 == 2)
      answer = response(503, nullptr);  // retried after a backoff
    else if (answered % 3 == 0 && comma != std::string::npos) {
      answer.status = 207;  // the first record alone goes again, as a part of its own
      answer.body = req.body.substr(0, comma);
    }
    r.answer_held(r.held.size() - 1, answer);
    BOOST_TEST(r.credits <= settled_batches());  // never early, so never over the window
    feed();
  }
  r.end();
  BOOST_TEST(sent_batches == total);
  BOOST_TEST(r.credits == static_cast<uint32_t>(total));
  BOOST_TEST(r.finishes == 1);
  BOOST_TEST(r.settled.size() == keys.size());
  for (const auto& key : keys) {
    auto* o = r.outcome_of(key);  // exactly once
    BOOST_REQUIRE(o);
    BOOST_TEST((o->what == (key.rfind("bad", 0) == 0 ? settled_outcome::kind::rejected
                                                       : settled_outcome::kind::delivered)));
  }
}

BOOST_AUTO_TEST_CASE(stop_with_requests_in_flight_reports_once_and_settles_nothing_twice) {
  auto dest = std::make_shared<plain_destination>();
  rig r(dest, 2);
  r.hold_if = [](const http_request&) { return true; };
  r.deliver(batch_named("b1", delivery_op::upsert, {"a1", "a2"}));
  r.deliver(batch_named("b2", delivery_op::upsert, {"b1", "b2"}));
  r.deliver(batch_named("b3", delivery_op::upsert, {"c1", "c2"}));  // queued behind the two
  BOOST_REQUIRE(r.held.size() == 2u);
  r.run(r.machine->on_stop("the operator asked"));
  BOOST_TEST(r.finishes == 0);  // two answers still to come
  BOOST_TEST(r.credits == 1u);  // the queued batch is given up (its records stay pending)
  r.answer_held(1, response(503, nullptr));  // not retried any more: left for the next run
  r.answer_held(0, response(200, nullptr));  // acknowledged: settled
  BOOST_TEST(r.finishes == 1);
  BOOST_TEST(r.report.fatal == "the operator asked");
  BOOST_TEST(r.report.failed == 4u);
  BOOST_TEST(r.settled.size() == 2u);
  BOOST_TEST(r.outcome_of("a1") != nullptr);
  BOOST_TEST(r.outcome_of("a2") != nullptr);
  BOOST_TEST(r.credits == 3u);
  // Late events change nothing.
  r.run(r.machine->on_stop("again"));
  r.run(r.machine->on_upstream_done());
  r.run(r.machine->on_response(9999, response(200, nullptr)));
  r.run(r.machine->on_timer(9999));
  BOOST_TEST(r.finishes == 1);
  BOOST_TEST(r.settled.size() == 2u);
}

BOOST_AUTO_TEST_CASE(stop_while_a_checkpoint_is_written_still_reports) {
  json options = {{"instance_url", "http://127.0.0.1:8092"}, {"token", "tok"},
                  {"object", "Contact"}, {"external_id_field", "Ext_Id__c"}};
  auto sf = std::make_shared<salesforce_destination>(
      context_for(salesforce_destination::type(), options));
  rig r(sf);
  r.answer = [&](const http_request& req) {
    if (req.method == "POST")
      return response(200, {{"id", "7601"}, {"state", "Open"}});
    if (req.method == "PUT")
      return response(201, nullptr);
    return response(200, {{"id", "7601"}, {"state", "UploadComplete"}});
  };
  r.hold_commits = true;
  auto batch = batch_of(delivery_op::upsert, {"A-1"});
  batch.as_job = true;
  r.deliver(batch);
  r.end();
  BOOST_REQUIRE(r.checkpoints.size() == 1u);
  BOOST_REQUIRE(r.held_commits.size() == 1u);
  r.run(r.machine->on_stop("the operator asked"));
  BOOST_TEST(r.finishes == 0);  // the checkpoint is still being written
  r.hold_commits = false;
  r.run(r.machine->on_committed(r.held_commits[0]));
  BOOST_TEST(r.finishes == 1);
  BOOST_TEST(r.report.failed == 1u);  // the job is resumed from its checkpoint next run
  BOOST_TEST(r.sent.size() == 3u);    // no poll after the stop
  BOOST_TEST(r.credits == 1u);
}

BOOST_AUTO_TEST_SUITE_END()
