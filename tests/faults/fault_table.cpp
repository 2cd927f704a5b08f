// The fault matrix's rows (see fault_table.hpp): the faults every destination must survive, made
// for each test destination, followed by the rows its own file adds.
#include "tests/faults/fault_table.hpp"

#include "tests/destinations/test_destination.hpp"

namespace backflow::testing::faults {

std::vector<json> server_error_burst(const json& body_503) {
  return {{{"nth", 2}, {"status", 500}},
          {{"nth", 3}, {"status", 502}, {"body", html_502},
           {"headers", {{"Content-Type", "text/html"}}}},
          {{"nth", 4}, {"count", 2}, {"status", 503}, {"body", body_503}}};
}

std::vector<fault_row> generic_rows(const std::string& type, const destination_faults& d) {
  const json two_attempts = {{"max_attempts", 2}};
  const json slow = {{"count", 5}, {"delay_ms", 150}};
  // A batch applied before its answer was lost comes again: a receiver that counts them sees it.
  const int replay = d.counts_replays ? 1 : 0;
  json rate_limited = {{"nth", 2}, {"status", 429}};
  if (!d.rate_limit_body.is_null())
    rate_limited["body"] = d.rate_limit_body;
  json rate_limited_after_1 = rate_limited;
  rate_limited_after_1["headers"] = retry_after_1;
  // b records per request, n requests per clean run (10 and 5 for a batching destination).
  const int b = d.per_request;
  const int n = rows / b;
  const int calls = n * d.calls_per_batch;  // requests of a clean run
  auto refused = d.token_endpoint
                     ? fault_row{"connection refused", type, {}, {4, 0, 0, rows, 0}}
                           .says("token endpoint")
                     : fault_row{"connection refused", type, {}, {4, 0, rows, rows, 2 * n}};
  return {
    refused.against_dead_port().with_delivery(two_attempts),
    {"reset before processing", type, {reset_unprocessed}, finishes(b, calls + 1)},
    fault_row{"reset mid-body after processing", type, {reset_mid_body}, finishes(b, calls + 1)}
        .seen_again(replay),
    fault_row{"read timeout", type, {late_answer}, finishes(b, calls + 1)}
        .with_delivery(short_timeout).seen_again(replay),
    // Four requests in flight: the 2nd, 3rd and 4th are all answered late at once.
    fault_row{"read timeout x3, 4 in flight", type,
              {{{"nth", 2}, {"count", 3}, {"delay_ms", 1500}}}, finishes(3 * b, calls + 3)}
        .with_delivery({{"concurrency", 4}, {"request_timeout", "400ms"}}).seen_again(3 * replay),
    fault_row{"slow responses", type, {slow}, finishes(0, calls)}.waits(750),
    {"500/502/503 burst", type, server_error_burst(d.server_error_body), finishes(4 * b, calls + 4)},
    fault_row{"429 with Retry-After", type, {rate_limited_after_1}, finishes(b, calls + 1)}
        .waits(1000),
    fault_row{"429 without Retry-After", type, {rate_limited}, finishes(b, calls + 1)}
        .waits(d.wait_after_429_ms),
    // Deletes (the destination's deleting mode) under a lost answer.
    fault_row{"deletes: reset mid-body after processing", type, {reset_mid_body},
              deletes_finish(b, deletes / b * d.delete_calls() + 1)}
        .deleting(deletes).seen_again(replay),
  };
}

std::vector<fault_row> fault_table() {
  std::vector<fault_row> t;
  for (const auto& d : test_destinations()) {
    for (auto& row : generic_rows(d.type, d.faults))
      t.push_back(std::move(row));
    if (d.faults.rows)
      for (auto& row : d.faults.rows())
        t.push_back(std::move(row));
  }
  return t;
}

std::vector<std::string> destinations_without_rows(const std::vector<fault_row>& table) {
  std::vector<std::string> out;
  for (const auto& d : test_destinations()) {
    bool any = false;
    for (const auto& row : table)
      any = any || row.where == d.type;
    if (!any)
      out.push_back(d.type);
  }
  return out;
}

std::string label_of(const fault_row& row) {
  return row.where + " / " + row.name;
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
