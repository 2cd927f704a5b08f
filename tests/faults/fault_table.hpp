// The fault matrix's rows: which faults the emulators inject, against which destination, and
// the exact summary each faulted run must end with. fault_table.cpp makes the rows every
// destination gets; each destination's own rows are in tests/destinations/<name>.cpp.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tests/e2e/e2e_support.hpp"
#include "tests/support/emulator_process.hpp"

namespace backflow::testing::faults {

using nlohmann::json;

// user10..user59: two-digit numbers sort as they count, so every batch holds ten consecutive rows.
inline constexpr int first_row = 10;
inline constexpr int rows = 50;
inline constexpr int batch_size = 10;  // 5 requests per run; faults aim at the 2nd or 3rd

/// What one run's summary must say. `retried` counts records once per re-send of their batch;
/// `api_calls` counts every request sent, refused connections and timeouts included; `rejected`
/// is 0 except in rows whose fault is a vendor's per-item error in a 2xx answer.
struct expect {
  int exit_code = 0;
  int delivered = 0;
  int retried = 0;
  int failed = 0;
  int api_calls = 0;  ///< -1: not deterministic (several requests in flight when it stops)
  int rejected = 0;   ///< records a per-item error refused (not sent again: their rows are unchanged)
};

/// The run finishes (exit 0) with every row delivered.
inline expect finishes(int retried, int api_calls) {
  return {0, rows, retried, 0, api_calls};
}

/// The run finishes with `rejected` rows refused by a per-item error (exit 1), the rest delivered.
inline expect finishes_rejecting(int rejected, int api_calls) {
  return {1, rows - rejected, 0, 0, api_calls, rejected};
}

/// The run stops (exit 4) after `delivered` rows; the rest are left for the next run.
inline expect stops(int delivered, int retried, int api_calls) {
  return {4, delivered, retried, rows - delivered, api_calls};
}

// Deleting rows: 30 of the 50 leave the model, so the faulted run sends 3 batches of deletes.
inline constexpr int deletes = 30;

inline expect deletes_finish(int retried, int api_calls) {
  return {0, deletes, retried, 0, api_calls};
}

inline expect deletes_stop(int delivered, int api_calls) {
  return {4, delivered, 0, deletes - delivered, api_calls};
}

/// One row of the matrix: the fault(s), the destination, the faulted run's exact summary.
struct fault_row {
  fault_row(std::string name_, std::string where_, std::vector<json> faults_, expect run_)
      : name(std::move(name_)), where(where_), faults(std::move(faults_)), run(run_) {}

  std::string name;
  std::string where;  ///< the destination type (test_destinations())
  std::vector<json> faults;  ///< queued before the faulted run; "match" defaults to api_path
  expect run;
  json patch = json::object();  ///< merged into the sync file (mode, delivery, destination)
  bool refused = false;   ///< the faulted run's endpoint is a port where nothing listens
  bool next_day = false;  ///< follow-up runs see the clock a day on (a pause or quota has reset)
  int min_ms = 0;         ///< the faulted run took at least this long (a wait was honoured)
  std::string error;      ///< the faulted run's error mentions this
  std::string known_bug;  ///< non-empty: the engine gets it wrong; the row is skipped
  int duplicates = 0;     ///< webhook: batches the receiver saw again (same webhook-id)
  int removed = 0;        ///< > 0: after a clean first run, the first `removed` rows leave the
                          ///< model and the faulted run deletes them (destination_faults's
                          ///< delete_mode unless the row sets a mode)

