// HubSpot associations and objects beyond contacts: the job's requests, written by hand from the
// CRM v3 batch and v4 associations contracts (docs/connectors/hubspot.md), fed scripted answers.
#include <boost/test/unit_test.hpp>

#include "tests/unit/connector_fixture.hpp"

using namespace backflow;
using namespace backflow::unit;
using nlohmann::json;

BOOST_AUTO_TEST_SUITE(hubspot_associations)

namespace hubspot_associations_parts {

const json to_company = {{"associations", {{{"field", "company_domain"},
                                            {"to_object", "companies"},
                                            {"to_id_property", "domain"}}}}};

/// Four contacts: a new link, a missing company, a cleared field (old link 9009) and a moved one
/// (old link 9002).
delivery_batch contacts_with_companies() {
  delivery_batch b;
  b.batch_id = "r12-b1";
  b.field_names = {"firstname", "company_domain"};
  b.records.push_back(record("ann@example.com", delivery_op::upsert,
                             encode_row({txt("Ann"), txt("acme.example")})));
  b.records.push_back(record("bob@example.com", delivery_op::upsert,
                             encode_row({txt("Bob"), txt("globex.example")})));
  b.records.push_back(
      record("cy@example.com", delivery_op::upsert, encode_row({txt("Cy"), null()}), "303|9009"));
  b.records.push_back(record("dee@example.com", delivery_op::upsert,
                             encode_row({txt("Dée 🚀"), txt("acme.example")}), "404|9002"));
  return b;
}

json upserted(const std::vector<std::pair<std::string, std::string>>& ids) {
  json results = json::array();
  for (const auto& [id, email] : ids)
    results.push_back({{"id", id}, {"properties", {{"email", email}}}, {"new", false}});
  return {{"status", "COMPLETE"}, {"results", results}};
}

}  // namespace hubspot_associations_parts

using namespace hubspot_associations_parts;

BOOST_AUTO_TEST_CASE(writes_only_with_associations_go_as_jobs) {
  BOOST_TEST(hubspot().job_size(delivery_op::upsert, 1000) == 0u);
  auto hub = hubspot(to_company);
  BOOST_TEST(hub.job_size(delivery_op::upsert, 1) == 100u);
  BOOST_TEST(hub.job_size(delivery_op::update, 1) == 100u);
  BOOST_TEST(hub.job_size(delivery_op::remove, 1000) == 0u);
}

BOOST_AUTO_TEST_CASE(upsert_then_find_then_move_then_link) {
  auto hub = hubspot(to_company);
  auto job = hub.make_job(contacts_with_companies());
  BOOST_REQUIRE(job);
  auto step = job->start();
  BOOST_REQUIRE(step.what == job_step::kind::send);
  BOOST_TEST(step.request.url == "http://127.0.0.1:8090/crm/v3/objects/contacts/batch/upsert");
  // The association field is not a contact property.
  BOOST_TEST(json::parse(step.request.body) ==
             json({{"inputs",
                    {{{"idProperty", "email"}, {"id", "ann@example.com"},
                      {"properties", {{"firstname", "Ann"}}}},
                     {{"idProperty", "email"}, {"id", "bob@example.com"},
                      {"properties", {{"firstname", "Bob"}}}},
                     {{"idProperty", "email"}, {"id", "cy@example.com"},
                      {"properties", {{"firstname", "Cy"}}}},
                     {{"idProperty", "email"}, {"id", "dee@example.com"},
                      {"properties", {{"firstname", "Dée 🚀"}}}}}}}),
             step.request.body);

  step = job->next(response(200, upserted({{"404", "dee@example.com"}, {"101", "ann@example.com"},
                                            {"202", "bob@example.com"}, {"303", "cy@example.com"}})));
  BOOST_REQUIRE(step.what == job_step::kind::send);
  BOOST_TEST(step.request.url == "http://127.0.0.1:8090/crm/v3/objects/companies/batch/read");
  BOOST_TEST(json::parse(step.request.body) ==
             json({{"idProperty", "domain"},
                   {"properties", {"domain"}},
                   {"inputs", {{{"id", "acme.example"}}, {{"id", "globex.example"}}}}}),
             step.request.body);

  step = job->next(response(
      207, {{"status", "COMPLETE"},
            {"results", {{{"id", "9001"}, {"properties", {{"domain", "acme.example"}}}}}},
            {"numErrors", 1},
            {"errors", {{{"status", "error"}, {"category", "OBJECT_NOT_FOUND"},
                         {"message", "Could not get some COMPANY objects"},
                         {"context", {{"ids", {"globex.example"}}}}}}}}));
  BOOST_REQUIRE(step.what == job_step::kind::send);
  BOOST_TEST(step.request.url ==
             "http://127.0.0.1:8090/crm/v4/associations/contacts/companies/batch/archive");
  BOOST_TEST(json::parse(step.request.body) ==
             json({{"inputs", {{{"from", {{"id", "303"}}}, {"to", {{{"id", "9009"}}}}},
                               {{"from", {{"id", "404"}}}, {"to", {{{"id", "9002"}}}}}}}}),
             step.request.body);

  step = job->next(response(204, nullptr));
  BOOST_REQUIRE(step.what == job_step::kind::send);
  BOOST_TEST(step.request.url ==
             "http://127.0.0.1:8090/crm/v4/associations/contacts/companies/batch/associate/default");
  BOOST_TEST(json::parse(step.request.body) ==
             json({{"inputs", {{{"from", {{"id", "101"}}}, {"to", {{"id", "9001"}}}},
                               {{"from", {{"id", "404"}}}, {"to", {{"id", "9001"}}}}}}}),
             step.request.body);

  step = job->next(response(200, {{"status", "COMPLETE"}, {"results", json::array()}}));
  BOOST_REQUIRE(step.what == job_step::kind::done);
  BOOST_REQUIRE_EQUAL(step.outcomes.size(), 4u);
  BOOST_TEST(delivered_as(step.outcomes[0], "101|9001"));
  BOOST_TEST((step.outcomes[1].what == record_outcome::kind::rejected));
  BOOST_TEST(step.outcomes[1].reason.find("globex.example") != std::string::npos,
             step.outcomes[1].reason);
  BOOST_TEST(step.outcomes[1].reason.find("company_domain") != std::string::npos);
  BOOST_TEST(delivered_as(step.outcomes[2], "303|"));
  BOOST_TEST(delivered_as(step.outcomes[3], "404|9001"));
  BOOST_TEST(job->checkpoint().empty());  // every step may run again after a crash
}

