// ClickHouse's HTTP interface: endpoints, its error bodies, short queries and a streamed answer.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "connectors/sources/source.hpp"
#include "pipelines/delivery/http.hpp"

namespace backflow {

/// Where and as whom to query: the `clickhouse` source's options.
struct ch_endpoint {
  std::string url;  ///< http(s)://host:port, without a path
  std::string user = "default";
  std::string password;
  std::string database;  ///< empty: the user's default database
  std::vector<std::pair<std::string, std::string>> settings;  ///< sent as URL parameters
  bool compression = true;

  static ch_endpoint of(const source_spec& spec);
  /// The URL with `params` (query_id, ...), the database and settings added; no secret in it.
  [[nodiscard]] std::string url_with(
      const std::vector<std::pair<std::string, std::string>>& params) const;
  /// X-ClickHouse-User and X-ClickHouse-Key: the password travels in a header, never the URL.
  [[nodiscard]] std::vector<http_header> auth_headers() const;
  /// `text` with the password (and the process-wide secrets) replaced by "***".
  [[nodiscard]] std::string redacted(std::string text) const;
};

/// A ClickHouse exception as its HTTP body or a streamed result's last line gives it:
/// "Code: 62, e.displayText() = DB::Exception: Syntax error ..., e.what() = DB::Exception"
/// (18.16) or "Code: 62. DB::Exception: Syntax error ... (SYNTAX_ERROR) (version ...)" (later).
struct ch_error {
  int code = 0;
  std::string message;  ///< the display text, without "e.what() = ..."
};

/// The exception `text` starts with, if it is one.
std::optional<ch_error> parse_ch_error(std::string_view text);

/// The failure for a query ClickHouse refused or could not run, as `source.<option>: ...` for
/// the sync file's faults (bad SQL, unknown table or database, wrong user or password) and
/// `source: ...` for the ones a later attempt may not meet (server errors, network, timeouts).
failure ch_failure(const ch_endpoint& endpoint, long status, std::string_view body,
                   const std::string& transport_error);

/// True for a failure ch_failure() made that a retry may cure.
bool is_transient_ch_failure(const failure& f);

/// Runs a short statement (DESCRIBE, SELECT timezone(), KILL QUERY) and returns its whole
/// TabSeparated answer; transient failures are retried with the delivery layer's backoff when
/// `retry` is set.
result<std::string> ch_short_query(const ch_endpoint& endpoint, const std::string& sql,
                                   bool retry = true);

/// One POSTed query whose answer is read as it arrives: the caller consumes buffer() from the
/// front and calls pump() for more, so memory holds one network chunk and a partial line.
class ch_stream {
 public:
  ch_stream(const ch_endpoint& endpoint, const std::string& query, const std::string& query_id);
  ~ch_stream();
  ch_stream(const ch_stream&) = delete;
  ch_stream& operator=(const ch_stream&) = delete;

  /// Waits (up to 100 ms) for more of the answer and appends it to buffer().
  void pump();
  [[nodiscard]] bool done() const { return done_; }
  /// The HTTP status once known (0 before the headers arrived).
  [[nodiscard]] long status() const;
  /// Empty unless the transfer failed (connection lost, timeout).
  [[nodiscard]] const std::string& transport_error() const { return transport_error_; }
  std::string& buffer() { return buffer_; }

 private:
  static size_t on_data(char* data, size_t size, size_t count, void* self);

  std::string url_;
  std::string body_;
  void* multi_ = nullptr;  // CURLM*
  void* easy_ = nullptr;   // CURL*
  void* headers_ = nullptr;  // curl_slist*
  std::string buffer_;
  bool done_ = false;
  std::string transport_error_;
};

}  // namespace backflow
