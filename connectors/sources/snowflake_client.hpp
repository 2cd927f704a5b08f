// Snowflake SQL API v2 calls: submit a statement, poll it, fetch a partition, cancel it.
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "connectors/sources/rest_client.hpp"
#include "connectors/sources/snowflake_auth.hpp"
#include "connectors/sources/snowflake_values.hpp"

namespace backflow {

/// Where and how to run statements, from the source options.
struct snowflake_target {
  std::string base_url;  ///< "https://ACCOUNT.snowflakecomputing.com" or the `url` option
  nlohmann::json context = nlohmann::json::object();  ///< warehouse, database, schema, role
  long timeout_s = 0;  ///< the statement's own timeout; 0 leaves Snowflake's default
  std::shared_ptr<snowflake_auth> auth;
  std::shared_ptr<std::atomic<bool>> stop = std::make_shared<std::atomic<bool>>(false);
};

/// A finished statement: its columns and partition 0; the others are fetched by number.
struct snowflake_result {
  std::string handle;
  schema columns;
  std::vector<text_cell> cells;
  nlohmann::json first;  ///< partition 0's `data`
  size_t partitions = 1;
};

/// One connection's worth of calls; not thread-safe (one per thread), cheap to make.
/// Failures name Snowflake's code, SQL state and message: "source.query: ..." for a statement
/// Snowflake refuses (HTTP 422), "source.<credential option>: ..." for 401/403, "source: ..."
/// for what retries could not get past (429, 5xx, network).
class snowflake_client {
 public:
  explicit snowflake_client(snowflake_target target);

  /// Submits `statement` (with a requestId, so a retried submit is not run twice) and polls
  /// statementStatusUrl with backoff while Snowflake answers 202.
  /// `bindings` is the SQL API's {"1": {"type": "TEXT", "value": "..."}} for the statement's
  /// `?` placeholders, or null for none.
  result<snowflake_result> run(const std::string& statement,
                               const nlohmann::json& bindings = nlohmann::json());

  /// The answer's body for partition `n` of statement `handle` (gzip accepted and decoded).
  result<std::string> partition(const std::string& handle, size_t n);

  /// Asks Snowflake to cancel `handle`: one attempt, failures ignored (the run is ending).
  void cancel(const std::string& handle);

 private:
  /// Sends with the auth headers; a 401 under key-pair auth signs a new JWT and tries once more.
  result<http_response> send(http_request request);
  result<snowflake_result> read_result(const nlohmann::json& body);

  snowflake_target target_;
  rest_client http_;
};

/// Where a source's options say statements go: URL, context, timeout, credentials (the
/// source's and write-back's).
result<snowflake_target> snowflake_target_of(const source_spec& spec);

/// The failure for a call that failed: Snowflake's code/sqlState/message when the body has them.
failure snowflake_failure(const failure& call, const std::string& credential_option);

}  // namespace backflow
