// End to end: HubSpot companies, deals and custom objects by their unique property, and contacts
// and deals associated to their company from a model column (CRM v4 associations), against the
// emulator. Expectations are hand-written tables of who links to whom (docs/connectors/hubspot.md).
#include <boost/test/unit_test.hpp>

#include <set>

#include "tests/e2e/e2e_support.hpp"
#include "tests/support/emulator_process.hpp"

BOOST_AUTO_TEST_SUITE(e2e_hubspot_objects)

using namespace backflow::testing;
using nlohmann::json;

namespace hubspot_objects_parts {

// Hostile keys: Unicode, an integer past 2^53 (as text, exactly), a long key.
const std::string acme = "Société-Ω";
const std::string big = "9007199254740993";
const std::string long_key = std::string(200, 'k');

struct objects_fixture {
  temp_dir dir;
  std::unique_ptr<contacts_model> model = sqlite_contacts(dir);  // the warehouse file
  emulator_process hubspot{"hubspot", {"--per-10s", "0", "--daily", "0"}};
  cli backflow{dir.file("state"), {}};

  objects_fixture() {
    model->exec("CREATE TABLE accounts (account_key TEXT, name TEXT, score TEXT)");
    model->exec("INSERT INTO accounts VALUES ('" + acme + "', 'Acme', "
                "'12345678901234567890123456789012345678'), ('" + big + "', 'Big', '0.5'), ('" +
                long_key + "', 'Long', NULL)");
    model->exec("CREATE TABLE people (email TEXT, first_name TEXT, account_key TEXT)");
    model->exec("INSERT INTO people VALUES ('ann@example.com', 'Ann', '" + acme + "'), "
                "('bob@example.com', 'Bób 🚀', '" + big + "'), ('cy@example.com', 'Cy', '" +
                long_key + "'), ('dee@example.com', 'Dee', NULL), ('eve@example.com', 'Eve', '')");
  }

  json source(const std::string& query, const std::string& key) {
    auto s = model->source();
    s["query"] = query;
    s["key"] = key;
    return s;
  }

  std::string companies_sync() {
    json sync = {{"name", "accounts_to_companies"},
                 {"source", source("SELECT account_key, name, score FROM accounts", "account_key")},
                 {"destination", {{"type", "hubspot"}, {"endpoint", hubspot.url()},
                                  {"token", "emulator-token"}, {"object", "companies"},
                                  {"id_property", "account_key"}}},
                 {"mode", "mirror"},
                 {"mapping", {{{"from", "account_key"}, {"to", "account_key"}},
                              {{"from", "name"}, {"to", "name"}},
                              {{"from", "score"}, {"to", "account_score"}}}}};
    return write_sync(dir, sync, "companies.json");
  }

  std::string contacts_sync() {
    json sync = {{"name", "people_to_contacts"},
                 {"source", source("SELECT email, first_name, account_key FROM people", "email")},
                 {"destination", {{"type", "hubspot"}, {"endpoint", hubspot.url()},
                                  {"token", "emulator-token"},
                                  {"associations", {{{"field", "company"},
                                                     {"to_object", "companies"},
                                                     {"to_id_property", "account_key"}}}}}},
                 {"mode", "mirror"},
                 {"mapping", {{{"from", "email"}, {"to", "email"}},
                              {{"from", "first_name"}, {"to", "firstname"}},
                              {{"from", "account_key"}, {"to", "company"}}}},
                 {"delivery", {{"retry_initial", "50ms"}, {"retry_max", "1s"}}}};
    return write_sync(dir, sync, "contacts.json");
  }

