// spdlog set-up for the CLI: stderr, key=value text lines on a terminal, JSON lines otherwise;
// secrets scrubbed.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include <spdlog/formatter.h>

namespace backflow {

/// How log lines look: human text, or one JSON object per line for log shippers.
enum class log_format { text, json };

/// "text" or "json"; nullopt for anything else.
[[nodiscard]] std::optional<log_format> parse_log_format(const std::string& text);

/// JSON when stderr is not a terminal (journald, files, containers), text when it is.
[[nodiscard]] log_format default_log_format();

/// Installs the default logger (stderr) and the named component loggers at `level`
/// ("debug", "info", "warn", "error", "off"). Every line passes through redact_secrets.
/// Without `format`, the format of the previous call is kept (default_log_format() at first),
/// so a command may change the level without undoing `--log-format`.
void init_logging(const std::string& level, std::optional<log_format> format = std::nullopt);

/// Formats a log message as one JSON object per line:
/// {"ts","level","logger","msg", then the message's key=value pairs as fields}.
///
/// Messages follow the house style `Capitalised text: key=value key2="quoted value"`. Every
/// pair becomes a field (whole numbers as JSON numbers, the rest as strings, quotes removed), so
/// `sync=` and `run=` give every line that names them "sync" and "run_id" fields ("run" is
/// renamed "run_id"). Keys that would shadow ts, level, logger or msg are dropped. "msg" keeps
/// the whole message. Secrets are scrubbed before the line is built.
class json_log_formatter final : public spdlog::formatter {
 public:
  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override;
  [[nodiscard]] std::unique_ptr<spdlog::formatter> clone() const override;
};

}  // namespace backflow
