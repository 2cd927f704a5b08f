// Iterable under test: what the conformance suite, the oracle and the fault matrix know of it.
// The oracle's expectation comes from docs/connectors/iterable.md (users/bulkUpdate, lists
// subscribe and unsubscribe) and the README, never from the connector: one user per key (the
// email: trimmed, lowercased), each mapped field in its dataFields as sent: text as text (""
// stays ""), numbers as numbers, NULL as null. Fields merge: one no longer mapped stays on the
// profile, so other fields are not checked. In audience mode a user is held while it is on the
// sync's list, and taken off it once its row left the model (the profile itself stays); in
// mirror mode a user whose row left is deleted.
#include "tests/destinations/test_destination.hpp"
#include "tests/oracle/exact_json.hpp"
#include "tests/oracle/expected.hpp"

namespace backflow::oracle::iterable_contract {
namespace {

constexpr int list_id = 7;  // the static list the audience profile's syncs fill

want iterable_field(const cell& value, const std::string& type) {
  if (value.type == cell::kind::null)
    return want::null();
  if (type == "string")
    return want::exact_text(value.text);
  if (type == "number" || value.type != cell::kind::text)
    return want::number(value.text);
  return want::exact_text(value.text);
}

/// Every user the emulator holds by email; live: always (`on_list` 0) or while on that list.
held_state held_users(testing::emulator_process& emulator, int on_list) {
  held_state out;
  const auto all = emulator.control_get("records");
  for (const auto& r : all["records"]) {
    if (!r.contains("email"))
      continue;
    held_record h;
    h.fields = r["dataFields"];
    h.live = on_list == 0 && !r["deleted"].get<bool>();
    for (const auto& l : r["lists"])
      h.live = h.live || l.get<int>() == on_list;
    out.by_key[r["email"].get<std::string>()].push_back(std::move(h));
  }
  return out;
}

}  // namespace

expected_state expected_iterable(const model_view& model) {
  return records_by_key(model, iterable_field);
}

held_state held_iterable(testing::emulator_process& emulator) {
  return held_users(emulator, 0);
}

held_state held_iterable_list(testing::emulator_process& emulator) {
  return held_users(emulator, list_id);
}

std::vector<sent_value> sent_iterable(const nlohmann::json& request) {
  std::vector<sent_value> out;
  auto body = parse_exact(request.value("body", ""));
  for (const char* array : {"users", "subscribers"}) {
    if (!body.is_object() || !body.contains(array) || !body[array].is_array())
      continue;
    for (const auto& user : body[array]) {
      if (!user.is_object() || !user.contains("email") || !user["email"].is_string() ||
          !user.contains("dataFields") || !user["dataFields"].is_object())
        continue;
      const auto key = user["email"].get<std::string>();
      for (const auto& [name, value] : user["dataFields"].items())
        out.push_back({key, name, value});
    }
  }
  return out;
}

}  // namespace backflow::oracle::iterable_contract

