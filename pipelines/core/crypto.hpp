// Hashing and encoding helpers backed by OpenSSL: SHA-256, HMAC-SHA256, base64, hex.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace backflow {

/// SHA-256 of `data` as 64 lowercase hex characters.
std::string sha256_hex(std::string_view data);

/// Raw 32-byte HMAC-SHA256 of `message` under `key`.
std::string hmac_sha256(std::string_view key, std::string_view message);

std::string base64_encode(std::string_view bytes);
/// Decodes standard base64 (with padding); nullopt on malformed input.
std::optional<std::string> base64_decode(std::string_view text);

std::string hex_encode(std::string_view bytes);

/// The value of one hex digit (either case), or -1.
constexpr int hex_digit_value(char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

/// `bytes` random bytes from OpenSSL's CSPRNG, as lowercase hex (2 × `bytes` characters).
std::string random_hex(size_t bytes);

/// True when `s` is exactly 64 hex digits (an already-hashed SHA-256 value).
bool is_sha256_hex(std::string_view s);

/// The Standard Webhooks signature header value: "v1,<base64 HMAC-SHA256>" of
/// "id.timestamp.body" (the webhook destination and run notifications sign with it). A secret
/// starting with "whsec_" is base64 after the prefix; any other secret is used as raw bytes.
std::string standard_webhook_signature(const std::string& secret, const std::string& id,
                                       const std::string& timestamp, const std::string& body);

}  // namespace backflow
