// The one-line progress display on a terminal (see progress_line.hpp).
#include "pipelines/sync/progress_line.hpp"

#include <cstdio>

namespace backflow {

void progress_line::draw(const std::string& text) {
  if (!enabled_)
    return;
  std::fprintf(stderr, "\r\033[K%s", text.c_str());
  std::fflush(stderr);
  drawn_ = true;
}

void progress_line::clear() {
  if (enabled_ && drawn_)
    std::fprintf(stderr, "\r\033[K");
  drawn_ = false;
}

void progress_line::planning(const run_progress& p) {
  auto now = std::chrono::steady_clock::now();
  if (plan_started_ == std::chrono::steady_clock::time_point{})
    plan_started_ = now;
  double secs = std::chrono::duration<double>(now - plan_started_).count();
  auto rows = p.extracted.load();
  char buf[160];
  std::snprintf(buf, sizeof buf, "planning: %llu rows read (%.0f rows/s)",
                static_cast<unsigned long long>(rows), secs > 0 ? static_cast<double>(rows) / secs : 0.0);
  draw(buf);
}

void progress_line::applying(const run_progress& p) {
  auto now = std::chrono::steady_clock::now();
  if (apply_started_ == std::chrono::steady_clock::time_point{})
    apply_started_ = now;
  double secs = std::chrono::duration<double>(now - apply_started_).count();
  auto done = p.settled.load();
  auto total = p.to_apply.load();
  double rate = secs > 0 ? static_cast<double>(done) / secs : 0.0;
  double eta = rate > 0 && total > done ? static_cast<double>(total - done) / rate : 0.0;
  char buf[200];
  std::snprintf(buf, sizeof buf,
                "applying: %llu/%llu settled (%llu delivered, %llu rejected), %llu API calls, "
                "%.0f rec/s, ETA %.0fs",
                static_cast<unsigned long long>(done), static_cast<unsigned long long>(total),
                static_cast<unsigned long long>(p.delivered.load()),
                static_cast<unsigned long long>(p.rejected.load()),
                static_cast<unsigned long long>(p.api_calls.load()), rate, eta);
  draw(buf);
}

}  // namespace backflow
