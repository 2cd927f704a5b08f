// The Salesforce emulator's Bulk API 2.0 ingest jobs over HTTP: states, CSV uploads and results.
#include <algorithm>
#include <string>
#include <vector>

#include <boost/test/unit_test.hpp>

#include "pipelines/core/csv.hpp"
#include "tests/emulators/emulator_fixture.hpp"

using namespace backflow::emulators::testing;
using nlohmann::json;

namespace {

/// A parsed results file, header first.
std::vector<backflow::csv_row> results(salesforce& sf, const std::string& id,
                                       const std::string& kind) {
  auto r = sf.call("GET", "jobs/ingest/" + id + "/" + kind + "/");
  BOOST_REQUIRE_EQUAL(r.status, 200);
  BOOST_TEST(r.header("Content-Type").find("csv") != std::string::npos);
  auto rows = backflow::parse_csv(r.body);
  BOOST_REQUIRE(rows);
  return *rows;
}

using row = backflow::csv_row;

}  // namespace

BOOST_AUTO_TEST_SUITE(salesforce_bulk)

BOOST_AUTO_TEST_CASE(an_upsert_job_goes_through_its_states_and_reports_results) {
  salesforce sf({"--bulk-delay-ms", "800"});
  BOOST_REQUIRE_EQUAL(
      sf.upsert({salesforce::record("B-2", {{"LastName", "Old"}, {"Email", "keep@x.com"}})}).status,
      200);
  auto created =
      sf.call("POST", "jobs/ingest",
              R"({"object":"Contact","operation":"upsert","externalIdFieldName":"Ext_Id__c",
                             "contentType":"CSV","lineEnding":"LF","columnDelimiter":"COMMA"})");
  BOOST_REQUIRE_EQUAL(created.status, 200);
  auto job = created.json();
  const auto id = job["id"].get<std::string>();
  BOOST_TEST(id.size() == 18u);
  BOOST_TEST(id.substr(0, 3) == "750");
  BOOST_TEST(job["state"] == "Open");
  BOOST_TEST(job["object"] == "Contact");
  BOOST_TEST(job["operation"] == "upsert");
  BOOST_TEST(job["externalIdFieldName"] == "Ext_Id__c");
  BOOST_TEST(job["concurrencyMode"] == "Parallel");
  BOOST_TEST(job["apiVersion"] == 59.0);
  BOOST_TEST(job["contentUrl"] == "services/data/v59.0/jobs/ingest/" + id + "/batches");
  BOOST_TEST(job["createdById"].get<std::string>().size() == 18u);

  const std::string csv =
      "Ext_Id__c,LastName,Email,Description\n"
      "B-1,\"Smith, Jr.\",b1@x.com,\"He said \"\"hi\"\"\nand left\"\n"
      "B-2,New,,#N/A\n"
      "B-3,Bad,not-an-email,x\n"
      "B-4,#N/A,b4@x.com,\n";
  auto put = sf.call("PUT", "jobs/ingest/" + id + "/batches", csv, "text/csv");
  BOOST_TEST(put.status == 201);
  BOOST_TEST(put.body.empty());
  auto closed = sf.call("PATCH", "jobs/ingest/" + id, R"({"state":"UploadComplete"})");
  BOOST_REQUIRE_EQUAL(closed.status, 200);
  BOOST_TEST(closed.json()["state"] == "UploadComplete");
  BOOST_TEST(sf.stored("B-1").is_null());  // nothing applied before the job completes

  auto done = sf.wait_job(id);
  BOOST_TEST(done["seen"] == json({"UploadComplete", "InProgress", "JobComplete"}));
  BOOST_TEST(done["numberRecordsProcessed"] == 4);
  BOOST_TEST(done["numberRecordsFailed"] == 1);
  BOOST_TEST(done["retries"] == 0);
  BOOST_TEST(done["totalProcessingTime"].get<int>() >= 800);
  BOOST_TEST(!done.contains("errorMessage"));

  auto ok = results(sf, id, "successfulResults");
  BOOST_REQUIRE_EQUAL(ok.size(), 4u);
  BOOST_TEST(
      ok[0] == row({"sf__Id", "sf__Created", "Ext_Id__c", "LastName", "Email", "Description"}),
      boost::test_tools::per_element());
  BOOST_TEST(ok[1][1] == "true");
  BOOST_TEST(ok[1][3] == "Smith, Jr.");
  BOOST_TEST(ok[1][5] == "He said \"hi\"\nand left");
  BOOST_TEST(ok[2][0] == sf.stored("B-2")["id"].get<std::string>());
  BOOST_TEST(ok[2][1] == "false");
  BOOST_TEST(ok[3][2] == "B-4");
  auto failed = results(sf, id, "failedResults");
  BOOST_REQUIRE_EQUAL(failed.size(), 2u);
  BOOST_TEST(failed[0][1] == "sf__Error");
  BOOST_TEST(failed[1][0] == "");
  BOOST_TEST(failed[1][1] ==
             "INVALID_EMAIL_ADDRESS:Email: invalid email address: not-an-email:Email");
  BOOST_TEST(failed[1][2] == "B-3");
  BOOST_TEST(results(sf, id, "unprocessedrecords").size() == 1u);  // the header only

  auto b1 = sf.stored("B-1");
  BOOST_TEST(b1["fields"]["Description"] == "He said \"hi\"\nand left");
  auto b2 = sf.stored("B-2")["fields"];
  BOOST_TEST(b2["LastName"] == "New");
  BOOST_TEST(b2["Email"] == "keep@x.com");  // an empty value leaves the field alone
  BOOST_TEST(b2["Description"].is_null());  // #N/A sets null
  BOOST_TEST(sf.stored("B-4")["fields"]["LastName"].is_null());
  BOOST_TEST(sf.stored("B-3").is_null());

  auto jobs = sf.control_get("jobs")["jobs"];
  BOOST_REQUIRE_EQUAL(jobs.size(), 1u);
  BOOST_TEST(jobs[0]["resultsFetched"] ==
             json({{"successfulResults", 1}, {"failedResults", 1}, {"unprocessedrecords", 1}}));
}

