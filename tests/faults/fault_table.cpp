// The fault matrix's rows (see fault_table.hpp): the vendors' documented error bodies, and each
// fault with the exact counts of the run it hits.
#include "tests/faults/fault_table.hpp"

#include "tests/e2e/e2e_support.hpp"

namespace backflow::testing::faults {
namespace {

// -- fault bodies ------------------------------------------------------------------------------

json hubspot_error(const std::string& category, const std::string& message) {
  return {{"status", "error"}, {"category", category}, {"message", message},
          {"correlationId", "fault-matrix"}};
}

json hubspot_rate_limit(const std::string& policy) {
  return {{"status", "error"}, {"errorType", "RATE_LIMIT"}, {"policyName", policy},
          {"message", "You have reached your " + policy + " limit."}};
}

/// A 207 naming only the even rows of the model: the odd ones of the batch got no result.
json hubspot_results_for_even_rows() {
  json results = json::array();
  for (int i = first_row; i < first_row + rows; i += 2)
    results.push_back({{"id", std::to_string(9000 + i)},
                       {"properties", {{"email", email_of(i)}}},
                       {"archived", false}, {"new", true}});
  return {{"status", "COMPLETE"}, {"results", results}, {"numErrors", 0},
          {"startedAt", "2024-01-01T00:00:00Z"}, {"completedAt", "2024-01-01T00:00:01Z"}};
}

/// A collections result in request order whose odd positions could not lock their row.
json salesforce_lock_failures() {
  json results = json::array();
  for (int i = 0; i < batch_size; ++i)
    if (i % 2 == 0)
      results.push_back({{"id", "003FAULT" + std::to_string(i)}, {"success", true},
                         {"errors", json::array()}, {"created", true}});
    else
      results.push_back({{"id", nullptr}, {"success", false},
                         {"errors", {{{"statusCode", "UNABLE_TO_LOCK_ROW"},
                                      {"message", "unable to obtain exclusive access to this record"},
                                      {"fields", json::array()}}}}});
  return results;
}

json salesforce_error(const std::string& code, const std::string& message) {
  return json::array({{{"errorCode", code}, {"message", message}}});
}

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

const std::string html_502 = "<html><head><title>502 Bad Gateway</title></head></html>";

// -- the table ---------------------------------------------------------------------------------

/// The 500/502/503 burst: the 2nd request's batch is answered 500, 502 (a proxy's HTML), 503, 503.
std::vector<json> server_error_burst(const json& body_503) {
  return {{{"nth", 2}, {"status", 500}},
          {{"nth", 3}, {"status", 502}, {"body", html_502},
           {"headers", {{"Content-Type", "text/html"}}}},
          {{"nth", 4}, {"count", 2}, {"status", 503}, {"body", body_503}}};
}

}  // namespace

std::vector<fault_row> fault_table() {
  const json two_attempts = {{"max_attempts", 2}};
  const json short_timeout = {{"request_timeout", "400ms"}};
  const json late = {{"nth", 2}, {"delay_ms", 1500}};  // answered after the client gave up
  const json slow = {{"count", 5}, {"delay_ms", 150}};
  const json reset_unprocessed = {{"nth", 2}, {"drop", true}};
  const json reset_mid_body = {{"nth", 2}, {"drop", true}, {"apply", true}};
  const json retry_after_1 = {{"Retry-After", "1"}};
  std::vector<fault_row> t = {
    // HubSpot
    fault_row{"connection refused", dest::hubspot, {}, {4, 0, 50, 50, 10}}
        .against_dead_port().with_delivery(two_attempts),
    {"reset before processing", dest::hubspot, {reset_unprocessed}, finishes(10, 6)},
    {"reset mid-body after processing", dest::hubspot, {reset_mid_body}, finishes(10, 6)},
    fault_row{"read timeout", dest::hubspot, {late}, finishes(10, 6)}.with_delivery(short_timeout),
    fault_row{"slow responses", dest::hubspot, {slow}, finishes(0, 5)}.waits(750),
    {"500/502/503 burst", dest::hubspot,
     server_error_burst(hubspot_error("INTERNAL_ERROR", "Service unavailable")), finishes(40, 9)},
    fault_row{"429 with Retry-After", dest::hubspot,
              {{{"nth", 2}, {"status", 429}, {"headers", retry_after_1},
                {"body", hubspot_rate_limit("TEN_SECONDLY_ROLLING")}}},
              finishes(10, 6)}
        .waits(1000),
    fault_row{"429 without Retry-After", dest::hubspot,
              {{{"nth", 2}, {"status", 429}, {"body", hubspot_rate_limit("TEN_SECONDLY_ROLLING")}}},
              finishes(10, 6)}
        .waits(1000),  // HubSpot's guidance for the rolling limit: one second
    fault_row{"429 daily limit", dest::hubspot,
              {{{"nth", 2}, {"status", 429}, {"body", hubspot_rate_limit("DAILY")}}},
              stops(10, 0, 2)}
        .resumed_next_day().says("daily limit resets at"),
    fault_row{"usage header: daily remaining 0", dest::hubspot,
              {{{"nth", 2},
                {"headers", {{"X-HubSpot-RateLimit-Daily", "250000"},
                             {"X-HubSpot-RateLimit-Daily-Remaining", "0"}}}}},
              stops(20, 0, 2)}
        .resumed_next_day().says("daily"),
    fault_row{"usage header: 2 per second", dest::hubspot,
              {{{"nth", 1},
                {"headers", {{"X-HubSpot-RateLimit-Max", "2"},
                             {"X-HubSpot-RateLimit-Remaining", "1"},
                             {"X-HubSpot-RateLimit-Interval-Milliseconds", "1000"}}}}},
              finishes(0, 5)}
        .waits(1400),  // 4 more requests at 2/s
    {"malformed JSON 200", dest::hubspot,
     {{{"nth", 2}, {"status", 200}, {"apply", true}, {"body", "<html>OK</html>"},
       {"headers", {{"Content-Type", "text/html"}}}}},
     finishes(10, 6)},
    {"truncated JSON 200", dest::hubspot,
     {{{"nth", 2}, {"status", 200}, {"apply", true},
       {"body", R"({"status":"COMPLETE","results":[{"id":"101","properties":{"email":"user2)"}}},
     finishes(10, 6)},
    fault_row{"401 mid-run", dest::hubspot,
              {{{"nth", 3}, {"count", 100}, {"status", 401},
                {"body", hubspot_error("EXPIRED_AUTHENTICATION",
                                       "The OAuth token used to make this call expired")}}},
              stops(20, 0, 3)}
        .says("EXPIRED_AUTHENTICATION"),
    fault_row{"403 mid-run", dest::hubspot,
              {{{"nth", 3}, {"count", 100}, {"status", 403},
                {"body", hubspot_error("MISSING_SCOPES", "This app hasn't been granted all "
                                                         "required scopes")}}},
              stops(20, 0, 3)}
        .says("MISSING_SCOPES"),
    fault_row{"503 outlasting the retries", dest::hubspot,
              {{{"nth", 2}, {"count", 100}, {"status", 503}}}, {4, 10, 80, 40, 13}}
        .with_delivery({{"max_attempts", 3}}),
    fault_row{"429 Retry-After longer than max_pause", dest::hubspot,
              {{{"nth", 2}, {"status", 429}, {"headers", {{"Retry-After", "3600"}}},
                {"body", hubspot_rate_limit("TEN_SECONDLY_ROLLING")}}},
              stops(10, 0, 2)}
        .resumed_next_day().says("paused"),
    fault_row{"401 on the last request", dest::hubspot,
              {{{"nth", 5}, {"status", 401},
                {"body", hubspot_error("INVALID_AUTHENTICATION", "Authentication credentials not "
                                                                 "found.")}}},
              stops(40, 0, 5)}
        .says("INVALID_AUTHENTICATION"),
    fault_row{"read timeout on the last request", dest::hubspot, {{{"nth", 5}, {"delay_ms", 1500}}},
              finishes(10, 6)}
        .with_delivery(short_timeout),
    // Insert mode never re-sends a create blindly: the batch is looked up (batch/read) first.
    fault_row{"insert mode: reset mid-body after processing", dest::hubspot, {reset_mid_body},
              finishes(10, 6)}  // the lookup finds the batch: no second create
        .in_mode("insert"),
    fault_row{"insert mode: reset before processing", dest::hubspot, {reset_unprocessed},
              finishes(10, 7)}  // the lookup finds nothing: created now
        .in_mode("insert"),
    fault_row{"insert mode: read timeout (the create lands late)", dest::hubspot, {late},
              finishes(10, 7)}  // looked up before it lands, so created again: HubSpot's
        .in_mode("insert")       // unique email turns the late one into a conflict
        .with_delivery(short_timeout),
    // Four requests in flight: the 2nd, 3rd and 4th are all faulted at once.
    fault_row{"reset mid-body x3, 4 in flight", dest::hubspot,
              {{{"nth", 2}, {"count", 3}, {"drop", true}, {"apply", true}}}, finishes(30, 8)}
        .with_delivery({{"concurrency", 4}}),
    fault_row{"read timeout x3, 4 in flight", dest::hubspot,
              {{{"nth", 2}, {"count", 3}, {"delay_ms", 1500}}}, finishes(30, 8)}
        .with_delivery({{"concurrency", 4}, {"request_timeout", "400ms"}}),
    fault_row{"401 mid-run, 4 in flight", dest::hubspot,
              {{{"nth", 3}, {"count", 100}, {"status", 401},
                {"body", hubspot_error("EXPIRED_AUTHENTICATION",
                                       "The OAuth token used to make this call expired")}}},
              stops(20, 0, -1)}  // the 5th request may go out before the 3rd's 401 is read
        .with_delivery({{"concurrency", 4}})
        .says("EXPIRED_AUTHENTICATION"),
    {"207 partial results", dest::hubspot,
     {{{"nth", 2}, {"status", 207}, {"apply", true}, {"body", hubspot_results_for_even_rows()}}},
     finishes(5, 6)},

    // Generic webhook: 2xx delivers the batch whatever the body; the webhook-id makes retries
    // harmless to the receiver.
    fault_row{"connection refused", dest::webhook, {}, {4, 0, 50, 50, 10}}
        .against_dead_port().with_delivery(two_attempts),
    {"reset before processing", dest::webhook, {reset_unprocessed}, finishes(10, 6)},
    fault_row{"reset mid-body after processing", dest::webhook, {reset_mid_body}, finishes(10, 6)}
        .seen_again(1),
    fault_row{"read timeout", dest::webhook, {late}, finishes(10, 6)}
        .with_delivery(short_timeout).seen_again(1),
    fault_row{"read timeout x3, 4 in flight", dest::webhook,
              {{{"nth", 2}, {"count", 3}, {"delay_ms", 1500}}}, finishes(30, 8)}
        .with_delivery({{"concurrency", 4}, {"request_timeout", "400ms"}}).seen_again(3),
    fault_row{"slow responses", dest::webhook, {slow}, finishes(0, 5)}.waits(750),
    {"500/502/503 burst", dest::webhook, server_error_burst({{"error", "unavailable"}}),
     finishes(40, 9)},
    fault_row{"429 with Retry-After", dest::webhook,
              {{{"nth", 2}, {"status", 429}, {"headers", retry_after_1}}}, finishes(10, 6)}
        .waits(1000),
    {"429 without Retry-After", dest::webhook, {{{"nth", 2}, {"status", 429}}}, finishes(10, 6)},
    {"malformed JSON 200", dest::webhook,
     {{{"nth", 2}, {"status", 200}, {"apply", true}, {"body", "{\"received\":"}}},
     finishes(0, 5)},
    {"408 then 504", dest::webhook,
     {{{"nth", 2}, {"status", 408}}, {{"nth", 3}, {"status", 504}}}, finishes(20, 7)},
    fault_row{"503 with Retry-After", dest::webhook,
              {{{"nth", 2}, {"status", 503}, {"headers", retry_after_1}}}, finishes(10, 6)}
        .waits(1000),
    fault_row{"401 mid-run", dest::webhook,
              {{{"nth", 3}, {"count", 100}, {"status", 401},
                {"body", {{"error", "invalid signature"}}}}},
              stops(20, 0, 3)}
        .says("401"),

    // Salesforce: Sforce-Limit-Info on every answer (the emulator's daily limit is 100,000).
    // Another client spends the org's calls: from the 2nd answer on, 1 call is left.
    fault_row{"usage header: 1 call left", dest::salesforce,
              {{{"nth", 2}, {"count", 100},
                {"headers", {{"Sforce-Limit-Info", "api-usage=99999/100000"}}}}},
              stops(30, 0, 3)}
        .resumed_next_day().says("daily"),
    fault_row{"usage header: limit reached from the first answer", dest::salesforce,
              {{{"count", 100}, {"headers", {{"Sforce-Limit-Info", "api-usage=100000/100000"}}}}},
              stops(10, 0, 1)}
        .resumed_next_day().says("daily"),
    fault_row{"usage header: budget spent from the first answer", dest::salesforce,
              {{{"count", 100}, {"headers", {{"Sforce-Limit-Info", "api-usage=60000/100000"}}}}},
              stops(10, 0, 1)}
        .with_destination({{"rate_limit", {{"budget", 0.5}}}})
        .resumed_next_day().says("budget"),
    fault_row{"403 REQUEST_LIMIT_EXCEEDED", dest::salesforce,
              {{{"nth", 2}, {"status", 403},
                {"body", salesforce_error("REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded.")}}},
              stops(10, 0, 2)}
        .resumed_next_day().says("REQUEST_LIMIT_EXCEEDED"),
    {"503 SERVER_UNAVAILABLE burst", dest::salesforce,
     {{{"nth", 2}, {"count", 2}, {"status", 503},
       {"body", salesforce_error("SERVER_UNAVAILABLE", "Server temporarily unavailable")}}},
     finishes(20, 7)},
    {"per-record UNABLE_TO_LOCK_ROW", dest::salesforce,
     {{{"nth", 2}, {"status", 200}, {"apply", true}, {"body", salesforce_lock_failures()}}},
     finishes(5, 6)},
    {"reset mid-body after processing", dest::salesforce, {reset_mid_body}, finishes(10, 6)},
    fault_row{"read timeout", dest::salesforce, {late}, finishes(10, 6)}
        .with_delivery(short_timeout),
    {"truncated JSON 200", dest::salesforce,
     {{{"nth", 2}, {"status", 200}, {"apply", true}, {"body", R"([{"id":"003000000000001","succ)"}}},
     finishes(10, 6)},
    fault_row{"401 INVALID_SESSION_ID mid-run", dest::salesforce,
              {{{"nth", 3}, {"count", 100}, {"status", 401},
                {"body", salesforce_error("INVALID_SESSION_ID", "Session expired or invalid")}}},
              stops(20, 0, 3)}
        .says("INVALID_SESSION_ID"),

    // Meta: throttling is a 400 with a code and X-Business-Use-Case-Usage, never a Retry-After.
    fault_row{"throttled: code 80003 + usage header", dest::meta,
              {{{"nth", 2}, {"status", 400},
                {"headers", {{"X-Business-Use-Case-Usage", meta_usage(100, 30)}}},
                {"body", meta_error(80003, 2446079, "(#80003) There have been too many calls to "
                                                    "this ad-account.")}}},
              stops(10, 0, 2)}
        .resumed_next_day().says("80003"),
    fault_row{"throttled: code 17, no header", dest::meta,
              {{{"nth", 2}, {"status", 400},
                {"body", meta_error(17, 2446079, "(#17) User request limit reached")}}},
              stops(10, 0, 2)}
        .resumed_next_day().says("Meta error 17"),
    fault_row{"usage header on a success: regain in 20 min", dest::meta,
              {{{"nth", 2}, {"headers", {{"X-Business-Use-Case-Usage", meta_usage(100, 20)}}}}},
              stops(20, 0, 2)}
        .resumed_next_day().says("pause"),
    {"code 2650 (transient)", dest::meta,
     {{{"nth", 2}, {"status", 400},
       {"body", meta_error(2650, 1870053, "Failed to update the custom audience")}}},
     finishes(10, 6)},
    {"500/502/503 burst", dest::meta,
     server_error_burst(meta_error(2, 0, "An unexpected error has occurred.")), finishes(40, 9)},
    {"reset mid-body after processing", dest::meta, {reset_mid_body}, finishes(10, 6)},
    {"reset mid-body on the last batch", dest::meta,
     {{{"nth", 5}, {"drop", true}, {"apply", true}}}, finishes(10, 6)},
    fault_row{"read timeout", dest::meta, {late}, finishes(10, 6)}.with_delivery(short_timeout),
    {"malformed JSON 200", dest::meta,
     {{{"nth", 2}, {"status", 200}, {"apply", true}, {"body", "{\"audience_id\":"}}},
     finishes(10, 6)},
    fault_row{"token invalid mid-run (code 190)", dest::meta,
              {{{"nth", 3}, {"count", 100}, {"status", 400},
                {"body", meta_error(190, 463, "Error validating access token: Session has "
                                              "expired")}}},
              stops(20, 0, 3)}
        .says("190"),

    // Deletes (mirror mode; Meta: members leaving the audience) under the same faults.
    fault_row{"deletes: reset mid-body after processing", dest::hubspot, {reset_mid_body},
              deletes_finish(10, 4)}
        .deleting(deletes),
    fault_row{"deletes: 503 burst", dest::hubspot, {{{"nth", 2}, {"count", 2}, {"status", 503}}},
              deletes_finish(20, 5)}
        .deleting(deletes),
    fault_row{"deletes: 401 mid-run", dest::hubspot,
              {{{"nth", 2}, {"count", 100}, {"status", 401},
                {"body", hubspot_error("EXPIRED_AUTHENTICATION", "The token expired")}}},
              deletes_stop(10, 2)}
        .deleting(deletes).says("EXPIRED_AUTHENTICATION"),
    fault_row{"deletes: connection refused", dest::hubspot, {}, {4, 0, 30, 30, 6}}
        .deleting(deletes).against_dead_port().with_delivery(two_attempts),
    fault_row{"deletes: reset mid-body after processing", dest::webhook, {reset_mid_body},
              deletes_finish(10, 4)}
        .deleting(deletes).seen_again(1),
    fault_row{"deletes: 401 mid-run", dest::webhook,
              {{{"nth", 2}, {"count", 100}, {"status", 401}}}, deletes_stop(10, 2)}
        .deleting(deletes).says("401"),
    fault_row{"deletes: reset mid-body after processing", dest::salesforce, {reset_mid_body},
              deletes_finish(10, 4)}
        .deleting(deletes),
    fault_row{"deletes: read timeout", dest::salesforce, {late}, deletes_finish(10, 4)}
        .deleting(deletes).with_delivery(short_timeout),
    fault_row{"deletes: reset mid-body after processing", dest::meta, {reset_mid_body},
              deletes_finish(10, 4)}
        .deleting(deletes),
    fault_row{"deletes: throttled (code 80003)", dest::meta,
              {{{"nth", 2}, {"status", 400},
                {"body", meta_error(80003, 2446079, "(#80003) There have been too many calls to "
                                                    "this ad-account.")}}},
              deletes_stop(10, 2)}
        .deleting(deletes).resumed_next_day().says("80003"),
  };
  return t;
}

std::string label_of(const fault_row& row) {
  return std::string(name_of(row.where)) + " / " + row.name;
}

std::vector<fault_row> select_rows(const std::vector<fault_row>& table, const std::string& only,
                                   bool known_bugs, int& skipped) {
  std::vector<fault_row> out;
  for (const auto& row : table) {
    if (!only.empty() && label_of(row).find(only) == std::string::npos)
      continue;
    if (!row.known_bug.empty() && !known_bugs) {
      ++skipped;
      continue;
    }
    out.push_back(row);
  }
  return out;
}

}  // namespace backflow::testing::faults
