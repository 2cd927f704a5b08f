// Fetches the parts of one warehouse result on a few threads, handed out strictly in order.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <functional>
#include <map>
#include <mutex>
#include <thread>
#include <vector>

#include "pipelines/core/result.hpp"
#include "pipelines/core/row_codec.hpp"

namespace backflow {

/// Parts 1..count-1 of one result (part 0 comes with the statement's answer), fetched by up to
/// `in_flight` threads at most `in_flight` parts ahead of the reader, so memory stays bounded
/// whatever the result's size. Snowflake's partitions and Databricks' chunks use it.
///
///   worker 1 ─┐  fetch(N): GET the part (the client's retries), decoded to rows
///   worker K ─┴─► ready[N] ──► take(N) in order ──► cursor
class ordered_parts {
 public:
  /// Fetches part `n` as rows; failures are the source's own ("source.query: ...").
  using fetcher = std::function<result<packed_rows>(size_t n)>;

  /// `make_fetcher` is called once per thread, so that each has its own connection.
  ordered_parts(size_t count, size_t in_flight, const std::function<fetcher()>& make_fetcher);
  ~ordered_parts();
  ordered_parts(const ordered_parts&) = delete;
  ordered_parts& operator=(const ordered_parts&) = delete;

  /// Part `n`'s rows, blocking until they have arrived; call with n = 1, 2, ... in order.
  result<packed_rows> take(size_t n);

 private:
  void work(const fetcher& fetch);

  size_t count_;
  size_t window_;
  std::mutex mutex_;
  std::condition_variable changed_;
  size_t next_ = 1;      // the next part a worker claims
  size_t consumed_ = 0;  // the last part taken
  bool stopping_ = false;
  std::map<size_t, result<packed_rows>> ready_;
  std::vector<std::thread> workers_;
};

}  // namespace backflow