namespace backflow::testing {
namespace iterable_parts {

using nlohmann::json;
constexpr int list_id = 7;

json iterable_at(const std::string& url) {
  return {{"type", "iterable"},
          {"endpoint", url},
          {"api_key", "emulator-key"},
          {"list_id", list_id},
          {"rate_limit", {{"per_second", 0}, {"lists_per_second", 0}}}};
}

/// An Iterable sync of a contacts model: users by email, score as a number.
json iterable_sync(const contacts_model& model, const std::string& endpoint,
                   const std::string& mode = "upsert") {
  return {{"name", "contacts_to_iterable"},
          {"source", model.source()},
          {"destination", iterable_at(endpoint)},
          {"mode", mode},
          {"mapping",
           {{{"from", "first_name"}, {"to", "firstName"}},
            {{"from", "score"}, {"to", "score"}, {"type", "number"}},
            {{"from", "tier"}, {"to", "tier"}}}},
          {"delivery", {{"retry_initial", "50ms"}, {"retry_max", "2s"}}}};
}

/// The users of the sync's list, by email.
std::map<std::string, json> list_members(emulator_process& emu) {
  std::map<std::string, json> out;
  for (auto& r : emu.records())
    for (const auto& l : r["lists"])
      if (l.get<int>() == list_id && r.contains("email"))
        out[r["email"].get<std::string>()] = r["dataFields"];
  return out;
}

// -- conformance -------------------------------------------------------------------------------

destination_adapter conformance() {
  destination_adapter a;
  a.type = "iterable";
  a.emulator_args = {"--per-second", "0"};
  a.mode = "audience";  // the list's members: subscribed, changed, unsubscribed
  a.sync = [](const contacts_model& model, emulator_process& emu) {
    auto sync = iterable_sync(model, emu.url(), "audience");
    sync["delivery"] = conformance_retries;
    return sync;
  };
  a.live = list_members;
  a.key_of = [](const std::string& email) { return email; };
  a.score_of = [](const json& fields) { return number_of(fields.value("score", json())); };
  a.created_twice = [](emulator_process& emu) {
    for (auto& r : emu.records())
      if (r["creations"].get<int>() > 1)
        return r.dump();
    return std::string();
  };
  a.write_match = {{"method", "POST"}, {"path_contains", "/api/lists/"}};
  return a;  // the planted row "not-an-email" is named in the answer's invalidEmails
}

// -- oracle ------------------------------------------------------------------------------------

oracle::profile oracle_profile(bool lists) {
  oracle::profile p;
  p.name = lists ? "iterable_lists" : "iterable";
  p.emulator = "iterable";
  if (lists)
    p.modes = {"audience"};
  else
    p.modes = {"upsert", "mirror"};
  p.api_path = "/api/";
  p.email_keys = true;
  p.implicit_mapping = true;
  p.expected = oracle::iterable_contract::expected_iterable;
  p.held = lists ? oracle::iterable_contract::held_iterable_list
                 : oracle::iterable_contract::held_iterable;
  p.sent = oracle::iterable_contract::sent_iterable;
  p.destination_at = [](const std::string& url) {
    auto d = iterable_at(url);
    d["batch_size"] = 25;
    return d;
  };
  p.emulator_options = {"--per-second", "0"};
  p.fields = {{"fn", "firstName"}, {"score", "score"}, {"big", "big"}, {"amount", "amount"},
              {"tier", "tier"},    {"note", "note"},   {"notes", "notes"},
              {"score_text", "scoreText"}};
  return p;
}

// -- fault matrix ------------------------------------------------------------------------------

using faults::fault_row;

json iterable_error(const std::string& code, const std::string& msg) {
  return {{"msg", msg}, {"code", code}, {"params", nullptr}};
}

/// A 200 answer naming user`i` in failedUpdates.`list` (and in the deprecated top-level copy
/// for invalidEmails).
json answer_naming(int i, const std::string& list) {
  json failed = {{"conflictEmails", json::array()}, {"invalidEmails", json::array()},
                 {"forgottenEmails", json::array()}, {"invalidDataEmails", json::array()},
                 {"notFoundEmails", json::array()}};
  failed[list] = {email_of(i)};
  return {{"successCount", 9}, {"failCount", 1},
          {"invalidEmails", list == "invalidEmails" ? json{email_of(i)} : json::array()},
          {"invalidUserIds", json::array()}, {"failedUpdates", failed},
          {"filteredOutFields", json::array()}};
}

/// Iterable's own rows: users named as failed in a 200 (rejected, never sent again), failures
/// counted but not named, its 429 and 401 bodies, a body over 4 MB, and an unsubscribe of a
/// user it does not know (done: the user is on no list). The other failedUpdates lists and a
/// 200 that is not JSON are read the same way: tests/unit/iterable_test.cpp has them.
std::vector<fault_row> fault_rows() {
  using namespace faults;
  const std::string it = "iterable";
  const json rate_limited = {{"status", 429},
                             {"body", iterable_error("RateLimitExceeded",
                                                     "Exceeded rate limit for endpoint: "
                                                     "/api/users/bulkUpdate, project: 1")}};
  json burst = rate_limited;
  burst["nth"] = 2;
  burst["count"] = 3;
  return {
    // The 2nd batch (user20..user29) with user23 named: only it is rejected.
    {"200 naming one user in invalidEmails", it,
     {{{"nth", 2}, {"status", 200}, {"apply", true},
       {"body", answer_naming(23, "invalidEmails")}}},
     finishes_rejecting(1, 5)},
    {"200 naming one user in failedUpdates.conflictEmails", it,
     {{{"nth", 2}, {"status", 200}, {"apply", true},
       {"body", answer_naming(23, "conflictEmails")}}},
     finishes_rejecting(1, 5)},
    // failCount 1 but no user named: which one failed is unknown, the batch goes again.
    {"200 whose failCount names no user", it,
     {{{"nth", 2}, {"status", 200}, {"apply", true},
       {"body", {{"successCount", 9}, {"failCount", 1}, {"failedUpdates", json::object()}}}}},
     finishes(10, 6)},
    {"429 burst (three in a row)", it, {burst}, finishes(30, 8)},
    // Over 4 MB: halved, both halves sent (the batch of 10 becomes two of 5).
    {"413 BatchTooLarge", it,
     {{{"nth", 2}, {"status", 413},
       {"body", iterable_error("BatchTooLarge", "Request body is larger than 4 MB")}}},
     finishes(0, 7)},
    fault_row{"401 BadApiKey mid-run", it,
              {{{"nth", 3}, {"count", 100}, {"status", 401},
                {"body", iterable_error("BadApiKey", "Invalid API key")}}},
              stops(20, 0, 3)}
        .says("BadApiKey"),
    // Audience mode: unsubscribing a user Iterable does not know (user13, in the 1st batch of
    // deletes) leaves it on no list: done, not rejected.
    // Mirror: one DELETE per user. The 2nd one is applied but its answer lost; sent again, it
    // finds no such user (400 UnknownEmailError): deleted either way, not rejected.
    fault_row{"mirror deletes: reset after the delete, then UnknownEmailError", it,
              {{{"nth", 2}, {"drop", true}, {"apply", true}}}, deletes_finish(1, deletes + 1)}
        .deleting(deletes).in_mode("mirror"),
    fault_row{"deletes: unsubscribe answers notFoundEmails", it,
              {{{"nth", 1}, {"status", 200}, {"apply", true},
                {"body", answer_naming(13, "notFoundEmails")}}},
              deletes_finish(0, 3)}
        .deleting(deletes),
  };
}

faults::destination_faults fault_view() {
  faults::destination_faults f;
  f.emulator = "iterable";
  f.emulator_args = {"--per-second", "0"};
  f.api_path = "/api/";
  // Iterable deletes users one request at a time only; the matrix's deletes are a list's
  // members leaving it (audience mode, batched like the upserts).
  f.delete_mode = "audience";
  f.server_error_body = iterable_error("GenericError", "Internal server error");
  f.rate_limit_body = iterable_error("RateLimitExceeded", "Exceeded rate limit for endpoint");
  f.sync = [](const contacts_model& model, const std::string& base) {
    return iterable_sync(model, base);
  };
  // Upsert rows hold the users; delete rows (audience mode) the list's members: a user taken
  // off the list is gone from it.
  f.held = [](emulator_process& emu) {
    std::map<std::string, faults::held_record> out;
    for (auto& r : emu.records()) {
      if (!r["deleted"].get<bool>() && (!r["lists"].empty() || r["unsubscribes"].get<int>() == 0)) {
        auto& h = out[r["email"].get<std::string>()];
        h.created += r["creations"].get<int>();
        auto score = r["dataFields"].value("score", json());
        h.score = score.is_null() ? std::string() : faults::score_text(score);
      }
    }
    return out;
  };
  f.rows = fault_rows;
  return f;
}

}  // namespace iterable_parts

test_destination iterable_tests() {
  return {"iterable", iterable_parts::conformance(),
          {iterable_parts::oracle_profile(false), iterable_parts::oracle_profile(true)},
          iterable_parts::fault_view()};
}

}  // namespace backflow::testing
