// End to end: a secret never reaches disk or output, in any encoding (issue 10, defect 4). The
// destination's error bodies echo the token (as some do), and the token holds characters JSON
// escapes (`"` and `\`): its raw, JSON-escaped, percent-encoded and base64 forms must appear in
// no state file, no `--json` output and no log line.
#include <boost/test/unit_test.hpp>

#include <fstream>

#include "pipelines/core/crypto.hpp"
#include "tests/e2e/e2e_support.hpp"
#include "tests/sources/mariadb_server.hpp"
#include "tests/support/emulator_process.hpp"

BOOST_AUTO_TEST_SUITE(e2e_secrets)

using namespace backflow::testing;
using nlohmann::json;

namespace {

const std::string token = R"(pat-na1-"qu\ote/d%tok+en=42)";

std::string percent_encoded(const std::string& s) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(hex[c >> 4]);
      out.push_back(hex[c & 15]);
    }
  }
  return out;
}

/// Every form the token could be found in, each computed here, not by the code under test.
std::vector<std::pair<std::string, std::string>> token_forms() {
  auto escaped = json(token).dump();
  return {{"raw", token},
          {"JSON-escaped", escaped.substr(1, escaped.size() - 2)},
          {"percent-encoded", percent_encoded(token)},
          {"base64", backflow::base64_encode(token)},
          {"in a Basic credential", backflow::base64_encode("user:" + token).substr(8, 20)}};
}

/// Names every form of the token found in `text`.
void expect_no_token(const std::string& where, const std::string& text) {
  for (const auto& [form, value] : token_forms())
    BOOST_TEST(text.find(value) == std::string::npos, where << " holds the token " << form);
}

std::string file_text(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

struct fixture {
  temp_dir dir;
  std::unique_ptr<contacts_model> model = sqlite_contacts(dir);
  emulator_process hubspot{"hubspot", {"--token", token}};
  cli backflow{dir.file("state"), {{"HUBSPOT_TOKEN", token}}};

  std::string sync_file() {
    auto sync = hubspot_sync(*model, hubspot.url());
    sync["destination"]["token"] = "${HUBSPOT_TOKEN}";
    return write_sync(dir, sync);
  }
  /// A vendor answer that quotes the token back, in its JSON body.
  json echoing(int status, int count) {
    json body = {{"status", "error"},
                 {"category", status == 401 ? "INVALID_AUTHENTICATION" : "VALIDATION_ERROR"},
                 {"message", "Bearer " + token + " is not allowed to write property score"}};
    return {{"match", {{"method", "POST"}}}, {"count", count}, {"status", status},
            {"body", body.dump()}};
  }
};

}  // namespace

BOOST_FIXTURE_TEST_CASE(an_echoed_token_is_stored_and_printed_nowhere, fixture) {
  model->insert(0, 3);
  auto sync = sync_file();
  // Every record is refused with a reason quoting the token (split down to single records).
  hubspot.fault(echoing(400, 20));
  auto rejected = backflow.run({"run", sync, "--state", backflow.state_dir, "--json",
                                "--log-format", "json", "--log-level", "debug"});
  BOOST_TEST(rejected.exit_code == 1, rejected.out << rejected.err);
  expect_no_token("run --json", rejected.out);
  expect_no_token("the run's log", rejected.err);
  // Then the token itself is refused, with the same echo: the run stops with that error.
  http_call("DELETE", hubspot.url("/__emulator/faults"));
  model->insert(3, 4);
  hubspot.fault(echoing(401, 5));
  auto refused = backflow.run({"run", sync, "--state", backflow.state_dir, "--json",
                               "--log-format", "json", "--log-level", "debug"});
  BOOST_TEST(refused.exit_code == 4, refused.out << refused.err);
  expect_no_token("run --json", refused.out);
  expect_no_token("the run's log", refused.err);

  for (const auto& args : std::vector<std::vector<std::string>>{
           {"status", "--state", backflow.state_dir, "--json"},
           {"status", "--state", backflow.state_dir},
           {"runs", sync, "--state", backflow.state_dir, "--json"},
           {"rejects", sync, "--state", backflow.state_dir, "--json"},
           {"rejects", sync, "--state", backflow.state_dir}}) {
    auto out = backflow.run(args);
    BOOST_TEST(out.exit_code == 0, args[0] << ": " << out.err);
    expect_no_token(args[0] + " " + args.back(), out.out + out.err);
  }
  // The reasons are kept, without the token.
  auto rejects = json::parse(backflow.run({"rejects", sync, "--state", backflow.state_dir, "--json"}).out);
  BOOST_REQUIRE_EQUAL(rejects["rejects"].size(), 3u);
  BOOST_TEST(rejects["rejects"][0]["reason"].get<std::string>().find("is not allowed to write") !=
             std::string::npos);

  for (const auto& entry : std::filesystem::recursive_directory_iterator(backflow.state_dir))
    if (entry.is_regular_file())
      expect_no_token(entry.path().string(), file_text(entry.path()));
}

