// Fetches a Databricks result's chunks on a few threads (see databricks_chunks.hpp).
#include "connectors/sources/databricks_chunks.hpp"

namespace backflow {

databricks_chunks::databricks_chunks(const databricks_target& target, std::string statement_id,
                                     size_t count, size_t in_flight, std::vector<db_cell> cells)
    : statement_id_(std::move(statement_id)),
      cells_(std::move(cells)),
      credential_option_(target.auth->credential_option()),
      count_(count),
      window_(std::max<size_t>(in_flight, 1)) {
  size_t threads = std::min(window_, count_ > 1 ? count_ - 1 : 0);
  for (size_t i = 0; i < threads; ++i)
    workers_.emplace_back([this, target] { work(target); });
}

databricks_chunks::~databricks_chunks() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  changed_.notify_all();
  for (auto& w : workers_)
    w.join();
}

void databricks_chunks::work(const databricks_target& target) {
  databricks_client client(target);
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
    auto rows = client.chunk(statement_id_, n, cells_);
    if (!rows)
      rows = databricks_failure(rows.error(), credential_option_);
    {
      std::lock_guard lock(mutex_);
      ready_.emplace(n, std::move(rows));
    }
    changed_.notify_all();
  }
}

result<packed_rows> databricks_chunks::take(size_t n) {
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
