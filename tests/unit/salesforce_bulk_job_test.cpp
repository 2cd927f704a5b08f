// The Salesforce Bulk API 2.0 job state machine, walked through with fixture answers.
#include <boost/test/unit_test.hpp>

#include "connectors/destinations/salesforce.hpp"
#include "pipelines/core/csv.hpp"
#include "tests/unit/connector_fixture.hpp"

using namespace backflow;
using namespace backflow::unit;
using nlohmann::json;

namespace {

salesforce_destination bulk_salesforce() {
  json options = {{"instance_url", "http://127.0.0.1:8092"}, {"token", "tok"},
                  {"object", "Contact"}, {"external_id_field", "Ext_Id__c"},
                  {"bulk_poll_initial", "100ms"}, {"bulk_poll_max", "1s"}};
  return salesforce_destination(context_for(salesforce_destination::type(), options));
}

http_response csv_answer(const std::string& body) {
  http_response r;
  r.status = 200;
  r.body = body;
  return r;
}

const std::string base = "http://127.0.0.1:8092/services/data/v59.0";

}  // namespace

BOOST_AUTO_TEST_SUITE(salesforce_bulk_job)

BOOST_AUTO_TEST_CASE(create_upload_close_poll_and_read_results) {
  auto sf = bulk_salesforce();
  auto b = batch_of(delivery_op::upsert, {"A-1", "A-2", "A-3", "A,4"});
  b.records[1].fields = encode_row({txt("Say \"hi\""), null()});
  b.as_job = true;
  auto job = sf.make_job(b);

  auto step = job->start();
  BOOST_TEST(step.request.method == "POST");
  BOOST_TEST(step.request.url == base + "/jobs/ingest");
  auto spec = json::parse(step.request.body);
  BOOST_TEST(spec["operation"] == "upsert");
  BOOST_TEST(spec["externalIdFieldName"] == "Ext_Id__c");
  BOOST_TEST(job->checkpoint().empty());

  step = job->next(response(200, {{"id", "7501"}, {"state", "Open"}}));
  BOOST_TEST(step.request.method == "PUT");
  BOOST_TEST(step.request.url == base + "/jobs/ingest/7501/batches");
  auto rows = parse_csv(step.request.body);
  BOOST_REQUIRE(rows);
  BOOST_REQUIRE(rows->size() == 5u);
  BOOST_TEST(((*rows)[0] == csv_row{"Ext_Id__c", "firstname", "score"}));
  BOOST_TEST(((*rows)[2] == csv_row{"A-2", "Say \"hi\"", "#N/A"}));  // quotes kept, null as #N/A
  BOOST_TEST((*rows)[4][0] == "A,4");
  BOOST_TEST(job->checkpoint().empty());  // not closed yet: a crash starts over

  step = job->next(response(201, nullptr));
  BOOST_TEST(step.request.method == "PATCH");
  BOOST_TEST(json::parse(step.request.body)["state"] == "UploadComplete");

  step = job->next(response(200, {{"id", "7501"}, {"state", "UploadComplete"}}));
  BOOST_TEST(job->checkpoint() == "7501");  // closed: from now on, resume by polling
  BOOST_TEST(step.request.method == "GET");
  BOOST_TEST(step.request.url == base + "/jobs/ingest/7501");
  BOOST_TEST(step.delay.count() == 100);

  step = job->next(response(200, {{"id", "7501"}, {"state", "InProgress"}}));
  BOOST_TEST(step.delay.count() == 200);  // backing off
  step = job->next(response(200, {{"id", "7501"}, {"state", "JobComplete"}}));
  BOOST_TEST(step.request.url == base + "/jobs/ingest/7501/successfulResults/");

  step = job->next(csv_answer("\"sf__Id\",\"sf__Created\",\"Ext_Id__c\",\"firstname\",\"score\"\n"
                              "\"003A\",\"true\",\"A-1\",\"A-1\",\"1\"\n"
                              "\"003D\",\"false\",\"A,4\",\"A,4\",\"4\"\n"));
  BOOST_TEST(step.request.url == base + "/jobs/ingest/7501/failedResults/");
  step = job->next(csv_answer("\"sf__Id\",\"sf__Error\",\"Ext_Id__c\",\"firstname\",\"score\"\n"
                              "\"\",\"REQUIRED_FIELD_MISSING:Required fields are missing: "
                              "[LastName]:LastName --\",\"A-2\",\"x\",\"\"\n"));
  BOOST_TEST(step.request.url == base + "/jobs/ingest/7501/unprocessedrecords/");
  step = job->next(csv_answer("\"Ext_Id__c\",\"firstname\",\"score\"\n\"A-3\",\"A-3\",\"3\"\n"));
  BOOST_TEST((step.what == job_step::kind::done));
  BOOST_REQUIRE(step.outcomes.size() == 4u);
  BOOST_TEST(delivered_as(step.outcomes[0], "003A"));
  BOOST_TEST((step.outcomes[1].what == record_outcome::kind::rejected));
  BOOST_TEST(step.outcomes[1].reason ==
             "REQUIRED_FIELD_MISSING: Required fields are missing: [LastName]");
  BOOST_TEST((step.outcomes[2].what == record_outcome::kind::retryable));  // not processed
  BOOST_TEST(delivered_as(step.outcomes[3], "003D"));
}

