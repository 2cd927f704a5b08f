// spdlog set-up for the CLI (see logging.hpp).
#include "pipelines/cli/logging.hpp"

#include <unistd.h>

#include <cctype>
#include <charconv>
#include <cstdio>
#include <ctime>
#include <mutex>

#include <nlohmann/json.hpp>
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

/// The format chosen by the last init_logging call that named one.
std::optional<log_format> chosen_format;

std::string utc_timestamp(spdlog::log_clock::time_point t) {
  auto secs = spdlog::log_clock::to_time_t(t);
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count() % 1000;
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[40];
  auto n = std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  std::snprintf(buf + n, sizeof buf - n, ".%03dZ", static_cast<int>(ms));
  return buf;
}

bool key_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_' || c == '.';
}

/// A whole number as JSON, anything else as a string.
nlohmann::ordered_json typed_value(const std::string& text) {
  int64_t number = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), number);
  if (!text.empty() && ec == std::errc() && end == text.data() + text.size() &&
      (text.size() == 1 || text[0] != '0'))
    return number;
  return text;
}

/// Where the quoted value starting at `from` ends: the first '"' followed by the end of the
/// text or by " key=" (the text's end when there is none).
size_t closing_quote(const std::string& text, size_t from) {
  for (size_t q = text.find('"', from); q != std::string::npos; q = text.find('"', q + 1)) {
    if (q + 1 == text.size())
      return q;
    if (text[q + 1] != ' ')
      continue;
    size_t k = q + 2;
    while (k < text.size() && key_char(text[k]))
      ++k;
    if (k > q + 2 && k < text.size() && text[k] == '=' &&
        std::isalpha(static_cast<unsigned char>(text[q + 2])) != 0)
      return q;
  }
  return text.size();
}

/// Adds the `key=value` and `key="quoted value"` pairs of `text` to `out`.
void add_pairs(const std::string& text, nlohmann::ordered_json& out) {
  size_t i = 0;
  while (i < text.size()) {
    // A key starts a word: at the beginning or after a space.
    if (i > 0 && text[i - 1] != ' ') {
      ++i;
      continue;
    }
    size_t key_end = i;
    while (key_end < text.size() && key_char(text[key_end]))
      ++key_end;
    if (key_end == i || key_end >= text.size() || text[key_end] != '=' ||
        std::isalpha(static_cast<unsigned char>(text[i])) == 0) {
      ++i;
      continue;
    }
    std::string key = text.substr(i, key_end - i);
    size_t pos = key_end + 1;
    std::string value;
    bool quoted = pos < text.size() && text[pos] == '"';
    if (quoted) {
      // The closing quote is the one that ends the text or comes before the next " key=":
      // values quote vendor answers verbatim, JSON quotes and all.
      ++pos;
      auto end = closing_quote(text, pos);
      while (pos < end) {
        if (text[pos] == '\\' && pos + 1 < end && (text[pos + 1] == '"' || text[pos + 1] == '\\'))
          ++pos;
        value += text[pos++];
      }
      pos = end + 1;
    } else {
      while (pos < text.size() && text[pos] != ' ')
        value += text[pos++];
    }
    if (key == "run")
      key = "run_id";
    if (key != "ts" && key != "level" && key != "logger" && key != "msg")
      out[key] = quoted ? nlohmann::ordered_json(value) : typed_value(value);
    i = pos;
  }
}

}  // namespace

std::optional<log_format> parse_log_format(const std::string& text) {
  if (text == "text")
    return log_format::text;
  if (text == "json")
    return log_format::json;
  return std::nullopt;
}

log_format default_log_format() {
  return isatty(STDERR_FILENO) != 0 ? log_format::text : log_format::json;
}

void json_log_formatter::format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) {
  auto text = redact_secrets(std::string(msg.payload.data(), msg.payload.size()));
  auto level = spdlog::level::to_string_view(msg.level);
  nlohmann::ordered_json line = {{"ts", utc_timestamp(msg.time)},
                                 {"level", std::string(level.data(), level.size())},
                                 {"logger", std::string(msg.logger_name.data(), msg.logger_name.size())},
                                 {"msg", text}};
  add_pairs(text, line);
  auto out = line.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
  out += '\n';
  dest.append(out.data(), out.data() + out.size());
}

std::unique_ptr<spdlog::formatter> json_log_formatter::clone() const {
  return std::make_unique<json_log_formatter>();
}

void init_logging(const std::string& level, std::optional<log_format> format) {
  if (format)
    chosen_format = format;
  auto sink = std::make_shared<redacting_stderr_sink>();
  if (chosen_format.value_or(default_log_format()) == log_format::json)
    sink->set_formatter(std::make_unique<json_log_formatter>());
  else
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
