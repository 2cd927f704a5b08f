// The connector interface: turn a batch into an HTTP request and a response into outcomes.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "pipelines/delivery/access_token.hpp"
#include "pipelines/delivery/delivery_job.hpp"
#include "pipelines/delivery/http.hpp"
#include "pipelines/delivery/rate_limit_spec.hpp"
#include "pipelines/delivery/read_back.hpp"
#include "pipelines/delivery/record.hpp"

namespace backflow {

/// How a sync treats the model's changes (see DESIGN.md).
enum class sync_mode : uint8_t { upsert, update, insert, mirror, audience };

const char* to_string(sync_mode m);

/// What a connector is built from: the validated `destination` object and the run it serves.
struct destination_context {
  nlohmann::json options;  ///< validated, defaults applied, env resolved
  std::string sync_name;
  uint64_t run_id = 0;
  sync_mode mode = sync_mode::upsert;
  std::vector<std::string> key_columns;
  std::vector<std::string> mapped_fields;  ///< the mapping's `to` names, when a mapping is given
};

/// A destination connector. Plain C++: it never sleeps, retries, or starts threads;
/// batching, retries, concurrency and rate limiting belong to the delivery layer.
class destination {
 public:
  virtual ~destination() = default;

  /// The largest number of records one request may carry for `op`.
  [[nodiscard]] virtual size_t batch_size(delivery_op op) const = 0;

  /// Whether records with different ops may share one request.
  [[nodiscard]] virtual bool mixes_ops() const { return false; }

  /// The request that delivers `batch` (non-empty; one op unless mixes_ops()).
  [[nodiscard]] virtual http_request build_request(const delivery_batch& batch) const = 0;

  /// What an HTTP answer means for `batch`. Transport failures never reach this.
  [[nodiscard]] virtual batch_verdict interpret(const delivery_batch& batch,
                                                const http_response& response) const = 0;

  /// Rate-limit information in a response (headers); empty by default.
  [[nodiscard]] virtual rate_signal read_rate_signal(const http_response& response) const {
    return {};
  }

  /// For destinations whose records are identified by their own values (an audience member by
  /// its identifiers), the destination id a record with these fields gets once delivered; a
  /// changed record whose identity moved has its old one removed first. nullopt elsewhere.
  [[nodiscard]] virtual std::optional<std::string> identity(
      const std::vector<std::string>& field_names, std::string_view fields) const {
    return std::nullopt;
  }

  /// The account all syncs to this destination share limits with (endpoint + credential digest).
  [[nodiscard]] virtual std::string account() const = 0;

  /// Limits to enforce for the account, from the sync file or the vendor's documented defaults.
  [[nodiscard]] virtual rate_limit_spec rate_limits() const = 0;

  // -- reading back (optional) --------------------------------------------------------------

  /// A request asking which of `batch`'s records already exist, sent before creating records
  /// whose earlier create may have landed (a timeout after the request left, a crash mid-run).
  /// nullopt when the API cannot tell: such records are then reported, never created blindly.
  [[nodiscard]] virtual std::optional<http_request> build_lookup(const delivery_batch& batch) const {
    return std::nullopt;
  }

  /// Reads a lookup's answer: `delivered` (with the destination's id) for records that exist,
  /// `retryable` for records that do not (safe to create now). Transport failures never reach this.
  [[nodiscard]] virtual batch_verdict interpret_lookup(const delivery_batch& batch,
                                                       const http_response& response) const {
    return batch_verdict::whole(batch_verdict::kind::fatal, "this destination cannot look records up");
  }

  // -- drift checks (optional; `backflow verify`) -------------------------------------------

  /// Keys one read-back request may carry; 0 (the default): this destination cannot read its
  /// records back, and `verify` says so.
  [[nodiscard]] virtual size_t read_back_size() const { return 0; }

  /// A request reading the current values of `fields` (the mapping's destination fields) for
  /// `records` (at most read_back_size()). Sent through the same client, limiter and access
  /// token as deliveries. nullopt when none of them can be looked up (e.g. no id kept).
  [[nodiscard]] virtual std::optional<http_request> build_read_back(
      const std::vector<read_back_key>& records, const std::vector<std::string>& fields) const {
    return std::nullopt;
  }

  /// Reads a read-back answer into key → fields (keys the destination does not hold are left
  /// out). Transport failures never reach this.
  [[nodiscard]] virtual read_back_answer read_back(const std::vector<read_back_key>& records,
                                                   const std::vector<std::string>& fields,
                                                   const http_response& response) const {
    read_back_answer a;
    a.fatal = true;
    a.error = "this destination cannot read records back";
    return a;
  }

  /// How the destination stores values, for comparing what it answers with what was sent.
  [[nodiscard]] virtual read_back_rules read_back_rules_of() const { return {}; }

  // -- access tokens (optional) --------------------------------------------------------------

  /// For destinations that authenticate with a short-lived access token fetched from a token
  /// endpoint (OAuth client credentials, refresh tokens): the request that fetches one. The
  /// delivery layer sends it (off the scheduler threads, like every request), caches the token
  /// until it expires, puts it on every request with authorize(), and fetches a new one once when
  /// an answer's verdict says `token_rejected`. nullopt (the default): no token endpoint.
  [[nodiscard]] virtual std::optional<http_request> build_token_request() const {
    return std::nullopt;
  }

  /// Reads the token endpoint's answer (transport failures never reach this); RFC 6749's
  /// token response by default.
  [[nodiscard]] virtual access_grant read_token(const http_response& response) const {
    return read_oauth_token(response);
  }

  /// Puts the access token on a request (its lookups' and jobs' too): `Authorization: Bearer`
  /// by default.
  virtual void authorize(http_request& request, const std::string& token) const {
    request.headers.push_back({"Authorization", "Bearer " + token});
  }

  // -- asynchronous jobs (optional) ----------------------------------------------------------

  /// Records per job when `pending` records of `op` are to be sent in this run; 0 sends them in
  /// ordinary requests. A destination with a bulk API answers non-zero above its threshold.
  [[nodiscard]] virtual size_t job_size(delivery_op op, uint64_t pending) const { return 0; }

  /// A new job delivering `batch` (only called when job_size() said so).
  [[nodiscard]] virtual std::unique_ptr<delivery_job> make_job(const delivery_batch& batch) const {
    return nullptr;
  }

  /// A job resumed from its checkpoint after a crash, for the same records.
  [[nodiscard]] virtual std::unique_ptr<delivery_job> resume_job(
      const delivery_batch& batch, const std::string& checkpoint) const {
    return nullptr;
  }
};

}  // namespace backflow
