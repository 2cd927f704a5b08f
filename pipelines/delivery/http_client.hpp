// Asynchronous HTTP over libcurl's multi interface, driven by one dedicated I/O thread.
#pragma once

#include <atomic>
#include <chrono>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <unordered_set>

#include "pipelines/delivery/http.hpp"

namespace backflow {

struct http_client_options {
  std::chrono::milliseconds request_timeout{30'000};
  std::chrono::milliseconds connect_timeout{10'000};
  long max_connections_per_host = 16;
  std::string user_agent = "backflow/0.1";
  /// Address pins "host:port:address" (curl's --resolve), e.g. for split-horizon DNS.
  std::vector<std::string> resolve;
};

/// Runs many requests concurrently on one thread, so no CAF scheduler thread ever blocks on I/O.
/// TLS certificates are always verified, except for loopback hosts (local emulators).
class http_client {
 public:
  /// Called on the I/O thread when a request finished; must not block.
  using completion = std::function<void(http_response)>;

  explicit http_client(http_client_options options = {});
  ~http_client();
  http_client(const http_client&) = delete;
  http_client& operator=(const http_client&) = delete;

  /// Queues a request; thread-safe. `done` is called exactly once (unless the client is
  /// destroyed first).
  void submit(http_request request, completion done);

 private:
  struct transfer;
  void run();
  void start_pending(void* multi);

  http_client_options options_;
  std::mutex mutex_;
  std::deque<std::unique_ptr<transfer>> pending_;
  std::atomic<bool> stop_{false};
  void* multi_ = nullptr;  // CURLM*, owned by the I/O thread after construction
  void* resolve_ = nullptr;  // curl_slist* of options_.resolve
  std::unordered_set<transfer*> active_;  // touched only by the I/O thread
  std::thread thread_;
};

/// True for 127.0.0.0/8, ::1 and localhost URLs.
bool is_loopback_url(const std::string& url);

/// libcurl callbacks that fill an http_response (`user`): the body, and the headers of the last
/// status line (a 100-continue or a redirect starts them again).
size_t curl_body_callback(char* data, size_t size, size_t n, void* user);
size_t curl_header_callback(char* data, size_t size, size_t n, void* user);

}  // namespace backflow
