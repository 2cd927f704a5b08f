// Fetches a Snowflake result's partitions on a few threads, handed out strictly in order.
#pragma once

#include <condition_variable>
#include <map>
#include <mutex>
#include <thread>
#include <vector>

#include "connectors/sources/snowflake_client.hpp"

namespace backflow {

/// Partitions 1..count-1 of one statement, fetched by `in_flight` threads (each with its own
/// connection) at most `in_flight` partitions ahead of the reader, so memory stays bounded
/// whatever the result's size.
///
///   worker 1 ─┐  GET ?partition=N (retries, 401 → new JWT), decoded to rows
///   worker K ─┴─► ready[N] ──► take(N) in order ──► cursor
class snowflake_partitions {
 public:
  /// `cells` types the columns; `credential_option` names the option a 401 blames.
  snowflake_partitions(const snowflake_target& target, std::string handle, size_t count,
                       size_t in_flight, std::vector<sf_cell> cells, std::string credential_option);
  ~snowflake_partitions();
  snowflake_partitions(const snowflake_partitions&) = delete;
  snowflake_partitions& operator=(const snowflake_partitions&) = delete;

  /// Partition `n`'s rows, blocking until they have arrived; call with n = 1, 2, ... in order.
  /// Failures are the source's own ("source.query: ...", "source: ...").
  result<packed_rows> take(size_t n);

 private:
  void work(const snowflake_target& target);

  std::string handle_;
  std::vector<sf_cell> cells_;
  std::string credential_option_;
  size_t count_;
  size_t window_;
  std::mutex mutex_;
  std::condition_variable changed_;
  size_t next_ = 1;      // the next partition a worker claims
  size_t consumed_ = 0;  // the last partition taken
  bool stopping_ = false;
  std::map<size_t, result<packed_rows>> ready_;
  std::vector<std::thread> workers_;
};

}  // namespace backflow
