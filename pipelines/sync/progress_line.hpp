// The one-line progress display on a terminal: rows read, records sent, rate, ETA.
#pragma once

#include <chrono>
#include <string>

#include "actors/run_progress.hpp"

namespace backflow {

class progress_line {
 public:
  /// Draws only when `enabled` (stderr is a terminal and --json is off).
  explicit progress_line(bool enabled) : enabled_(enabled) {}

  void planning(const run_progress& p);
  void applying(const run_progress& p);
  /// Erases the line.
  void clear();

 private:
  void draw(const std::string& text);

  bool enabled_;
  bool drawn_ = false;
  std::chrono::steady_clock::time_point apply_started_{};
  std::chrono::steady_clock::time_point plan_started_{};
};

}  // namespace backflow
