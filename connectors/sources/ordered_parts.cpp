// Fetches the parts of one warehouse result on a few threads (see ordered_parts.hpp).
#include "connectors/sources/ordered_parts.hpp"

#include <algorithm>

namespace backflow {

ordered_parts::ordered_parts(size_t count, size_t in_flight,
                             const std::function<fetcher()>& make_fetcher)
    : count_(count), window_(std::max<size_t>(in_flight, 1)) {
  size_t threads = std::min(window_, count_ > 1 ? count_ - 1 : 0);
  for (size_t i = 0; i < threads; ++i)
    workers_.emplace_back([this, fetch = make_fetcher()] { work(fetch); });
}

ordered_parts::~ordered_parts() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  changed_.notify_all();
  for (auto& w : workers_)
    w.join();
}

void ordered_parts::work(const fetcher& fetch) {
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
    auto rows = fetch(n);
    {
      std::lock_guard lock(mutex_);
      ready_.emplace(n, std::move(rows));
    }
    changed_.notify_all();
  }
}

result<packed_rows> ordered_parts::take(size_t n) {
  std::unique_lock lock(mutex_);
  consumed_ = n - 1;  // the reader is done with the one before
  changed_.notify_all();
  changed_.wait(lock, [this, n] { return ready_.count(n) != 0; });
  auto it = ready_.find(n);
  auto rows = std::move(it->second);
  ready_.erase(it);
  consumed_ = n;
  lock.unlock();
  changed_.notify_all();
  return rows;
}

}  // namespace backflow
