// In-process tests of the emulator registry and the command line built from it.
#include <boost/test/unit_test.hpp>

#include <set>

#include "emulators/emulator_cli.hpp"
#include "emulators/registry.hpp"

using namespace backflow::emulators;

BOOST_AUTO_TEST_SUITE(registry)

namespace {

/// Parses a command line given as words (argv[0] added).
backflow::result<emulator_cli> parse(std::vector<std::string> words) {
  words.insert(words.begin(), "backflow-emulator");
  std::vector<const char*> argv;
  for (const auto& w : words)
    argv.push_back(w.c_str());
  return parse_emulator_cli(static_cast<int>(argv.size()), argv.data());
}

}  // namespace

BOOST_AUTO_TEST_CASE(every_entry_makes_the_emulator_it_names) {
  std::set<std::string> names;
  BOOST_TEST(emulator_types().size() >= 4u);
  for (const auto& t : emulator_types()) {
    BOOST_TEST_CONTEXT(t.name) {
      BOOST_TEST(names.insert(t.name).second, "a second entry named " << t.name);
      BOOST_TEST(!t.summary.empty());
      BOOST_TEST(t.destinations.size() + t.sources.size() > 0u, "stands in for nothing");
      auto made = t.make(emulator_settings{});
      BOOST_REQUIRE_MESSAGE(static_cast<bool>(made), "its defaults must make an emulator");
      BOOST_TEST((*made)->name() == t.name);
      auto initial = t.initial;
      for (const auto& key : t.limit_keys())
        BOOST_TEST(limit_field(initial, key) != nullptr, "unknown limit key " << key);
      BOOST_TEST(find_emulator_type(t.name) == &t);
      for (const auto& d : t.destinations)
        BOOST_TEST(find_emulator_for(d) == &t);
    }
  }
  BOOST_TEST(find_emulator_type("nope") == nullptr);
  BOOST_TEST(find_emulator_for("meta_audience")->name == "meta");
}

BOOST_AUTO_TEST_CASE(the_usage_text_lists_every_emulator_and_its_options) {
  const auto usage = emulator_usage();
  for (const auto& t : emulator_types()) {
    BOOST_TEST(usage.find("  " + t.name + " ") != std::string::npos, t.name);
    BOOST_TEST(usage.find(t.summary) != std::string::npos, t.name);
    for (const auto& o : t.options)
      BOOST_TEST(usage.find(o.help) != std::string::npos, t.name << " " << o.flag);
    for (const auto& l : t.own_limits)
      BOOST_TEST(usage.find(l.help) != std::string::npos, t.name << " " << l.key);
  }
  BOOST_TEST(usage.find("--per-10s N") != std::string::npos);
  BOOST_TEST(usage.find("(default 190)") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(options_and_limits_reach_the_server_and_the_factory) {
  auto cli = parse({"hubspot", "--per-10s", "7", "--latency-ms=3", "--port", "0", "--verbose",
                    "--token", "t0k"});
  BOOST_REQUIRE_MESSAGE(static_cast<bool>(cli), (cli ? std::string() : cli.error().message));
  BOOST_TEST(cli->type->name == "hubspot");
  BOOST_TEST(cli->server.initial.per_10s == 7);
  BOOST_TEST(cli->server.initial.latency_ms == 3);
  BOOST_TEST(cli->server.initial.daily == 1'000'000);  // the entry's default stays
  BOOST_TEST(cli->server.verbose);
  BOOST_TEST((cli->server.limit_keys == std::vector<std::string>{"latency_ms", "per_10s", "daily"}));
  BOOST_TEST(cli->vendor->name() == "hubspot");
  BOOST_TEST(static_cast<bool>(parse({"meta", "--audience", "1", "--audience", "2"})));
}

BOOST_AUTO_TEST_CASE(a_bad_command_line_is_named) {
  auto message = [](std::vector<std::string> words) {
    auto r = parse(std::move(words));
    return r ? std::string("(accepted)") : r.error().message;
  };
  BOOST_TEST(message({}) == "missing emulator name");
  BOOST_TEST(message({"--help"}).empty());
  BOOST_TEST(message({"hubspot", "-h"}).empty());
  // Every registered emulator, in the registry's order (the first four are the originals).
  std::string names;
  for (const auto& t : emulator_types())
    names += (names.empty() ? "" : "|") + t.name;
  BOOST_TEST(names.rfind("hubspot|salesforce|meta|webhook|", 0) == 0, names);
  BOOST_TEST(message({"nope"}) == "unknown emulator 'nope' (expected " + names + ")");
  auto per_10s = message({"webhook", "--per-10s", "5"});
  BOOST_TEST(per_10s.rfind("--per-10s applies to these emulators only: hubspot", 0) == 0, per_10s);
  BOOST_TEST(per_10s.find("webhook") == std::string::npos, per_10s);
  auto token = message({"webhook", "--token", "x"});
  BOOST_TEST(token.rfind("--token applies to these emulators only: hubspot, salesforce, meta", 0) == 0,
             token);
  for (const char* takes_token : {"snowflake", "bigquery", "databricks"})
    BOOST_TEST(token.find(takes_token) != std::string::npos, token);
  BOOST_TEST(message({"hubspot", "--bogus", "1"}) == "unknown option: --bogus");
  BOOST_TEST(message({"hubspot", "--daily"}) == "missing value for --daily");
  BOOST_TEST(message({"hubspot", "--daily", "-1"}) ==
             "--daily needs a non-negative integer, got '-1'");
  BOOST_TEST(message({"hubspot", "--port", "70000"}) == "value out of range for --port: 70000");
  BOOST_TEST(message({"meta", "--audience", "a b"}) ==
             "--audience needs an id of digits (or letters, '_'), got 'a b'");
  BOOST_TEST(message({"webhook", "--secret", "whsec_!!"}).rfind("--secret: ", 0) == 0);
}

BOOST_AUTO_TEST_CASE(the_list_names_each_emulator_with_its_destinations) {
  auto list = nlohmann::json::parse(emulator_list_json());
  BOOST_REQUIRE(list.size() == emulator_types().size());
  BOOST_TEST(list[2]["name"] == "meta");
  BOOST_TEST(list[2]["destinations"] == nlohmann::json::array({"meta_audience"}));
  BOOST_TEST(!list[2]["summary"].get<std::string>().empty());
}

BOOST_AUTO_TEST_SUITE_END()  // registry
