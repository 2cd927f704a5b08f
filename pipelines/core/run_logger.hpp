// A logger for one run: every line it writes ends with the run's `sync=NAME run=ID`, so the
// lines of concurrent runs (and their JSON "sync" and "run_id" fields) can be told apart.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <utility>

#include <spdlog/spdlog.h>

namespace backflow {

class run_logger {
 public:
  /// The default logger, without a run (for actors used outside a sync run, e.g. in tests).
  run_logger() : base_(spdlog::default_logger()) {}
  /// `base` (the default logger if null), tagged with the run. Sync names hold no spaces.
  run_logger(std::shared_ptr<spdlog::logger> base, const std::string& sync, uint64_t run_id)
      : base_(base ? std::move(base) : spdlog::default_logger()),
        tag_(" sync=" + sync + " run=" + std::to_string(run_id)) {}

  template <class... Args>
  void debug(fmt::format_string<Args...> text, Args&&... args) const {
    write(spdlog::level::debug, text, std::forward<Args>(args)...);
  }
  template <class... Args>
  void info(fmt::format_string<Args...> text, Args&&... args) const {
    write(spdlog::level::info, text, std::forward<Args>(args)...);
  }
  template <class... Args>
  void warn(fmt::format_string<Args...> text, Args&&... args) const {
    write(spdlog::level::warn, text, std::forward<Args>(args)...);
  }
  template <class... Args>
  void error(fmt::format_string<Args...> text, Args&&... args) const {
    write(spdlog::level::err, text, std::forward<Args>(args)...);
  }

  /// " sync=NAME run=ID" (empty without a run), for messages built elsewhere.
  [[nodiscard]] const std::string& tag() const { return tag_; }

 private:
  template <class... Args>
  void write(spdlog::level::level_enum level, fmt::format_string<Args...> text, Args&&... args) const {
    if (base_->should_log(level))
      base_->log(level, "{}{}", fmt::format(text, std::forward<Args>(args)...), tag_);
  }

  std::shared_ptr<spdlog::logger> base_;
  std::string tag_;
};

}  // namespace backflow
