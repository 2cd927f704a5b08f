// Parsing and validation of Meta Custom Audience user batches: envelope, schema, rows, identities.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <httplib.h>
#include <nlohmann/json.hpp>

namespace backflow::emulators {

/// The most rows one users request may carry.
inline constexpr std::size_t meta_max_rows = 10'000;

/// A Graph API error, answered as {"error":{"message","type","code","error_subcode",...}}.
struct meta_error {
  explicit meta_error(std::string message_, int code_ = 100, int subcode_ = 0,
                      std::string type_ = "OAuthException")
      : message(std::move(message_)), code(code_), subcode(subcode_), type(std::move(type_)) {}

  std::string message;
  int code;
  int subcode;  ///< 0: none
  std::string type;
};

/// The Graph API error body for `e`, with a fresh fbtrace_id.
std::string meta_error_body(const meta_error& e);

/// What a users request carries before validation: token, payload and session, from the query,
/// a form-encoded body or a JSON body (payload and session as objects or as JSON strings).
struct meta_envelope {
  std::string access_token;         ///< "" when the request has none (see also Authorization)
  nlohmann::json payload;           ///< null when absent
  nlohmann::json session;           ///< null when absent
  std::optional<meta_error> error;  ///< a body or parameter that is not valid JSON
};

/// Reads the envelope of a users request.
meta_envelope read_envelope(const httplib::Request& req);

/// The client's session parameter, when it sent one.
struct meta_session {
  bool present = false;
  std::optional<std::int64_t> id;  ///< nullopt: the emulator picks one
  std::int64_t batch_seq = 0;
  bool last_batch = false;
  std::int64_t estimated_total = 0;
};

/// A validated batch: the identities of its valid rows, counts and samples of invalid ones.
struct meta_batch {
  std::vector<std::string> identities;  ///< see encode_identity; one per valid row
  std::size_t received = 0;
  std::size_t invalid = 0;
  nlohmann::json samples = nlohmann::json::object();  ///< value → reason, at most 10
  meta_session session;
  std::optional<meta_error> error;  ///< the whole request fails; nothing is applied
};

/// Validates payload {"schema": key | [keys], "data": [...]} and the session. Whole-request
/// errors (code 100): missing or malformed payload, unknown or repeated schema keys, more than
/// 10,000 rows, a row whose length differs from the schema. Rows with a malformed value or
/// without any value are counted invalid, not applied.
meta_batch validate_batch(const meta_envelope& envelope);

/// Appends the identity of an encoded row as JSON text: {"EMAIL":"<hex>","EXTERN_ID":"…"}.
void append_identity_json(std::string& out, std::string_view identity);

/// Appends `text` (valid UTF-8) as a JSON string literal.
void append_json_string(std::string& out, std::string_view text);

}  // namespace backflow::emulators
