// The interface a destination emulator implements; emulator_server supplies everything they share.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include "emulators/limits.hpp"

namespace backflow::emulators {

/// An emulator's answer to one API request, before faults are applied and it is logged.
struct api_response {
  int status = 200;
  std::string body;          ///< JSON text; empty for no body
  httplib::Headers headers;  ///< extra headers (Content-Type is set by the server)
  std::size_t inputs = 0;    ///< records in the request body
  std::string endpoint;      ///< "METHOD /path/template" for the request log
};

/// A vendor API emulated in memory. All member functions may be called concurrently.
///
///   client ──► emulator_server ──► latency ─► fault queue ─► emulator::handle ─► request log
///                    └── /__emulator/* control endpoints ──► records / reset / control
class emulator {
 public:
  virtual ~emulator() = default;

  /// The name used on the command line ("hubspot").
  [[nodiscard]] virtual std::string name() const = 0;

  /// Answers one API request (any path outside /__emulator/) under the current limits.
  virtual api_response handle(const httplib::Request& req, const limits& current) = 0;

  /// Fills `endpoint` and `inputs` for a request a fault answers without processing it.
  virtual void describe(const httplib::Request& req, api_response& out) const = 0;

  /// The stored records for GET /__emulator/records.
  [[nodiscard]] virtual nlohmann::json records(const httplib::Request& req) const = 0;

  /// The body of GET /__emulator/records. Emulators that hold millions of entries override it
  /// to write the text directly: a json tree of them takes seconds and gigabytes.
  [[nodiscard]] virtual std::string records_text(const httplib::Request& req) const {
    return records(req).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  }

  /// Edits or deletes one stored record behind the client's back, as a user of the tool would
  /// (PATCH /__emulator/records): `edit` is {"object", "match": {field: value}, "set": {field:
  /// value}} or {"object", "match", "delete": true}. Returns an HTTP status: 200 done, 404 no
  /// record matched, 400 a malformed edit (`error` says why); by default 501 (`error` set):
  /// this emulator cannot edit records.
  virtual int edit_record(const nlohmann::json& edit, std::string& error) {
    error = "the " + name() + " emulator cannot edit records";
    return 501;
  }

  /// Forgets records, counters and emulator-specific settings.
  virtual void reset() = 0;

  /// Serves an emulator-specific control endpoint /__emulator/<name>; false when it has none.
  virtual bool control(const std::string& name, const httplib::Request& req,
                       httplib::Response& res) = 0;
};

}  // namespace backflow::emulators
