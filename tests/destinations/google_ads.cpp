// Google Ads Customer Match under test: what the conformance suite, the oracle and the fault
// matrix know of it. What a user list must hold comes from docs/connectors/google_ads.md (Google's
// Customer Match formatting rules) and the README: one member per distinct identity of the
// model's rows, an identity being each mapped identifier normalised by Google's rules (email
// trimmed and lowercased; phone E.164 with '+'; names lowercased without punctuation) and SHA-256
// hashed to lowercase hex, empty values left out; a row without any value is no member. The
// normaliser below knows only the values the oracle generates (values.hpp's hand-written tables
// and ASCII patterns), and the hash comes straight from OpenSSL.
#include <openssl/evp.h>

#include <stdexcept>

#include "pipelines/core/crypto.hpp"
#include "tests/destinations/test_destination.hpp"
#include "tests/oracle/expected.hpp"
#include "tests/oracle/values.hpp"

namespace backflow::oracle::google_ads_contract {
namespace {

std::string sha256_of(const std::string& text) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_Digest(text.data(), text.size(), digest, &length, EVP_sha256(), nullptr);
  static constexpr char hex[] = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < length; ++i) {
    out.push_back(hex[digest[i] >> 4]);
    out.push_back(hex[digest[i] & 0xf]);
  }
  return out;
}

const std::string* known_form(const std::vector<normalised_pair>& table, const std::string& raw) {
  for (const auto& p : table)
    if (p.raw == raw)
      return &p.normalised;
  return nullptr;
}

bool ascii_only(const std::string& text) {
  for (unsigned char c : text)
    if (c >= 0x80)
      return false;
  return true;
}

/// Email: trimmed, lowercased; for gmail.com and googlemail.com no periods before the '@'. The
/// oracle writes NAME.SERIAL@DOMAIN with NAME ASCII or from the hand-written tables.
std::string email(const std::string& raw) {
  auto first = raw.find_first_not_of(' ');
  auto last = raw.find_last_not_of(' ');
  std::string text = first == std::string::npos ? "" : raw.substr(first, last - first + 1);
  const auto dot = text.find('.');
  std::string out, rest = text;
  if (dot != std::string::npos && !ascii_only(text.substr(0, dot))) {
    const auto* known = known_form(hostile_names(), text.substr(0, dot));
    if (known == nullptr)
      throw std::logic_error("oracle: no hand-written normal form for e-mail " + raw);
    out = *known;
    rest = text.substr(dot);
  }
  if (!ascii_only(rest))
    throw std::logic_error("oracle: no hand-written normal form for e-mail " + raw);
  for (auto c : rest)
    out.push_back(c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c);
  auto at = out.rfind('@');
  if (at != std::string::npos &&
      (out.substr(at) == "@gmail.com" || out.substr(at) == "@googlemail.com")) {
    std::string local;
    for (char c : out.substr(0, at))
      if (c != '.')
        local.push_back(c);
    out = local + out.substr(at);
  }
  return out;
}

std::string name(const std::string& raw) {
  if (const auto* known = known_form(plain_names(), raw))
    return *known;
  if (const auto* known = known_form(hostile_names(), raw))
    return *known;
  throw std::logic_error("oracle: no hand-written normal form for name " + raw);
}

/// Phone: E.164, '+' then the digits without the international 00 or leading zeros.
std::string phone(const std::string& raw) {
  std::string digits;
  for (char c : raw)
    if (c >= '0' && c <= '9' && !(digits.empty() && c == '0'))
      digits.push_back(c);
  return digits.empty() ? "" : "+" + digits;
}

std::string normalise(const std::string& field, const cell& value) {
  if (value.type == cell::kind::null || value.text.empty())
    return {};
  if (field == "hashedEmail")
    return email(value.text);
  if (field == "hashedFirstName" || field == "hashedLastName")
    return name(value.text);
  if (field == "hashedPhoneNumber")
    return phone(value.text);
  throw std::logic_error("oracle: the oracle generates no values for " + field);
}

}  // namespace

expected_state expected_google_ads(const model_view& model) {
  expected_state out;
  for (const auto& r : model.rows) {
    nlohmann::json identity = nlohmann::json::object();
    std::string values;
    for (const auto& m : model.setup.mapping) {
      auto normal = normalise(m.to, r.at(m.from));
      if (normal.empty())
        continue;
      identity[m.to] = sha256_of(normal);
      values += (values.empty() ? "" : " ") + m.to + "=" + normal;
    }
    if (identity.empty())
      continue;
    auto& record = out[identity.dump()];
    record.origin += (record.origin.empty() ? "" : "; ") + std::string("row ") +
                     destination_key(r, model.setup.key_columns) + " (sha256 of " + values + ")";
  }
  return out;
}

held_state held_google_ads(testing::emulator_process& emulator) {
  held_state out;
  auto lists = emulator.control_get("records")["user_lists"];
  for (const auto& [id, list] : lists.items())
    for (const auto& m : list["members"]) {
      held_record h;
      h.fields = m["identity"];
      h.live = m["member"].get<bool>();
      out.by_key[m["identity"].dump()].push_back(std::move(h));
    }
  return out;
}

