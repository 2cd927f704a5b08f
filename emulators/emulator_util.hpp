// Small helpers shared by the emulators: JSON replies, bearer auth, timestamps, correlation ids.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <httplib.h>
#include <nlohmann/json.hpp>

namespace backflow::emulators {

/// The vendors' JSON content type. The charset suffix also keeps httplib from compressing
/// answers (brotli at its default quality would cost more than everything else together).
inline constexpr const char* json_content_type = "application/json;charset=utf-8";

/// Sets `res` to `status` with `body` serialised as JSON.
void reply_json(httplib::Response& res, int status, const nlohmann::json& body);

/// Milliseconds since the Unix epoch, now.
std::int64_t now_ms();

/// Formats milliseconds since the epoch as ISO-8601 UTC ("2024-05-01T12:00:00.123Z").
std::string format_iso(std::int64_t epoch_ms);

/// A random, uuid-shaped id for vendor error bodies.
std::string correlation_id();

/// Compares two secrets in time independent of where they differ.
bool constant_time_equal(std::string_view a, std::string_view b);

/// True when the request carries `Authorization: Bearer <token>`.
bool has_bearer_token(const httplib::Request& req, std::string_view token);

/// ASCII lowercase copy.
std::string to_lower(std::string_view text);

/// An API version in a path: "v59.0", "v19.0" (a 'v', digits, a dot, digits).
bool is_api_version(std::string_view text);

/// The text form of a JSON scalar: strings as is, numbers and booleans as printed, null as "".
std::string scalar_text(const nlohmann::json& value);

}  // namespace backflow::emulators