BOOST_AUTO_TEST_CASE(an_unchanged_link_is_made_again_and_nothing_archived) {
  auto hub = hubspot(to_company);
  delivery_batch b;
  b.field_names = {"company_domain"};
  b.records.push_back(
      record("a@x.com", delivery_op::upsert, encode_row({txt("acme.example")}), "7|9001"));
  auto job = hub.make_job(b);
  job->start();
  job->next(response(200, upserted({{"7", "a@x.com"}})));
  auto step = job->next(response(
      200, {{"results", {{{"id", "9001"}, {"properties", {{"domain", "acme.example"}}}}}}}));
  BOOST_TEST(step.request.url.find("/batch/associate/default") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_typed_association_uses_batch_create_and_reads_its_207) {
  auto hub = hubspot({{"object", "deals"},
                      {"id_property", "deal_key"},
                      {"associations", {{{"field", "company_id"}, {"to_object", "0-2"},
                                         {"to_id_property", "company_key"}, {"type_id", 5}}}}});
  delivery_batch b;
  b.field_names = {"dealname", "company_id"};
  b.records.push_back(
      record("D-1", delivery_op::upsert, encode_row({txt("Renewal"), num(9007199254740993)})));
  b.records.push_back(record("D-2", delivery_op::upsert, encode_row({txt("New"), txt("c2")})));
  auto job = hub.make_job(b);
  auto step = job->start();
  BOOST_TEST(step.request.url == "http://127.0.0.1:8090/crm/v3/objects/deals/batch/upsert");
  json results = {{{"id", "11"}, {"properties", {{"deal_key", "D-1"}}}},
                  {{"id", "12"}, {"properties", {{"deal_key", "D-2"}}}}};
  step = job->next(response(200, {{"results", results}}));
  BOOST_TEST(step.request.url == "http://127.0.0.1:8090/crm/v3/objects/0-2/batch/read");
  // An integer past 2^53 names its company exactly.
  BOOST_TEST(json::parse(step.request.body)["inputs"] ==
             json({{{"id", "9007199254740993"}}, {{"id", "c2"}}}), step.request.body);
  step = job->next(response(
      200, {{"results", {{{"id", "501"}, {"properties", {{"company_key", "9007199254740993"}}}},
                         {{"id", "502"}, {"properties", {{"company_key", "c2"}}}}}}}));
  BOOST_TEST(step.request.url == "http://127.0.0.1:8090/crm/v4/associations/deals/0-2/batch/create");
  BOOST_TEST(json::parse(step.request.body)["inputs"][0] ==
             json({{"from", {{"id", "11"}}},
                   {"to", {{"id", "501"}}},
                   {"types", {{{"associationCategory", "HUBSPOT_DEFINED"},
                               {"associationTypeId", 5}}}}}));
  step = job->next(response(
      207, {{"results", {{{"fromObjectId", 11}, {"toObjectId", 501}, {"labels", json::array()}}}},
            {"errors", {{{"message", "association limit reached"}}}}}));
  BOOST_REQUIRE(step.what == job_step::kind::done);
  BOOST_TEST(delivered_as(step.outcomes[0], "11|501"));
  BOOST_TEST((step.outcomes[1].what == record_outcome::kind::rejected));
  BOOST_TEST(step.outcomes[1].reason.find("association limit reached") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_refused_link_request_rejects_the_batch) {
  auto hub = hubspot(to_company);
  delivery_batch b;
  b.field_names = {"company_domain"};
  b.records.push_back(record("a@x.com", delivery_op::upsert, encode_row({txt("acme.example")})));
  auto job = hub.make_job(b);
  job->start();
  job->next(response(200, upserted({{"7", "a@x.com"}})));
  job->next(response(
      200, {{"results", {{{"id", "9001"}, {"properties", {{"domain", "acme.example"}}}}}}}));
  auto step = job->next(response(
      400, {{"status", "error"}, {"category", "VALIDATION_ERROR"}, {"message", "bad input"}}));
  BOOST_REQUIRE(step.what == job_step::kind::failed);
  BOOST_TEST((step.verdict.what == batch_verdict::kind::split ||
              step.verdict.what == batch_verdict::kind::reject));
}

BOOST_AUTO_TEST_CASE(archive_sends_the_record_id_without_the_remembered_links) {
  auto hub = hubspot(to_company);
  delivery_batch b;
  b.records.push_back(record("a@x.com", delivery_op::remove, {}, "101|9001"));
  auto req = hub.build_request(b);
  BOOST_TEST(json::parse(req.body) == json({{"inputs", {{{"id", "101"}}}}}));
}

BOOST_AUTO_TEST_CASE(object_association_and_required_property_checks) {
  auto errors_for = [](const json& extra, sync_mode mode, std::vector<std::string> mapped) {
    json options = {{"endpoint", "http://127.0.0.1:8090/"}, {"token", hub_token}};
    options.merge_patch(extra);
    auto type = hubspot_destination::type();
    auto ctx = context_for(type, options, mode, {"k"});
    ctx.mapped_fields = std::move(mapped);
    config_errors errors;
    type.check(ctx, "destination", errors);
    return joined(errors.items());
  };
  auto secret = errors_for({{"object", "tok-Zq8-S3CRET"}}, sync_mode::upsert, {});
  BOOST_TEST(secret.find("destination.object: must be one of") != std::string::npos, secret);
  BOOST_TEST(secret.find("S3CRET") == std::string::npos, secret);
  for (const char* ok : {"deals", "tickets", "2-12345", "0-3", "p_machines", "p1234_machines"})
    BOOST_TEST(errors_for({{"object", ok}, {"id_property", "key"}}, sync_mode::upsert, {}).empty(),
               ok);
  auto deals = errors_for({{"object", "deals"}, {"id_property", "deal_key"}}, sync_mode::upsert,
                          {"dealname", "amount"});
  BOOST_TEST(deals.find("\"dealstage\"") != std::string::npos, deals);
  BOOST_TEST(errors_for({{"object", "deals"}, {"id_property", "deal_key"}}, sync_mode::update,
                        {"amount"}).empty());
  auto tickets = errors_for({{"object", "tickets"}, {"id_property", "ticket_key"}},
                            sync_mode::mirror, {"subject"});
  BOOST_TEST(tickets.find("\"hs_pipeline_stage\"") != std::string::npos, tickets);
  BOOST_TEST(errors_for({{"object", "tickets"}}, sync_mode::upsert, {}).find(
                 "destination.id_property: tickets have no unique email property") !=
             std::string::npos);
  auto bad = errors_for({{"associations", {{{"field", "company"}, {"to_object", "companies"},
                                            {"colour", 1}, {"type_id", -3}}}}},
                        sync_mode::upsert, {"firstname"});
  BOOST_TEST(bad.find("destination.associations[0].colour: unknown key") != std::string::npos, bad);
  BOOST_TEST(bad.find("destination.associations[0].to_id_property: is required") !=
             std::string::npos, bad);
  BOOST_TEST(bad.find("destination.associations[0].type_id") != std::string::npos, bad);
  BOOST_TEST(bad.find("\"company\" is not a field of the mapping") != std::string::npos, bad);
  auto insert = errors_for(to_company, sync_mode::insert, {});
  BOOST_TEST(insert.find("insert mode") != std::string::npos, insert);
}

BOOST_AUTO_TEST_SUITE_END()