BOOST_AUTO_TEST_CASE(a_repeated_external_id_fails_every_copy_in_a_job) {
  salesforce sf({"--bulk-delay-ms", "0"});
  auto id = sf.create_job();
  sf.upload_and_close(id, "Ext_Id__c,LastName\r\nD-1,a\r\nD-2,b\r\nD-1,c\r\n");
  auto done = sf.wait_job(id);
  BOOST_TEST(done["state"] == "JobComplete");
  BOOST_TEST(done["numberRecordsFailed"] == 2);
  auto failed = results(sf, id, "failedResults");
  BOOST_REQUIRE_EQUAL(failed.size(), 3u);
  for (std::size_t i = 1; i < 3; ++i)
    BOOST_TEST(failed[i][1].rfind("DUPLICATE_VALUE:Duplicate external id specified: D-1", 0) == 0);
  BOOST_TEST(sf.records().size() == 1u);
}

BOOST_AUTO_TEST_CASE(uploads_that_cannot_be_processed_fail_the_job) {
  salesforce sf({"--bulk-delay-ms", "0"});
  struct bad {
    std::string csv;
    std::string message;
  };
  for (const auto& [csv, message] :
       std::vector<bad>{{"Ext_Id__c,LastName\nA-1,\"unterminated\n", "unterminated"},
                        {"LastName\nSmith\n", "Ext_Id__c"},
                        {"Ext_Id__c,LastName\nA-1\n", "fields"},
                        {"Ext_Id__c,Ext_Id__c\nA-1,A-2\n", "Duplicate"},
                        {"Ext_Id__c,LastName\nA-1,\xff\xfe\n", "UTF-8"}}) {
    auto id = sf.create_job();
    sf.upload_and_close(id, csv);
    auto done = sf.wait_job(id);
    BOOST_TEST(done["state"] == "Failed");
    BOOST_TEST(done["errorMessage"].get<std::string>().find(message) != std::string::npos,
               done["errorMessage"]);
    BOOST_TEST(sf.call("GET", "jobs/ingest/" + id + "/successfulResults/").status == 400);
    auto unprocessed = sf.call("GET", "jobs/ingest/" + id + "/unprocessedrecords/");
    BOOST_TEST(unprocessed.status == 200);
    BOOST_TEST(!unprocessed.body.empty());
  }
  BOOST_TEST(sf.records().empty());
  // Closing a job without data fails it at once.
  auto empty = sf.create_job();
  auto closed = sf.call("PATCH", "jobs/ingest/" + empty, R"({"state":"UploadComplete"})");
  BOOST_TEST(closed.json()["state"] == "Failed");
  BOOST_TEST(sf.call("GET", "jobs/ingest/" + empty).json().contains("errorMessage"));
}