std::vector<sent_value> sent_google_ads(const nlohmann::json&) {
  return {};
}

}  // namespace backflow::oracle::google_ads_contract

namespace backflow::testing {
namespace google_ads_parts {

using nlohmann::json;

const std::string customer = "1234567890";
const std::string user_list = "4000000001";

json destination_at(const std::string& base) {
  return {{"type", "google_ads"},
          {"endpoint", base},
          {"token_url", base + "/token"},
          {"customer_id", "123-456-7890"},
          {"user_list_id", user_list},
          {"developer_token", "emulator-dev"},
          {"client_id", "emulator-client"},
          {"client_secret", "emulator-secret"},
          {"refresh_token", "emulator-refresh"},
          {"poll_initial", "20ms"},
          {"poll_max", "200ms"}};
}

/// The members of the list, by their hashed email.
std::map<std::string, json> members(emulator_process& emu) {
  std::map<std::string, json> out;
  auto lists = emu.control_get("records")["user_lists"];
  if (lists.contains(user_list))
    for (auto& m : lists[user_list]["members"])
      if (m.value("member", false))
        out[m["identity"].value("hashedEmail", "")] = m["identity"];
  return out;
}

// -- conformance -------------------------------------------------------------------------------

destination_adapter conformance() {
  destination_adapter a;
  a.type = "google_ads";
  a.mode = "audience";
  a.emulator_args = {"--bulk-delay-ms", "30"};  // jobs are polled once or twice
  a.sync = [](const contacts_model& model, emulator_process& emu) {
    // Members are matched on email; the planted bad row has no identifier to match on.
    auto source = model.source_selecting(
        "email, CASE WHEN tier = 'invalid-tier' THEN NULL ELSE email END AS member_email, "
        "CASE WHEN tier = 'invalid-tier' THEN NULL ELSE first_name END AS member_fn");
    return json{{"name", "contacts_to_google_ads"},
                {"source", source},
                {"destination", destination_at(emu.url())},
                {"mode", "audience"},
                {"mapping",
                 {{{"from", "member_email"}, {"to", "hashedEmail"}},
                  {{"from", "member_fn"}, {"to", "hashedFirstName"}}}},
                {"delivery", conformance_retries}};
  };
  a.live = members;
  a.key_of = [](const std::string& email) { return backflow::sha256_hex(email); };
  a.score_of = [](const json&) { return std::nullopt; };  // members carry identifiers only
  a.created_twice = [](emulator_process&) { return std::string(); };  // a set: adds are harmless
  a.write_match = {{"method", "POST"}, {"path_contains", ":addOperations"}};
  a.change = [](contacts_model& model, const std::vector<int>& rows) {
    std::string emails;
    for (int i : rows)
      emails += (emails.empty() ? "'" : ",'") + email_of(i) + "'";
    model.exec("UPDATE " + model.table() + " SET first_name = first_name || ' Jr' WHERE email IN (" +
               emails + ")");
  };
  a.records_per_change = 2;  // a new first name is a new identity: the old one is removed first
  return a;
}

// -- oracle ------------------------------------------------------------------------------------

oracle::profile oracle_profile() {
  oracle::profile p;
  p.name = "google_ads";
  p.emulator = "google_ads";
  p.modes = {"audience"};
  p.api_path = ":addOperations";
  p.long_keys = true;
  p.audience = true;
  p.expected = oracle::google_ads_contract::expected_google_ads;
  p.held = oracle::google_ads_contract::held_google_ads;
  p.sent = oracle::google_ads_contract::sent_google_ads;
  p.destination_at = [](const std::string& url) {
    auto d = destination_at(url);
    d["batch_size"] = 50;
    return d;
  };
  p.emulator_options = {"--bulk-delay-ms", "10"};
  p.fields = {{"email", "hashedEmail"}, {"fn", "hashedFirstName"}, {"ln", "hashedLastName"},
              {"phone", "hashedPhoneNumber"}};
  return p;
}

// -- fault matrix ------------------------------------------------------------------------------

using faults::fault_row;

/// Google's error envelope with one GoogleAdsFailure error.
json google_error(int code, const std::string& status, const json& error_code,
                  const std::string& message, const json& details = nullptr) {
  json e = {{"errorCode", error_code}, {"message", message}};
  if (!details.is_null())
    e["details"] = details;
  return {{"error",
           {{"code", code}, {"message", message}, {"status", status},
            {"details", json::array({{{"@type", "type.googleapis.com/google.ads.googleads.v26.errors."
                                                "GoogleAdsFailure"},
                                      {"errors", json::array({e})},
                                      {"requestId", "FaultMatrix"}}})}}}};
}

/// An addOperations answer whose partial failure names operation `index` (a malformed hash).
json partial_failure_at(int index) {
  json error = {{"errorCode", {{"offlineUserDataJobError", "INVALID_SHA256_FORMAT"}}},
                {"message", "The SHA256 encoded value is malformed."},
                {"location",
                 {{"fieldPathElements",
                   json::array({{{"fieldName", "operations"}, {"index", index}},
                                {{"fieldName", "create"}},
                                {{"fieldName", "user_identifiers"}, {"index", 0}},
                                {{"fieldName", "hashed_email"}}})}}}};
  return {{"partialFailureError",
           {{"code", 3},
            {"message", "The SHA256 encoded value is malformed., at operations[" +
                            std::to_string(index) + "].create.user_identifiers[0].hashed_email"},
            {"details", json::array({{{"@type", "type.googleapis.com/google.ads.googleads.v26."
                                                "errors.GoogleAdsFailure"},
                                      {"errors", json::array({error})}}})}}}};
}

/// Google Ads' own rows: partial failure, an operation that ends with an error, an expired
/// access token (refreshed once), RESOURCE_EXHAUSTED's retryDelay, a refused refresh token.
std::vector<fault_row> fault_rows() {
  using namespace faults;
  const std::string g = "google_ads";
  const json run_match = {{"method", "POST"}, {"path_contains", ":run"}};
  const json token_match = {{"path_contains", "/token"}};
  const json failed_operation = {
      {"name", "customers/" + customer + "/operations/9"},
      {"done", true},
      {"error", {{"code", 13}, {"message", "Internal error encountered."}}}};
  return {
    // The 2nd batch's 4th member refused inside a 200: only it is rejected.
    {"partial failure: one malformed identifier", g,
     {{{"nth", 2}, {"status", 200}, {"apply", true}, {"body", partial_failure_at(3)}}},
     finishes_rejecting(1, 15)},
    // The job's operation ends with an error: the batch goes again as a new job (3 calls).
    {"operation ends with an error", g,
     {{{"match", run_match}, {"nth", 2}, {"status", 200}, {"body", failed_operation}}},
     finishes(10, 18)},
    // An access token that expired mid-run: a new one is fetched, the request sent again.
    {"401 UNAUTHENTICATED: token refreshed once", g,
     {{{"nth", 2}, {"status", 401},
       {"body", google_error(401, "UNAUTHENTICATED", {{"authenticationError", "OAUTH_TOKEN_EXPIRED"}},
                             "Request had invalid authentication credentials.")}}},
     finishes(10, 16)},
    fault_row{"RESOURCE_EXHAUSTED with a retryDelay", g,
              {{{"nth", 2}, {"status", 429},
                {"body", google_error(429, "RESOURCE_EXHAUSTED", {{"quotaError", "RESOURCE_EXHAUSTED"}},
                                      "Too many requests. Retry in 1 seconds.",
                                      {{"quotaErrorDetails", {{"rateScope", "ACCOUNT"},
                                                              {"retryDelay", "1s"}}}})}}},
              finishes(10, 16)}
        .waits(1000),
    fault_row{"token endpoint refuses the refresh token", g,
              {{{"match", token_match}, {"count", 100}, {"status", 400},
                {"body", {{"error", "invalid_grant"}, {"error_description", "Token has been expired or revoked."}}}}},
              stops(0, 0, 0)}
        .says("invalid_grant"),
  };
}

faults::destination_faults fault_view() {
  faults::destination_faults f;
  f.emulator = "google_ads";
  f.emulator_args = {"--bulk-delay-ms", "0"};
  f.api_path = ":addOperations";
  f.delete_mode = "audience";  // members leave the list in its one mode
  f.keeps_scores = false;
  f.token_endpoint = true;
  f.calls_per_batch = 3;  // create, addOperations, run (done at once)
  f.server_error_body = google_error(503, "UNAVAILABLE", {{"internalError", "TRANSIENT_ERROR"}},
                                     "The service is currently unavailable.");
  f.rate_limit_body = google_error(429, "RESOURCE_EXHAUSTED", {{"quotaError", "RESOURCE_EXHAUSTED"}},
                                   "Too many requests.");
  f.sync = [](const contacts_model& model, const std::string& base) {
    return json{{"name", "members_to_google_ads"},
                {"source", model.source()},
                {"destination", destination_at(base)},
                {"mode", "audience"},
                {"mapping", {{{"from", "email"}, {"to", "hashedEmail"}}}}};
  };
  f.held = [](emulator_process& emu) {
    std::map<std::string, std::string> by_hash;
    for (int i = faults::first_row; i < faults::first_row + faults::rows; ++i)
      by_hash[backflow::sha256_hex(email_of(i))] = email_of(i);
    std::map<std::string, faults::held_record> out;
    for (auto& [hash, identity] : members(emu))
      out[by_hash.count(hash) ? by_hash[hash] : hash].created += 1;
    return out;
  };
  f.rows = fault_rows;
  return f;
}

}  // namespace google_ads_parts

test_destination google_ads_tests() {
  return {"google_ads", google_ads_parts::conformance(), {google_ads_parts::oracle_profile()},
          google_ads_parts::fault_view()};
}

}  // namespace backflow::testing
