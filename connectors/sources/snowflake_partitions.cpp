// Fetches a Snowflake result's partitions on a few threads (see snowflake_partitions.hpp).
#include "connectors/sources/snowflake_partitions.hpp"

#include "connectors/sources/snowflake_rows.hpp"

namespace backflow {

snowflake_partitions::snowflake_partitions(const snowflake_target& target, std::string handle,
                                           size_t count, size_t in_flight,
                                           std::vector<sf_cell> cells,
                                           std::string credential_option)
    : handle_(std::move(handle)),
      cells_(std::move(cells)),
      credential_option_(std::move(credential_option)),
      count_(count),
      window_(std::max<size_t>(in_flight, 1)) {
  size_t threads = std::min(window_, count_ > 1 ? count_ - 1 : 0);
  for (size_t i = 0; i < threads; ++i)
    workers_.emplace_back([this, target] { work(target); });
}

snowflake_partitions::~snowflake_partitions() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  changed_.notify_all();
  for (auto& w : workers_)
    w.join();
}

void snowflake_partitions::work(const snowflake_target& target) {
  snowflake_client client(target);
  for (;;) {
    size_t n = 0;
    {
      std::unique_lock lock(mutex_);
      changed_.wait(lock, [this] {
        return stopping_ || next_ >= count_ || next_ <= consumed_ + window_;
      });
      if (stopping_ || next_ >= count_)
        return;
      n = next_++;
    }
    auto body = client.partition(handle_, n);
    result<packed_rows> data = body ? decode_sf_partition(*body, cells_)
                                    : result<packed_rows>(
                                          snowflake_failure(body.error(), credential_option_));
    {
      std::lock_guard lock(mutex_);
      ready_.emplace(n, std::move(data));
    }
    changed_.notify_all();
  }
}

result<packed_rows> snowflake_partitions::take(size_t n) {
  std::unique_lock lock(mutex_);
  consumed_ = n - 1;  // the reader is done with the one before
  changed_.notify_all();
  changed_.wait(lock, [this, n] { return ready_.count(n) != 0; });
  auto it = ready_.find(n);
  auto data = std::move(it->second);
  ready_.erase(it);
  consumed_ = n;
  lock.unlock();
  changed_.notify_all();
  return data;
}

}  // namespace backflow
