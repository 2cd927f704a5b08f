// The fault matrix's rows: which faults the emulators inject, against which destination, and
// the exact summary each faulted run must end with (fault_table.cpp lists them).
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace backflow::testing::faults {

using nlohmann::json;

// user10..user59: two-digit numbers sort as they count, so every batch holds ten consecutive rows.
inline constexpr int first_row = 10;
inline constexpr int rows = 50;
inline constexpr int batch_size = 10;  // 5 requests per run; faults aim at the 2nd or 3rd

inline const std::string audience = "23850000000000001";

enum class dest { hubspot, webhook, salesforce, meta };

inline const char* name_of(dest d) {
  switch (d) {
    case dest::hubspot:
      return "hubspot";
    case dest::webhook:
      return "webhook";
    case dest::salesforce:
      return "salesforce";
    case dest::meta:
      return "meta";
  }
  return "?";
}

/// The API path every fault of a row matches (control endpoints never do).
inline const char* api_path(dest d) {
  switch (d) {
    case dest::hubspot:
      return "/crm/v3/objects/";
    case dest::webhook:
      return "/hooks/";
    case dest::salesforce:
      return "composite/sobjects";
    case dest::meta:
      return "/users";
  }
  return "";
}

/// What one run's summary must say. `retried` counts records once per re-send of their batch;
/// `api_calls` counts every request sent, refused connections and timeouts included; `rejected`
/// is always 0 (no fault here is any record's fault).
struct expect {
  int exit_code = 0;
  int delivered = 0;
  int retried = 0;
  int failed = 0;
  int api_calls = 0;  ///< -1: not deterministic (several requests in flight when it stops)
};

/// The run finishes (exit 0) with every row delivered.
inline expect finishes(int retried, int api_calls) {
  return {0, rows, retried, 0, api_calls};
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
  fault_row(std::string name_, dest where_, std::vector<json> faults_, expect run_)
      : name(std::move(name_)), where(where_), faults(std::move(faults_)), run(run_) {}

  std::string name;
  dest where;
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
                          ///< model and the faulted run deletes them (mirror / audience mode)

  fault_row& with_delivery(json j) { patch["delivery"] = std::move(j); return *this; }
  fault_row& with_destination(json j) { patch["destination"] = std::move(j); return *this; }
  fault_row& in_mode(std::string mode) { patch["mode"] = std::move(mode); return *this; }
  fault_row& against_dead_port() { refused = true; return *this; }
  fault_row& resumed_next_day() { next_day = true; return *this; }
  fault_row& waits(int ms) { min_ms = ms; return *this; }
  fault_row& says(std::string text) { error = std::move(text); return *this; }
  fault_row& bug(std::string what) { known_bug = std::move(what); return *this; }
  fault_row& seen_again(int batches) { duplicates = batches; return *this; }
  fault_row& deleting(int n) {
    removed = n;
    if (where != dest::meta)
      patch["mode"] = "mirror";
    return *this;
  }
};


/// Every row of the matrix, in the order they run.
std::vector<fault_row> fault_table();

/// The label a row is filtered and reported by: "destination / name".
std::string label_of(const fault_row& row);

/// The rows of `table` a run takes: those whose label contains `only` (all when empty), minus
/// the known bugs unless `known_bugs`; `skipped` counts the known bugs left out.
std::vector<fault_row> select_rows(const std::vector<fault_row>& table, const std::string& only,
                                   bool known_bugs, int& skipped);

}  // namespace backflow::testing::faults