BOOST_AUTO_TEST_CASE(job_requests_are_validated) {
  salesforce sf({"--bulk-delay-ms", "0"});
  for (const std::string body :
       {R"({"operation":"upsert","externalIdFieldName":"Ext_Id__c"})",
        R"({"object":"Contact","externalIdFieldName":"Ext_Id__c"})",
        R"({"object":"Contact","operation":"merge"})",
        R"({"object":"Contact","operation":"upsert"})",
        R"({"object":"Contact","operation":"insert","contentType":"JSON"})",
        R"({"object":"Contact","operation":"insert","object":5})"}) {
    auto r = sf.call("POST", "jobs/ingest", body);
    BOOST_TEST(r.status == 400);
    BOOST_TEST(r.json()[0]["errorCode"] == "INVALIDJOB", body);
  }
  BOOST_TEST(sf.call("POST", "jobs/ingest", "not json").json()[0]["errorCode"] ==
             "JSON_PARSER_ERROR");
  const std::string unknown = "750000000000999AAA";
  for (const auto& [method, path] :
       std::vector<std::pair<std::string, std::string>>{{"GET", unknown},
                                                        {"PATCH", unknown},
                                                        {"PUT", unknown + "/batches"},
                                                        {"GET", unknown + "/failedResults/"},
                                                        {"DELETE", unknown}}) {
    auto r = sf.call(method, "jobs/ingest/" + path, R"({"state":"Aborted"})");
    BOOST_TEST(r.status == 404);
    BOOST_TEST(r.json()[0]["errorCode"] == "NOT_FOUND");
  }
  auto id = sf.create_job();
  BOOST_TEST(sf.call("GET", "jobs/ingest/" + id + "/successfulResults/").status == 400);
  BOOST_TEST(
      sf.call("PUT", "jobs/ingest/" + id + "/batches", "Ext_Id__c\nA-1\n", "text/csv").status ==
      201);
  auto second = sf.call("PUT", "jobs/ingest/" + id + "/batches", "Ext_Id__c\nA-2\n", "text/csv");
  BOOST_TEST(second.status == 400);
  BOOST_TEST(second.json()[0]["errorCode"] == "INVALIDJOB");
  BOOST_TEST(sf.call("PATCH", "jobs/ingest/" + id, R"({"state":"Open"})").status == 400);
  BOOST_TEST(sf.call("PATCH", "jobs/ingest/" + id, "garbage").status == 400);
  BOOST_TEST(sf.call("DELETE", "jobs/ingest/" + id).status == 400);  // still open
  BOOST_TEST(sf.call("PATCH", "jobs/ingest/" + id, R"({"state":"UploadComplete"})").status == 200);
  BOOST_TEST(sf.wait_job(id)["state"] == "JobComplete");
  BOOST_TEST(sf.call("PATCH", "jobs/ingest/" + id, R"({"state":"Aborted"})").status == 400);
  auto list = sf.call("GET", "jobs/ingest").json();
  BOOST_TEST(list["done"] == true);
  BOOST_TEST(list["records"].size() == 1u);
}

