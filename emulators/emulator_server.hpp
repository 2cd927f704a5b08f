// What every emulator shares: loopback listener, latency, faults, request log, /__emulator/ API.
#pragma once

#include <atomic>
#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <httplib.h>
#include <spdlog/logger.h>

#include "emulators/emulator.hpp"
#include "emulators/fault_queue.hpp"
#include "emulators/limits.hpp"
#include "emulators/request_log.hpp"

namespace backflow::emulators {

/// How an emulator_server listens and starts.
struct server_options {
  int port = 0;              ///< 0 picks an ephemeral port
  std::size_t threads = 64;  ///< worker threads; each keep-alive connection holds one
  bool verbose = false;      ///< log every request to stderr
  bool log_bodies = false;   ///< keep request bodies in the request log (exact values for tests)
  limits initial;            ///< limits at start and after /__emulator/reset
  std::vector<std::string> limit_keys = {"latency_ms"};  ///< what /__emulator/limits accepts
};

/// Serves one emulator on 127.0.0.1. API requests get the configured latency, then the fault
/// queue may delay, answer or drop them, then the emulator answers (a headers-only fault adds its
/// headers to that answer); every API request is logged.
/// Control endpoints (no auth): GET records, GET requests, POST reset, GET|POST limits,
/// GET|POST|DELETE faults, GET health, plus the emulator's own (see emulator::control).
class emulator_server {
 public:
  emulator_server(emulator& vendor, server_options options);
  emulator_server(const emulator_server&) = delete;
  emulator_server& operator=(const emulator_server&) = delete;

  /// Binds 127.0.0.1 on the configured port; returns the bound port, or -1 on failure.
  int bind();

  /// Accepts connections until stop(); false when the listener failed.
  bool serve();

  /// Makes serve() return; callable from any thread.
  void stop();

 private:
  void handle_api(const httplib::Request& req, httplib::Response& res);
  void handle_control(const httplib::Request& req, httplib::Response& res);
  void handle_limits(const httplib::Request& req, httplib::Response& res);
  void handle_faults(const httplib::Request& req, httplib::Response& res);
  /// PATCH /__emulator/records: one edit object or an array of them (emulator::edit_record),
  /// applied in order; answers {"edited": N, "not_found": [indices]}, or the first error.
  void edit_records(const httplib::Request& req, httplib::Response& res);
  void reset();
  [[nodiscard]] limits current_limits() const;

  emulator& vendor_;
  server_options options_;
  httplib::Server http_;
  std::atomic<bool> served_{false};  ///< serve() has returned
  std::shared_ptr<spdlog::logger> logger_;
  fault_queue faults_;
  request_log log_;
  mutable std::mutex limits_mutex_;
  limits limits_;
};

}  // namespace backflow::emulators
