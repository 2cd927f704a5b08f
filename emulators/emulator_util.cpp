// Small helpers shared by the emulators (see emulator_util.hpp).
#include "emulators/emulator_util.hpp"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <random>

namespace backflow::emulators {

void reply_json(httplib::Response& res, int status, const nlohmann::json& body) {
  res.status = status;
  // Replace, not throw on, invalid UTF-8: paths and bodies in the request log are client data.
  res.set_content(body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace),
                  json_content_type);
}

std::int64_t now_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

std::string format_iso(std::int64_t ms) {
  std::time_t seconds = static_cast<std::time_t>(ms / 1000);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char buf[80];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", utc.tm_year + 1900,
                utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec,
                static_cast<int>(ms % 1000));
  return buf;
}

std::string correlation_id() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  out.reserve(36);
  std::uint64_t bits = 0;
  for (int i = 0; i < 32; ++i) {
    if (i % 16 == 0)
      bits = rng();
    if (i == 8 || i == 12 || i == 16 || i == 20)
      out.push_back('-');
    out.push_back(digits[bits & 0xf]);
    bits >>= 4;
  }
  return out;
}

bool constant_time_equal(std::string_view a, std::string_view b) {
  if (a.size() != b.size())
    return false;
  unsigned char diff = 0;
  for (std::size_t i = 0; i < a.size(); ++i)
    diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  return diff == 0;
}

bool has_bearer_token(const httplib::Request& req, std::string_view token) {
  static constexpr std::string_view prefix = "Bearer ";
  const auto& value = req.get_header_value("Authorization");
  if (value.size() <= prefix.size() || to_lower(value.substr(0, prefix.size())) != "bearer ")
    return false;
  return constant_time_equal(std::string_view(value).substr(prefix.size()), token);
}

bool is_api_version(std::string_view text) {
  auto dot = text.find('.');
  auto digits = [&](std::size_t from, std::size_t to) {
    return to > from && std::all_of(text.begin() + static_cast<long>(from),
                                    text.begin() + static_cast<long>(to),
                                    [](char c) { return c >= '0' && c <= '9'; });
  };
  return text.size() >= 4 && text.size() <= 8 && text[0] == 'v' && dot != std::string_view::npos &&
         digits(1, dot) && digits(dot + 1, text.size());
}

std::string to_lower(std::string_view text) {
  std::string out(text);
  for (auto& c : out)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string scalar_text(const nlohmann::json& value) {
  if (value.is_string())
    return value.get<std::string>();
  if (value.is_null())
    return {};
  return value.dump();
}

}  // namespace backflow::emulators