  fault_row& with_delivery(json j) { patch["delivery"] = std::move(j); return *this; }
  fault_row& with_destination(json j) { patch["destination"] = std::move(j); return *this; }
  fault_row& in_mode(std::string mode) { patch["mode"] = std::move(mode); return *this; }
  fault_row& against_dead_port() { refused = true; return *this; }
  fault_row& resumed_next_day() { next_day = true; return *this; }
  fault_row& waits(int ms) { min_ms = ms; return *this; }
  fault_row& says(std::string text) { error = std::move(text); return *this; }
  fault_row& bug(std::string what) { known_bug = std::move(what); return *this; }
  fault_row& seen_again(int batches) { duplicates = batches; return *this; }
  fault_row& deleting(int n) { removed = n; return *this; }
};

/// One live record at the destination, as the fault matrix checks it.
struct held_record {
  int created = 0;    ///< times it was created (webhook: applied; Meta: 1 per member)
  std::string score;  ///< its score field as text ("" where the destination keeps none)
};

/// "7" for 7, 7.0 and "7".
inline std::string score_text(const json& v) {
  if (v.is_number())
    return std::to_string(static_cast<int>(v.get<double>()));
  return v.is_string() ? v.get<std::string>() : v.dump();
}

/// What the fault matrix needs of one destination (filled in tests/destinations/<name>.cpp).
struct destination_faults {
  std::string emulator;                     ///< backflow-emulator kind
  std::vector<std::string> emulator_args;
  std::string api_path;     ///< what every fault of a row matches (control endpoints never do)
  std::string delete_mode;  ///< the mode whose runs delete rows that left the model
  bool keeps_scores = true;      ///< records carry the model's score (audience members do not)
  bool counts_replays = false;   ///< the receiver counts batches it saw again (webhook-id)
  json server_error_body;        ///< the 503 answers' body in the generic 5xx burst
  json rate_limit_body;          ///< the 429 answers' body (null: none)
  int wait_after_429_ms = 0;     ///< the least wait after a 429 without Retry-After
  /// It fetches an access token first (destination::build_token_request): against a dead host
  /// the run stops at the token endpoint, before any API call.
  bool token_endpoint = false;
  /// Records per request in the matrix's runs: `batch_size`, or 1 for a destination that sends
  /// one record per request (its sync file then gets no batch_size; the generic rows' counts
  /// scale with it: one request per record, one record per re-send).
  int per_request = batch_size;
  /// Requests one batch takes when nothing fails: 1, or the steps of a destination whose every
  /// batch is an asynchronous job that completes at once (Google Ads: create, addOperations,
  /// run). The generic rows' call counts scale with it; their faults hit api_path's requests.
  int calls_per_batch = 1;
  /// Requests one batch of deletes takes in a clean run, when it differs from calls_per_batch
  /// (Klaviyo: a lookup of the members' profile ids, then the list removal); 0: calls_per_batch.
  /// The generic deletes row's call count scales with it.
  int calls_per_delete_batch = 0;
  [[nodiscard]] int delete_calls() const {
    return calls_per_delete_batch > 0 ? calls_per_delete_batch : calls_per_batch;
  }
  /// The sync file of the contacts model (batch size and delivery are set by the matrix).
  std::function<json(const contacts_model&, const std::string& base)> sync;
  /// What the destination holds, by model key.
  std::function<std::map<std::string, held_record>(emulator_process&)> held;
  /// The rows only this destination has (vendor-specific answers).
  std::function<std::vector<fault_row>()> rows;
};

// Faults many rows share.
inline const json short_timeout = {{"request_timeout", "400ms"}};
inline const json late_answer = {{"nth", 2}, {"delay_ms", 1500}};  // after the client gave up
inline const json reset_unprocessed = {{"nth", 2}, {"drop", true}};
inline const json reset_mid_body = {{"nth", 2}, {"drop", true}, {"apply", true}};
inline const json retry_after_1 = {{"Retry-After", "1"}};
inline const std::string html_502 = "<html><head><title>502 Bad Gateway</title></head></html>";

/// The 500/502/503 burst: the 2nd request's batch is answered 500, 502 (a proxy's HTML), 503, 503.
std::vector<json> server_error_burst(const json& body_503);

/// The rows every destination gets, for the destination `type` described by `d`.
std::vector<fault_row> generic_rows(const std::string& type, const destination_faults& d);

/// Every row of the matrix, in the order they run: each test destination's generic rows, then
/// its own.
std::vector<fault_row> fault_table();

/// The destinations of test_destinations() that have no row in `table`.
std::vector<std::string> destinations_without_rows(const std::vector<fault_row>& table);

/// The label a row is filtered and reported by: "destination / name".
std::string label_of(const fault_row& row);

/// The rows of `table` a run takes: those whose label contains `only` (all when empty), minus
/// the known bugs unless `known_bugs`; `skipped` counts the known bugs left out.
std::vector<fault_row> select_rows(const std::vector<fault_row>& table, const std::string& only,
                                   bool known_bugs, int& skipped);

}  // namespace backflow::testing::faults