// A warehouse password (the mysql source's, given as `password` and inside `url`) appears in no
// output, log or state file, on success and when the server refuses it.
BOOST_AUTO_TEST_CASE(a_warehouse_password_is_stored_and_printed_nowhere) {
  mariadb_server server;
  server.exec("CREATE TABLE contacts (email VARCHAR(64), first_name TEXT)");
  server.exec("INSERT INTO contacts VALUES ('a@example.com', 'A'), ('b@example.com', 'B')");
  temp_dir dir;
  const std::string signing = "whsec_c2VjcmV0cy1teXNxbA==";
  emulator_process webhook{"webhook", {"--secret", signing}};
  const std::string password = server.password();
  const std::string wrong = "Wr0ng-" + password;
  cli backflow{dir.file("state"), {{"MYSQL_PASSWORD", password}, {"WRONG_URL",
      "mysql://backflow:" + wrong + "@127.0.0.1:" + std::to_string(server.port()) + "/x"}}};
  auto source = server.options();
  source["password"] = "${MYSQL_PASSWORD}";
  source["type"] = "mysql";
  source["query"] = "SELECT email, first_name FROM contacts";
  source["key"] = "email";
  json sync = {{"name", "mysql_secrets"}, {"source", source},
               {"destination", {{"type", "webhook"}, {"endpoint", webhook.url("/hooks/backflow")},
                                {"secret", signing}}}};
  auto good = write_sync(dir, sync, "good.json");
  sync["source"] = {{"type", "mysql"}, {"url", "${WRONG_URL}"}, {"query", source["query"]},
                    {"key", "email"}};
  auto bad = write_sync(dir, sync, "bad.json");
  const std::vector<std::string> logs = {"--log-format", "json", "--log-level", "debug"};
  auto with = [&](std::vector<std::string> args) {
    args.insert(args.end(), logs.begin(), logs.end());
    return backflow.run(args);
  };
  std::vector<std::pair<std::string, process_result>> outputs;
  outputs.emplace_back("validate", with({"validate", good}));
  outputs.emplace_back("plan", with({"plan", good, "--state", backflow.state_dir}));
  outputs.emplace_back("run", with({"run", good, "--state", backflow.state_dir, "--json"}));
  BOOST_TEST(outputs.back().second.exit_code == 0, outputs.back().second.err);
  outputs.emplace_back("validate refused", with({"validate", bad}));
  outputs.emplace_back("run refused", with({"run", bad, "--state", backflow.state_dir, "--json"}));
  BOOST_TEST(outputs.back().second.exit_code == 2, outputs.back().second.out << outputs.back().second.err);
  BOOST_TEST((outputs.back().second.out + outputs.back().second.err).find("ER_ACCESS_DENIED_ERROR") !=
             std::string::npos);
  outputs.emplace_back("status", with({"status", "--state", backflow.state_dir, "--json"}));
  for (const auto& [what, out] : outputs)
    for (const auto& secret : {password, wrong})
      BOOST_TEST((out.out + out.err).find(secret) == std::string::npos, what << " shows it");
  for (const auto& entry : std::filesystem::recursive_directory_iterator(backflow.state_dir))
    if (entry.is_regular_file())
      BOOST_TEST(file_text(entry.path()).find(password) == std::string::npos, entry.path());
}

BOOST_AUTO_TEST_SUITE_END()  // e2e_secrets