BOOST_AUTO_TEST_CASE(an_aborted_job_leaves_its_records_unprocessed) {
  salesforce sf({"--bulk-delay-ms", "5000"});
  auto id = sf.create_job();
  sf.upload_and_close(id, "Ext_Id__c,LastName\nA-1,\"x,y\"\nA-2,z\n");
  auto aborted = sf.call("PATCH", "jobs/ingest/" + id, R"({"state":"Aborted"})");
  BOOST_REQUIRE_EQUAL(aborted.status, 200);
  BOOST_TEST(aborted.json()["state"] == "Aborted");
  auto unprocessed = results(sf, id, "unprocessedrecords");
  BOOST_REQUIRE_EQUAL(unprocessed.size(), 3u);
  BOOST_TEST(unprocessed[1] == row({"A-1", "x,y"}), boost::test_tools::per_element());
  BOOST_TEST(sf.call("GET", "jobs/ingest/" + id + "/successfulResults/").status == 400);
  BOOST_TEST(sf.records().empty());
  BOOST_TEST(sf.call("DELETE", "jobs/ingest/" + id).status == 204);
  BOOST_TEST(sf.call("GET", "jobs/ingest/" + id).status == 404);
  BOOST_TEST(sf.control_get("jobs")["jobs"][0]["deleted"] == true);
}

BOOST_AUTO_TEST_CASE(insert_update_and_delete_jobs) {
  salesforce sf({"--bulk-delay-ms", "0"});
  auto ids = sf.upsert({salesforce::record("A-1"), salesforce::record("A-2")}).json();
  const auto a1 = ids[0]["id"].get<std::string>();
  const auto a2 = ids[1]["id"].get<std::string>();
  auto update = sf.create_job({{"operation", "update"}});
  sf.upload_and_close(update, "Id,LastName\n" + a1 + ",Updated\n003000000000077AAA,Nobody\n");
  BOOST_TEST(sf.wait_job(update)["numberRecordsFailed"] == 1);
  BOOST_TEST(sf.stored("A-1")["fields"]["LastName"] == "Updated");
  BOOST_TEST(results(sf, update, "failedResults")[1][1].rfind("INVALID_CROSS_REFERENCE_KEY", 0) ==
             0);

  auto insert = sf.create_job({{"operation", "insert"}, {"object", "Lead"}});
  sf.upload_and_close(insert, "LastName,Company\nLee,Acme\nKim,Initech\n");
  BOOST_TEST(sf.wait_job(insert)["numberRecordsProcessed"] == 2);
  auto inserted = results(sf, insert, "successfulResults");
  BOOST_TEST(inserted[1][0].substr(0, 3) == "00Q");

  auto remove = sf.create_job({{"operation", "delete"}});
  sf.upload_and_close(remove, "Id\n" + a2 + "\n" + a2 + "x\n");
  auto done = sf.wait_job(remove);
  BOOST_TEST(done["numberRecordsProcessed"] == 2);
  BOOST_TEST(done["numberRecordsFailed"] == 1);  // a malformed id
  BOOST_TEST(sf.stored("A-2").is_null());
  auto no_id = sf.create_job({{"operation", "delete"}});
  sf.upload_and_close(no_id, "Ext_Id__c\nA-1\n");
  BOOST_TEST(sf.wait_job(no_id)["state"] == "Failed");
}

BOOST_AUTO_TEST_CASE(a_large_job_is_applied_in_one_go) {
  salesforce sf({"--bulk-delay-ms", "0"});
  std::string csv = "Ext_Id__c,Email,LastName\n";
  for (int i = 0; i < 20000; ++i)
    csv += "L-" + std::to_string(i) + ",l" + std::to_string(i) + "@x.com,\"Name, " +
           std::to_string(i) + "\"\n";
  auto id = sf.create_job({{"lineEnding", "LF"}});
  sf.upload_and_close(id, csv);
  auto done = sf.wait_job(id);
  BOOST_TEST(done["numberRecordsProcessed"] == 20000);
  BOOST_TEST(done["numberRecordsFailed"] == 0);
  BOOST_TEST(results(sf, id, "successfulResults").size() == 20001u);
  auto records = sf.control_get("records?object=Contact")["records"];
  BOOST_TEST(records.size() == 20000u);
}

BOOST_AUTO_TEST_SUITE_END()
