// Databricks SQL Statement Execution API 2.0 calls: submit, poll, fetch a chunk, cancel.
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "connectors/sources/databricks_auth.hpp"
#include "connectors/sources/databricks_values.hpp"
#include "connectors/sources/rest_client.hpp"

namespace backflow {

/// Where and how to run statements, from the source options.
struct databricks_target {
  std::string base_url;  ///< "https://<workspace host>"
  nlohmann::json context = nlohmann::json::object();  ///< warehouse_id, catalog, schema
  std::string disposition = "INLINE";                 ///< or EXTERNAL_LINKS
  std::string wait_timeout = "10s";
  std::shared_ptr<databricks_auth> auth;
  std::shared_ptr<std::atomic<bool>> stop = std::make_shared<std::atomic<bool>>(false);
};

/// A finished statement: its columns and chunk 0's rows; the others are fetched by index.
struct databricks_result {
  std::string statement_id;
  schema columns;
  std::vector<text_cell> cells;
  packed_rows first;
  size_t chunks = 1;
};

/// One connection's worth of calls; not thread-safe (one per thread), cheap to make.
/// Failures name Databricks' error_code and message: "source.query: ..." for a statement that
/// failed or was refused (HTTP 400/404), "source.<token|client_secret>: ..." for 401/403 after
/// one refresh, "source: ..." for what retries could not get past (429, 5xx, network).
class databricks_client {
 public:
  explicit databricks_client(databricks_target target);

  /// Submits `statement` with wait_timeout and on_wait_timeout CONTINUE, polls while the state
  /// is PENDING or RUNNING (backoff 50 ms → 2 s), and reads chunk 0.
  /// `parameters` is the API's [{"name", "value", "type"}] for the statement's `:name` markers,
  /// or null for none.
  result<databricks_result> run(const std::string& statement,
                                const nlohmann::json& parameters = nlohmann::json());

  /// Chunk `n`'s rows: from GET .../result/chunks/n (inline data_array, or its external link
  /// fetched without Authorization; an expired or refused link is asked for again, up to 3 times).
  result<packed_rows> chunk(const std::string& statement_id, size_t n,
                            const std::vector<text_cell>& cells);

  /// Asks Databricks to cancel `statement_id`: one attempt, failures ignored (the run is ending).
  void cancel(const std::string& statement_id);

 private:
  /// Sends with the Authorization header; a 401 under OAuth fetches a new token and tries once more.
  result<nlohmann::json> send(http_request request);
  result<databricks_result> read_result(const nlohmann::json& body);
  /// Rows of a `result` object (ResultData): data_array, or the first external link's content.
  result<packed_rows> rows_of(const std::string& statement_id, const nlohmann::json& data,
                              const std::vector<text_cell>& cells, size_t n);

  databricks_target target_;
  rest_client http_;
  rest_client links_;  // no Authorization header, ever: presigned URLs
};

/// Where a source's options say statements go: host, warehouse_id, catalog, schema,
/// disposition, wait_timeout, credentials (the source's and write-back's).
result<databricks_target> databricks_target_of(const source_spec& spec);

/// The failure for a call that failed: Databricks' error_code and message when the body has them.
failure databricks_failure(const failure& call, const std::string& credential_option);

/// Rows of a JSON_ARRAY `[[string|null, ...], ...]` typed by `cells`; failures name the row.
result<packed_rows> encode_db_rows(const nlohmann::json& data, const std::vector<text_cell>& cells);

}  // namespace backflow
