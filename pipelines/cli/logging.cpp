// spdlog set-up for the CLI (see logging.hpp).
#include "pipelines/cli/logging.hpp"

#include <cstdio>
#include <mutex>

#include <spdlog/sinks/base_sink.h>
#include <spdlog/spdlog.h>

#include "pipelines/core/redaction.hpp"

namespace backflow {
namespace {

/// Formats as usual, then scrubs secrets before the line reaches stderr.
class redacting_stderr_sink final : public spdlog::sinks::base_sink<std::mutex> {
 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    spdlog::memory_buf_t formatted;
    formatter_->format(msg, formatted);
    auto line = redact_secrets(std::string(formatted.data(), formatted.size()));
    std::fwrite(line.data(), 1, line.size(), stderr);
  }
  void flush_() override { std::fflush(stderr); }
};

}  // namespace

void init_logging(const std::string& level) {
  auto sink = std::make_shared<redacting_stderr_sink>();
  sink->set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ %n: %v");
  auto level_value = spdlog::level::from_str(level);
  for (const char* name : {"backflow", "deliver", "plan", "serve"}) {
    auto logger = std::make_shared<spdlog::logger>(name, sink);
    logger->set_level(level_value);
    spdlog::drop(name);
    spdlog::register_logger(logger);
  }
  spdlog::set_default_logger(spdlog::get("backflow"));
}

}  // namespace backflow
