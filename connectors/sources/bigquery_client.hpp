// BigQuery REST API v2 calls: jobs.query, getQueryResults pages, jobs.cancel.
#pragma once

#include <atomic>
#include <memory>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "connectors/sources/bigquery_auth.hpp"
#include "connectors/sources/bigquery_values.hpp"
#include "connectors/sources/rest_client.hpp"

namespace backflow {

/// Where and how to run queries, from the source options.
struct bigquery_target {
  std::string endpoint;  ///< "https://bigquery.googleapis.com" or the `endpoint` option
  std::string project;
  std::string location;    ///< "" lets BigQuery pick
  std::string dataset;     ///< defaultDataset for unqualified table names; "" for none
  long max_results = 10000;  ///< rows per page asked for
  long timeout_ms = 10000;   ///< how long one call waits for the job
  std::shared_ptr<bigquery_auth> auth;
  std::shared_ptr<std::atomic<bool>> stop = std::make_shared<std::atomic<bool>>(false);
};

/// One answer of jobs.query or getQueryResults.
struct bigquery_page {
  bool complete = false;
  std::string job_id;
  std::string location;
  std::string page_token;  ///< "" after the last page
  nlohmann::json schema;   ///< present once the job is complete
  nlohmann::json rows = nlohmann::json::array();
};

/// One connection's calls; not thread-safe. Failures name Google's reason and message:
/// "source.query: …" for invalidQuery / notFound / invalid, "source.<credential>: …" for
/// 401/403 (accessDenied), "source: …" for what retries could not get past.
class bigquery_client {
 public:
  explicit bigquery_client(bigquery_target target);

  /// jobs.query; then getQueryResults (no page token) until the job is complete.
  /// `parameters` is jobs.query's `queryParameters` (named, @name in `sql`), or null for none.
  result<bigquery_page> query(const std::string& sql,
                              const nlohmann::json& parameters = nlohmann::json());

  /// getQueryResults for the page after `token` of job `job_id`.
  result<bigquery_page> page(const std::string& job_id, const std::string& location,
                             const std::string& token);

  /// jobs.cancel: one attempt, failures ignored (the run is ending).
  void cancel(const std::string& job_id, const std::string& location);

 private:
  /// Sends with the bearer token; a 401 with a key file fetches a new token and tries again.
  result<nlohmann::json> send(http_request request);
  result<bigquery_page> poll(const std::string& job_id, const std::string& location,
                             const std::string& token);

  bigquery_target target_;
  rest_client http_;
};

/// Where a source's options say queries go: endpoint, project, location, dataset, paging and
/// credentials; `write` asks for a token that may write (the `bigquery` scope, not
/// `bigquery.readonly`), for write-back.
result<bigquery_target> bq_target_of(const source_spec& spec, bool write = false);

/// The failure for a call that failed, from Google's `error.errors[].reason` and message.
failure bigquery_failure(const failure& call, const std::string& credential_option);

}  // namespace backflow
