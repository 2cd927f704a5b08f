// The HTTP interface of `backflow serve`: health, metrics, sync listing, triggers, pause/resume.
#pragma once

#include <memory>
#include <string>
#include <thread>

#include "pipelines/core/result.hpp"
#include "pipelines/serve/service_control.hpp"

namespace httplib {
class Server;
}

namespace backflow {

/// Where to listen: "127.0.0.1:8484", "[::1]:8484", "localhost:0" (port 0 = any free port).
struct listen_address {
  std::string host;
  int port = 0;

  /// Parses "host:port"; the error names the text and what is wrong with it.
  static result<listen_address> parse(const std::string& text);
  /// True for 127.0.0.0/8, ::1 and localhost.
  [[nodiscard]] bool is_loopback() const;
};

/// Constant-time string equality, so a bearer token cannot be guessed byte by byte from timings.
bool constant_time_equals(const std::string& a, const std::string& b);

/// Serves the routes below on its own thread until stop():
///
///   GET  /healthz                 200 "ok" | 503 (never needs the token)
///   GET  /metrics                 Prometheus text 0.0.4
///   GET  /syncs                   service_control::syncs()
///   GET  /syncs/{name}/runs?limit=N   newest runs first (404 unknown sync, 400 bad limit)
///   POST /syncs/{name}/run        202 {"ok":true} | 404 | 409 {"error": "..."}
///   POST /syncs/{name}/pause      200 {"ok":true} | 404 | 409
///   POST /syncs/{name}/resume     200 {"ok":true} | 404 | 409
///
/// With a token, every route but /healthz needs "Authorization: Bearer <token>" (else 401).
class http_api {
 public:
  /// `listen` as listen_address::parse reads it; `token` "" means no authentication, which is
  /// only allowed on loopback addresses.
  http_api(service_control& service, std::string listen, std::string token);
  ~http_api();
  http_api(const http_api&) = delete;
  http_api& operator=(const http_api&) = delete;

  /// Binds and starts serving on a new thread. "" on success, else why not (naming the address).
  [[nodiscard]] std::string start();
  /// Stops serving and joins the thread; safe to call twice or without start().
  void stop();

  /// The bound port (useful with port 0); 0 before start().
  [[nodiscard]] int port() const { return port_; }

 private:
  void install_routes();

  service_control& service_;
  std::string listen_;
  std::string token_;
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  int port_ = 0;
};

}  // namespace backflow
