// Meta custom audiences under test: what the conformance suite, the oracle and the fault matrix
// know of them. What an audience must hold comes from docs/connectors/meta_audience.md (Custom
// Audiences) and the README: exactly one member per distinct identity of the model's rows, an
// identity being each mapped Meta key's value normalised by Meta's rules and SHA-256 hashed to
// lowercase hex, empty values left out; a row without any value is no member. The normaliser
// below knows only the values the oracle generates (values.hpp's hand-written tables and ASCII
// patterns), and the hash comes straight from OpenSSL.
#include <openssl/evp.h>

#include <stdexcept>

#include "pipelines/core/crypto.hpp"
#include "tests/destinations/test_destination.hpp"
#include "tests/oracle/expected.hpp"
#include "tests/oracle/values.hpp"

namespace backflow::oracle::meta_contract {
namespace {

std::string sha256_hex(const std::string& text) {
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

const std::string* lookup(const std::vector<normalised_pair>& table, const std::string& raw) {
  for (const auto& p : table)
    if (p.raw == raw)
      return &p.normalised;
  return nullptr;
}

bool ascii(const std::string& text) {
  for (unsigned char c : text)
    if (c >= 0x80)
      return false;
  return true;
}

/// EMAIL: trim, lowercase. The oracle writes e-mails as NAME.SERIAL@DOMAIN where NAME is ASCII
/// or a name of the hand-written tables without punctuation (its normal form is its lowercase).
std::string email(const std::string& raw) {
  auto first = raw.find_first_not_of(' ');
  auto last = raw.find_last_not_of(' ');
  std::string text = first == std::string::npos ? "" : raw.substr(first, last - first + 1);
  const auto dot = text.find('.');
  std::string out;
  std::string rest = text;
  if (dot != std::string::npos && !ascii(text.substr(0, dot))) {
    const auto* known = lookup(hostile_names(), text.substr(0, dot));
    if (known == nullptr || text.substr(0, dot).find('\'') != std::string::npos)
      throw std::logic_error("oracle: no hand-written normal form for e-mail " + raw);
    out = *known;
    rest = text.substr(dot);
  }
  if (!ascii(rest))
    throw std::logic_error("oracle: no hand-written normal form for e-mail " + raw);
  for (auto c : rest)
    out.push_back(c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c);
  return out;
}

/// FN, LN: lowercase, no punctuation (from the tables only).
std::string name(const std::string& raw) {
  if (const auto* known = lookup(plain_names(), raw))
    return *known;
  if (const auto* known = lookup(hostile_names(), raw))
    return *known;
  throw std::logic_error("oracle: no hand-written normal form for name " + raw);
}

/// PHONE: digits only, no leading zeros.
std::string phone(const std::string& raw) {
  std::string digits;
  for (char c : raw)
    if (c >= '0' && c <= '9' && !(digits.empty() && c == '0'))
      digits.push_back(c);
  return digits;
}

std::string normalise(const std::string& meta_key, const cell& value) {
  if (value.type == cell::kind::null || value.text.empty())
    return {};
  if (meta_key == "EMAIL")
    return email(value.text);
  if (meta_key == "FN" || meta_key == "LN")
    return name(value.text);
  if (meta_key == "PHONE")
    return phone(value.text);
  throw std::logic_error("oracle: the oracle does not generate values for Meta key " + meta_key);
}

}  // namespace

expected_state expected_meta(const model_view& model) {
  expected_state out;
  for (const auto& r : model.rows) {
    nlohmann::json identity = nlohmann::json::object();
    std::string values;
    for (const auto& m : model.setup.mapping) {
      auto normal = normalise(m.to, r.at(m.from));
      if (normal.empty())
        continue;
      identity[m.to] = sha256_hex(normal);
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

held_state held_meta(testing::emulator_process& emulator) {
  held_state out;
  auto audiences = emulator.control_get("records")["audiences"];
  for (const auto& [id, audience] : audiences.items())
    for (const auto& m : audience["members"]) {
      held_record h;
      h.fields = m["identity"];
      h.live = m["member"].get<bool>();
      out.by_key[m["identity"].dump()].push_back(std::move(h));
    }
  return out;
}

std::vector<sent_value> sent_meta(const nlohmann::json&) {
  return {};
}

}  // namespace backflow::oracle::meta_contract

namespace backflow::testing {
namespace meta_parts {

using nlohmann::json;

const std::string audience = "23850000000000001";

// -- conformance -------------------------------------------------------------------------------

destination_adapter conformance() {
  destination_adapter a;
  a.type = "meta_audience";
  a.mode = "audience";
  a.sync = [](const contacts_model& model, emulator_process& emu) {
    // Members are matched on email; the planted bad row has no email to match on.
    auto source = model.source_selecting(
        "email, CASE WHEN tier = 'invalid-tier' THEN NULL ELSE email END AS member_email, "
        "CASE WHEN tier = 'invalid-tier' THEN NULL ELSE first_name END AS member_fn");
    return json{{"name", "contacts_to_meta"},
                {"source", source},
                {"destination",
                 {{"type", "meta_audience"},
                  {"endpoint", emu.url()},
                  {"token", "emulator-token"},
                  {"audience_id", audience}}},
                {"mode", "audience"},
                {"mapping",
                 {{{"from", "member_email"}, {"to", "EMAIL"}},
                  {{"from", "member_fn"}, {"to", "FN"}}}},
                {"delivery", conformance_retries}};
  };
  a.live = [](emulator_process& emu) {
    std::map<std::string, json> out;
    auto audiences = emu.control_get("records")["audiences"];
    for (auto& m : audiences[audience]["members"])
      if (m.value("member", false))
        out[m["identity"].value("EMAIL", "")] = m["identity"];
    return out;
  };
  a.key_of = [](const std::string& email) { return backflow::sha256_hex(email); };
  a.score_of = [](const json&) { return std::nullopt; };  // members carry identifiers only
  a.created_twice = [](emulator_process&) { return std::string(); };  // a set: adds are harmless
  a.write_match = {{"method", "POST"}, {"path_contains", "/users"}};
  a.change = [](contacts_model& model, const std::vector<int>& rows) {
    std::string emails;
    for (int i : rows)
      emails += (emails.empty() ? "'" : ",'") + email_of(i) + "'";
    model.exec("UPDATE " + model.table() + " SET first_name = first_name || ' Jr' WHERE email IN (" +
               emails + ")");
  };
  a.records_per_change = 2;  // a new FN is a new identity: the old one is removed first
  return a;
}

// -- oracle ------------------------------------------------------------------------------------

oracle::profile oracle_profile() {
  oracle::profile p;
  p.name = "meta";
  p.emulator = "meta";
  p.modes = {"audience"};
  p.api_path = "/users";
  p.long_keys = true;
  p.audience = true;
  p.expected = oracle::meta_contract::expected_meta;
  p.held = oracle::meta_contract::held_meta;
  p.sent = oracle::meta_contract::sent_meta;
  p.destination_at = [](const std::string& url) {
    return json{{"type", "meta_audience"},
                {"endpoint", url},
                {"token", "emulator-token"},
                {"audience_id", audience},
                {"batch_size", 50}};
  };
  p.fields = {{"email", "EMAIL"}, {"fn", "FN"}, {"ln", "LN"}, {"phone", "PHONE"}};
  return p;
}

// -- fault matrix ------------------------------------------------------------------------------

using faults::fault_row;

json meta_error(int code, int subcode, const std::string& message) {
  return {{"error", {{"message", message}, {"type", "OAuthException"}, {"code", code},
                     {"error_subcode", subcode}, {"fbtrace_id", "FaultMatrix"}}}};
}

std::string meta_usage(int call_count, int regain_minutes) {
  json usage = {{"type", "CUSTOM_AUDIENCE"}, {"call_count", call_count},
                {"total_cputime", call_count}, {"total_time", call_count},
                {"estimated_time_to_regain_access", regain_minutes}};
  return json{{"act_1", json::array({usage})}}.dump();
}

/// Meta's own rows: throttling is a 400 with a code and X-Business-Use-Case-Usage, never a
/// Retry-After; its error codes; a cut answer on the last batch.
std::vector<fault_row> fault_rows() {
  using namespace faults;
  const std::string m = "meta_audience";
  return {
    fault_row{"throttled: code 80003 + usage header", m,
              {{{"nth", 2}, {"status", 400},
                {"headers", {{"X-Business-Use-Case-Usage", meta_usage(100, 30)}}},
                {"body", meta_error(80003, 2446079, "(#80003) There have been too many calls to "
                                                    "this ad-account.")}}},
              stops(10, 0, 2)}
        .resumed_next_day().says("80003"),
    fault_row{"throttled: code 17, no header", m,
              {{{"nth", 2}, {"status", 400},
                {"body", meta_error(17, 2446079, "(#17) User request limit reached")}}},
              stops(10, 0, 2)}
        .resumed_next_day().says("Meta error 17"),
    fault_row{"usage header on a success: regain in 20 min", m,
              {{{"nth", 2}, {"headers", {{"X-Business-Use-Case-Usage", meta_usage(100, 20)}}}}},
              stops(20, 0, 2)}
        .resumed_next_day().says("pause"),
    {"code 2650 (transient)", m,
     {{{"nth", 2}, {"status", 400},
       {"body", meta_error(2650, 1870053, "Failed to update the custom audience")}}},
     finishes(10, 6)},
    {"reset mid-body on the last batch", m,
     {{{"nth", 5}, {"drop", true}, {"apply", true}}}, finishes(10, 6)},
    {"malformed JSON 200", m,
     {{{"nth", 2}, {"status", 200}, {"apply", true}, {"body", "{\"audience_id\":"}}},
     finishes(10, 6)},
    fault_row{"token invalid mid-run (code 190)", m,
              {{{"nth", 3}, {"count", 100}, {"status", 400},
                {"body", meta_error(190, 463, "Error validating access token: Session has "
                                              "expired")}}},
              stops(20, 0, 3)}
        .says("190"),
    fault_row{"deletes: throttled (code 80003)", m,
              {{{"nth", 2}, {"status", 400},
                {"body", meta_error(80003, 2446079, "(#80003) There have been too many calls to "
                                                    "this ad-account.")}}},
              deletes_stop(10, 2)}
        .deleting(deletes).resumed_next_day().says("80003"),
  };
}

faults::destination_faults fault_view() {
  faults::destination_faults f;
  f.emulator = "meta";
  f.api_path = "/users";
  f.delete_mode = "audience";  // members leave the audience in its one mode
  f.keeps_scores = false;
  f.server_error_body = meta_error(2, 0, "An unexpected error has occurred.");
  f.sync = [](const contacts_model& model, const std::string& base) {
    return json{{"name", "members_to_meta"},
                {"source", model.source()},
                {"destination",
                 {{"type", "meta_audience"}, {"endpoint", base}, {"token", "emulator-token"},
                  {"audience_id", audience}}},
                {"mode", "audience"},
                {"mapping", {{{"from", "email"}, {"to", "EMAIL"}}}}};
  };
  f.held = [](emulator_process& emu) {
    std::map<std::string, std::string> by_hash;
    for (int i = faults::first_row; i < faults::first_row + faults::rows; ++i)
      by_hash[backflow::sha256_hex(email_of(i))] = email_of(i);
    std::map<std::string, faults::held_record> out;
    auto records = emu.control_get("records");  // kept: the loop below reads into it
    for (auto& m : records["audiences"][audience]["members"]) {
      auto hash = m["identity"].value("EMAIL", "");  // {"EMAIL": "<sha256>"}
      if (m["member"].get<bool>())
        out[by_hash.count(hash) ? by_hash[hash] : hash].created += 1;
    }
    return out;
  };
  f.rows = fault_rows;
  return f;
}

}  // namespace meta_parts

test_destination meta_audience_tests() {
  return {"meta_audience", meta_parts::conformance(), {meta_parts::oracle_profile()},
          meta_parts::fault_view()};
}

}  // namespace backflow::testing
