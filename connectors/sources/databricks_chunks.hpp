// Fetches a Databricks result's chunks on a few threads, handed out strictly in order.
#pragma once

#include <condition_variable>
#include <map>
#include <mutex>
#include <thread>
#include <vector>

#include "connectors/sources/databricks_client.hpp"

namespace backflow {

/// Chunks 1..count-1 of one statement, fetched by `in_flight` threads (each with its own
/// connection) at most `in_flight` chunks ahead of the reader, so memory stays bounded.
///
///   worker 1 ─┐  GET .../result/chunks/N (→ external link, no auth), decoded to rows
///   worker K ─┴─► ready[N] ──► take(N) in order ──► cursor
class databricks_chunks {
 public:
  databricks_chunks(const databricks_target& target, std::string statement_id, size_t count,
                    size_t in_flight, std::vector<db_cell> cells);
  ~databricks_chunks();
  databricks_chunks(const databricks_chunks&) = delete;
  databricks_chunks& operator=(const databricks_chunks&) = delete;

  /// Chunk `n`'s rows, blocking until they have arrived; call with n = 1, 2, ... in order.
  result<packed_rows> take(size_t n);

 private:
  void work(const databricks_target& target);

  std::string statement_id_;
  std::vector<db_cell> cells_;
  std::string credential_option_;
  size_t count_;
  size_t window_;
  std::mutex mutex_;
  std::condition_variable changed_;
  size_t next_ = 1;      // the next chunk a worker claims
  size_t consumed_ = 0;  // the last chunk taken
  bool stopping_ = false;
  std::map<size_t, result<packed_rows>> ready_;
  std::vector<std::thread> workers_;
};

}  // namespace backflow