BOOST_AUTO_TEST_CASE(a_resumed_job_polls_and_never_uploads) {
  auto b = batch_of(delivery_op::upsert, {"A-1"});
  auto job = bulk_salesforce().resume_job(b, "7509");
  BOOST_TEST(job->checkpoint() == "7509");
  auto step = job->start();
  BOOST_TEST(step.request.method == "GET");
  BOOST_TEST(step.request.url == base + "/jobs/ingest/7509");
}

BOOST_AUTO_TEST_CASE(limits_wait_and_failures_reject_with_the_job_error) {
  auto sf = bulk_salesforce();
  auto b = batch_of(delivery_op::upsert, {"A-1", "A-2"});
  auto job = sf.resume_job(b, "7510");
  auto poll = job->start();
  auto wait = job->next(response(403, json::array({{{"errorCode", "REQUEST_LIMIT_EXCEEDED"},
                                                    {"message", "TotalRequests Limit exceeded."}}})));
  BOOST_TEST((wait.what == job_step::kind::send));
  BOOST_TEST(wait.request.url == poll.request.url);  // the same poll, after the org's pause
  BOOST_TEST(wait.delay.count() == 3600 * 1000);
  auto step = job->next(response(200, {{"state", "Failed"}, {"errorMessage", "InvalidBatch: bad"}}));
  step = job->next(csv_answer("\"sf__Id\",\"sf__Created\",\"Ext_Id__c\"\n"));
  step = job->next(csv_answer("\"sf__Id\",\"sf__Error\",\"Ext_Id__c\"\n"));
  step = job->next(csv_answer("\"Ext_Id__c\"\n"));
  BOOST_TEST((step.what == job_step::kind::done));
  BOOST_TEST(step.outcomes[0].reason == "job 7510 failed: InvalidBatch: bad");
  auto gone = sf.resume_job(b, "7511");
  gone->start();
  auto lost = gone->next(response(404, json::array({{{"errorCode", "NOT_FOUND"},
                                                     {"message", "no such job"}}})));
  BOOST_TEST((lost.what == job_step::kind::failed));
  BOOST_TEST((lost.verdict.what == batch_verdict::kind::retry));  // send the records again
}

BOOST_AUTO_TEST_CASE(delete_jobs_upload_ids) {
  auto b = batch_of(delivery_op::remove, {"A-1", "A-2"});
  auto job = bulk_salesforce().make_job(b);
  auto spec = json::parse(job->start().request.body);
  BOOST_TEST(spec["operation"] == "delete");
  BOOST_TEST(spec.contains("externalIdFieldName") == false);
  auto upload = job->next(response(200, {{"id", "7520"}}));
  BOOST_TEST(upload.request.body == "Id\nhs-A-1\nhs-A-2\n");
}

BOOST_AUTO_TEST_CASE(a_refused_repeat_of_a_landed_upload_or_close_goes_on) {
  // The upload was applied but its answer was a 502: the delivery layer sends it again, and
  // Salesforce refuses a second upload to the job. That refusal means the first one landed.
  auto sf = bulk_salesforce();
  auto b = batch_of(delivery_op::upsert, {"A-1", "A-2"});
  b.as_job = true;
  auto job = sf.make_job(b);
  job->start();
  auto step = job->next(response(200, {{"id", "7502"}, {"state", "Open"}}));
  BOOST_REQUIRE(step.request.method == "PUT");
  json already = json::array({{{"errorCode", "INVALIDJOB"},
                               {"message", "Found multiple contents for job: 7502, please 'Close' / "
                                           "'Abort' / 'Delete' the current Job then create a new "
                                           "Job and make sure you only do 'PUT' once on a given Job."}}});
  job->resending();
  step = job->next(response(400, already));
  BOOST_TEST((step.what == job_step::kind::send));
  BOOST_TEST(step.request.method == "PATCH");  // on to closing the job
  // The close landed too, and its repeat is refused as a state transition that is not allowed.
  job->resending();
  step = job->next(response(400, json::array({{{"errorCode", "INVALIDJOB"},
                                               {"message", "UploadComplete to UploadComplete"}}})));
  BOOST_TEST(step.request.method == "GET");  // polling
  BOOST_TEST(!job->checkpoint().empty());
}

BOOST_AUTO_TEST_CASE(a_refused_first_upload_fails_the_job) {
  auto sf = bulk_salesforce();
  auto b = batch_of(delivery_op::upsert, {"A-1"});
  b.as_job = true;
  auto job = sf.make_job(b);
  job->start();
  job->next(response(200, {{"id", "7503"}, {"state", "Open"}}));
  auto step = job->next(response(400, json::array({{{"errorCode", "INVALIDJOB"},
                                                    {"message", "InvalidJob : bad CSV"}}})));
  BOOST_TEST((step.what == job_step::kind::failed));  // no earlier copy: a real refusal
}

BOOST_AUTO_TEST_SUITE_END()
