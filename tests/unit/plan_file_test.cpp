// The reviewable plan file's format: written and read as a stream; an edited, cut or extended
// file is refused by its trailer's SHA-256; a plan that stopped half-way leaves no file.
#include <boost/test/unit_test.hpp>

#include <filesystem>

#include "pipelines/core/crypto.hpp"
#include "pipelines/sync/plan_file.hpp"
#include "state/plan_import.hpp"
#include "tests/support/temp_dir.hpp"

using namespace backflow;
using backflow::testing::read_file;
using backflow::testing::temp_dir;
using backflow::testing::write_file;
using nlohmann::json;

BOOST_AUTO_TEST_SUITE(plan_file)

namespace {

const json header = {{"format", "backflow-plan"}, {"version", 1}, {"sync", "s"}};
const std::vector<json> records = {
    {{"key", "zoë+名前@example.com"}, {"op", "upsert"}, {"fields", {{"big", 9007199254740993ULL}}}},
    {{"key", "a,b|c\td"}, {"op", "upsert"}, {"fields", {{"name", ""}, {"note", nullptr}}}},
    {{"key", "gone@example.com"}, {"op", "remove"}}};

std::string write_plan(const temp_dir& dir) {
  auto path = dir.file("plan.jsonl");
  plan_file_writer w(path);
  BOOST_REQUIRE(w.line(header).ok());
  for (const auto& r : records)
    BOOST_REQUIRE(w.line(r).ok());
  BOOST_TEST(!std::filesystem::exists(path));  // not a plan until finished
  BOOST_REQUIRE(w.finish().ok());
  BOOST_TEST(w.records() == 3u);
  return path;
}

std::string verify_error(const std::string& path) {
  auto file = plan_file_reader::open(path);
  BOOST_REQUIRE(file.ok());
  auto digest = file->verify();
  return digest ? std::string() : digest.error().message;
}

}  // namespace

BOOST_AUTO_TEST_CASE(a_written_plan_reads_back_in_order_with_its_sha256) {
  temp_dir dir;
  auto path = write_plan(dir);
  auto text = read_file(path);
  auto file = plan_file_reader::open(path);
  BOOST_REQUIRE(file.ok());
  BOOST_TEST(file->header() == header);
  auto digest = file->verify();
  BOOST_REQUIRE(digest.ok());
  // The trailer's digest is the SHA-256 of every byte before it (sha256sum of those lines).
  auto body = text.substr(0, text.rfind("{\"end\""));
  BOOST_TEST(*digest == sha256_hex(body));
  std::vector<json> got;
  auto listed = file->each_record([&](uint64_t, const json& line) -> status {
    got.push_back(line);
    return {};
  });
  BOOST_TEST(listed.ok());
  BOOST_TEST(got == records);
  BOOST_TEST(got[0]["fields"]["big"].dump() == "9007199254740993");
}

BOOST_AUTO_TEST_CASE(an_edited_cut_or_extended_plan_is_refused) {
  temp_dir dir;
  auto path = write_plan(dir);
  const auto text = read_file(path);
  auto at = text.find("9007199254740993");
  write_file(path, text.substr(0, at) + "9007199254740992" + text.substr(at + 16));
  BOOST_TEST(verify_error(path).find("edited since it was written") != std::string::npos);
  write_file(path, text.substr(0, text.size() - 1));  // the trailer's newline
  BOOST_TEST(verify_error(path).find("cut short") != std::string::npos);
  auto trailer = text.rfind("{\"end\"");
  write_file(path, text.substr(0, trailer));  // no trailer at all
  BOOST_TEST(verify_error(path).find("without its trailer") != std::string::npos);
  write_file(path, text + records[0].dump() + "\n");
  BOOST_TEST(verify_error(path).find("lines after its trailer") != std::string::npos);
  // A record dropped, the trailer's digest recomputed: the count still gives it away.
  auto second = text.find('\n', text.find('\n') + 1) + 1;
  auto third = text.find('\n', second) + 1;
  auto shorter = text.substr(0, second) + text.substr(third, trailer - third);
  json end = {{"end", {{"records", 3}, {"sha256", sha256_hex(shorter)}}}};
  write_file(path, shorter + end.dump() + "\n");
  BOOST_TEST(verify_error(path).find("lists 2 records, its trailer says 3") != std::string::npos);
  write_file(path, "{\"format\":\"something else\"}\n");
  BOOST_TEST(!plan_file_reader::open(path).ok());
}

BOOST_AUTO_TEST_CASE(a_plan_stopped_half_way_leaves_no_file) {
  temp_dir dir;
  auto path = dir.file("plan.jsonl");
  {
    plan_file_writer w(path);
    BOOST_REQUIRE(w.line(header).ok());
    BOOST_TEST(std::filesystem::exists(path + ".partial"));
  }
  BOOST_TEST(!std::filesystem::exists(path));
  BOOST_TEST(!std::filesystem::exists(path + ".partial"));
}

BOOST_AUTO_TEST_CASE(a_moved_state_is_named_and_positions_round_trip) {
  state::state_position then;
  then.last_run_id = 7;
  then.keys = 100;
  then.committed_fingerprint = 0xfedcba9876543210ULL;  // past 2^53: kept exact as hex
  auto read = state::state_position::from_json(json::parse(then.to_json().dump()));
  BOOST_REQUIRE(read.has_value());
  BOOST_TEST(read->moved(then).empty());
  BOOST_TEST(read->committed_fingerprint == then.committed_fingerprint);
  auto now = then;
  now.last_run_id = 8;
  now.keys = 0;
  auto moved = then.moved(now);
  BOOST_REQUIRE_EQUAL(moved.size(), 2u);
  BOOST_TEST(moved[0] == "run 8 started since the plan (it was made after run 7)");
  BOOST_TEST(moved[1] == "synced keys went from 100 to 0");
  BOOST_TEST(!state::state_position::from_json(json{{"keys", "x"}}).has_value());
}

BOOST_AUTO_TEST_SUITE_END()  // plan_file