  /// Which company (by account_key) each contact (by email) is linked to, from what the
  /// emulator holds.
  std::multimap<std::string, std::string> links() {
    auto all = hubspot.control_get("records");
    std::map<std::string, json> by_id;
    for (const auto& r : all["records"])
      by_id[r["id"].get<std::string>()] = r;
    std::multimap<std::string, std::string> out;
    for (const auto& a : all["associations"]) {
      const auto& x = by_id.at(a["from_id"].get<std::string>());
      const auto& y = by_id.at(a["to_id"].get<std::string>());
      const auto& contact = x["object"] == "contacts" ? x : y;
      const auto& company = x["object"] == "contacts" ? y : x;
      out.emplace(contact["properties"].value("email", "?"),
                  company["properties"].value("account_key", "?"));
    }
    return out;
  }
};

void require_exit(const cli::run_result& r, int code) {
  BOOST_REQUIRE_MESSAGE(r.process.exit_code == code, "exit " << r.process.exit_code << " (want "
                                                             << code << ")\nstdout: " << r.process.out
                                                             << "\nstderr: " << r.process.err);
}

}  // namespace hubspot_objects_parts

using namespace hubspot_objects_parts;

BOOST_FIXTURE_TEST_CASE(contacts_link_to_their_company_and_follow_a_changed_column,
                        objects_fixture) {
  require_exit(backflow.run_sync(companies_sync()), 0);
  auto companies = hubspot.control_get("records?object=companies")["records"];
  BOOST_REQUIRE_EQUAL(companies.size(), 3u);
  std::map<std::string, json> by_key;
  for (const auto& c : companies)
    by_key[c["properties"]["account_key"].get<std::string>()] = c["properties"];
  BOOST_TEST(by_key[acme]["account_score"] == "12345678901234567890123456789012345678");
  BOOST_TEST(by_key[big]["name"] == "Big");
  BOOST_TEST(by_key[long_key]["account_score"] == "");

  auto first = backflow.run_sync(contacts_sync());
  require_exit(first, 0);
  BOOST_TEST(first.summary["counts"]["delivered"] == 5);
  // One upsert, one batch read of the three companies, one request making the three links.
  BOOST_TEST(first.summary["api_calls"] == 3);
  std::multimap<std::string, std::string> want = {
      {"ann@example.com", acme}, {"bob@example.com", big}, {"cy@example.com", long_key}};
  BOOST_TEST((links() == want));
  for (const auto& c : hubspot.control_get("records?object=contacts")["records"])
    BOOST_TEST(!c["properties"].contains("company"), "the link column is not a property");

  // Ann moves to Big, Bob loses his company, Dee gains one; the old links go.
  model->exec("UPDATE people SET account_key = '" + big + "' WHERE email = 'ann@example.com'");
  model->exec("UPDATE people SET account_key = NULL WHERE email = 'bob@example.com'");
  model->exec("UPDATE people SET account_key = '" + acme + "' WHERE email = 'dee@example.com'");
  auto second = backflow.run_sync(contacts_sync());
  require_exit(second, 0);
  BOOST_TEST(second.summary["counts"]["delivered"] == 3);
  want = {{"ann@example.com", big}, {"cy@example.com", long_key}, {"dee@example.com", acme}};
  BOOST_TEST((links() == want));
  auto endpoints = hubspot.requests()["by_endpoint"];
  BOOST_TEST(endpoints["POST /crm/v4/associations/{from}/{to}/batch/archive"]["inputs"] == 2);
}

BOOST_FIXTURE_TEST_CASE(a_missing_company_rejects_the_contact_naming_the_key, objects_fixture) {
  require_exit(backflow.run_sync(companies_sync()), 0);
  model->exec("UPDATE people SET account_key = 'no-such-account' WHERE email = 'cy@example.com'");
  auto run = backflow.run_sync(contacts_sync());
  BOOST_TEST(run.summary["counts"]["delivered"] == 4);
  BOOST_TEST(run.summary["counts"]["rejected"] == 1);
  auto rejects = backflow.run({"rejects", dir.file("contacts.json"), "--state", backflow.state_dir});
  BOOST_TEST(rejects.out.find("cy@example.com") != std::string::npos, rejects.out);
  BOOST_TEST(rejects.out.find("no-such-account") != std::string::npos, rejects.out);
  // Once the company exists, `backflow retry` links it.
  model->exec("INSERT INTO accounts VALUES ('no-such-account', 'Late', '1')");
  require_exit(backflow.run_sync(companies_sync()), 0);
  auto retry = backflow.run({"retry", dir.file("contacts.json"), "--state", backflow.state_dir});
  BOOST_TEST(retry.exit_code == 0, retry.out << retry.err);
  BOOST_TEST(links().count("cy@example.com") == 1u);
}

BOOST_FIXTURE_TEST_CASE(a_run_stopped_between_upsert_and_link_links_on_the_next_run,
                        objects_fixture) {
  require_exit(backflow.run_sync(companies_sync()), 0);
  hubspot.fault({{"match", {{"method", "POST"}, {"path_contains", "associate/default"}}},
                 {"nth", 1}, {"status", 401},
                 {"body", {{"status", "error"}, {"category", "EXPIRED_AUTHENTICATION"},
                           {"message", "The OAuth token used to make this call expired"}}}});
  auto stopped = backflow.run_sync(contacts_sync());
  require_exit(stopped, 4);
  BOOST_TEST(hubspot.control_get("records?object=contacts")["records"].size() == 5u);
  BOOST_TEST(links().empty());
  auto next = backflow.run_sync(contacts_sync());
  require_exit(next, 0);
  BOOST_TEST(next.summary["counts"]["delivered"] == 5);
  BOOST_TEST(links().size() == 3u);
}

BOOST_FIXTURE_TEST_CASE(deals_and_a_custom_object_by_type_id_upsert_and_link, objects_fixture) {
  require_exit(backflow.run_sync(companies_sync()), 0);
  hubspot.control_post("objects", {{"name", "p_machines"}, {"object_type_id", "2-12345"}});
  hubspot.control_post("properties", {{"object", "deals"}, {"unique", {"deal_key"}}});
  model->exec("CREATE TABLE deals (deal_key TEXT, dealname TEXT, stage TEXT, amount TEXT, "
              "account_key TEXT)");
  model->exec("INSERT INTO deals VALUES ('D-1', 'Renewal ✓', 'appointmentscheduled', "
              "'99999999999999999999999999999999999.999', '" + big + "')");
  json deals = {{"name", "deals"},
                {"source", source("SELECT deal_key, dealname, stage, amount, account_key FROM deals",
                                  "deal_key")},
                {"destination", {{"type", "hubspot"}, {"endpoint", hubspot.url()},
                                 {"token", "emulator-token"}, {"object", "deals"},
                                 {"id_property", "deal_key"},
                                 {"associations", {{{"field", "company"}, {"to_object", "0-2"},
                                                    {"to_id_property", "account_key"}}}}}},
                {"mapping", {{{"from", "deal_key"}, {"to", "deal_key"}},
                             {{"from", "dealname"}, {"to", "dealname"}},
                             {{"from", "stage"}, {"to", "dealstage"}},
                             {{"from", "amount"}, {"to", "amount"}},
                             {{"from", "account_key"}, {"to", "company"}}}}};
  require_exit(backflow.run_sync(write_sync(dir, deals, "deals.json")), 0);
  auto held = hubspot.control_get("records?object=deals")["records"];
  BOOST_REQUIRE_EQUAL(held.size(), 1u);
  BOOST_TEST(held[0]["properties"]["amount"] == "99999999999999999999999999999999999.999");
  BOOST_TEST(held[0]["properties"]["dealstage"] == "appointmentscheduled");
  auto assoc = hubspot.control_get("records")["associations"];
  BOOST_REQUIRE_EQUAL(assoc.size(), 1u);
  BOOST_TEST(assoc[0]["type_id"] == 341);  // deal to company, unlabeled

  json machines = {{"name", "machines"},
                   {"source", source("SELECT account_key AS serial, name AS label FROM accounts",
                                     "serial")},
                   {"destination", {{"type", "hubspot"}, {"endpoint", hubspot.url()},
                                    {"token", "emulator-token"}, {"object", "2-12345"},
                                    {"id_property", "serial"}}}};
  auto run = backflow.run_sync(write_sync(dir, machines, "machines.json"));
  require_exit(run, 0);
  BOOST_TEST(hubspot.control_get("records?object=p_machines")["records"].size() == 3u);
}

BOOST_AUTO_TEST_SUITE_END()
