// Klaviyo profiles: Bulk Import Profiles jobs polled to per-profile import errors, and list
// membership for audience syncs (see docs/connectors/klaviyo.md).
#pragma once

#include <chrono>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "connectors/destinations/registry.hpp"

namespace backflow {

/// Upserts profiles by the sync key (email, phone_number or external_id) through
/// `POST /api/profile-bulk-import-jobs` (10,000 profiles per batch, split into jobs of at most
/// 5 MB), polls each job until it is complete, and rejects the profiles its import errors name. With `list_id` the job also adds
/// the profiles to that list; audience syncs remove members whose row left: their profile ids
/// looked up by identifier (`GET /api/profiles?filter=any(...)`, 100 at a time), then
/// `DELETE /api/lists/{id}/relationships/profiles`. Import job ids are checkpointed once Klaviyo
/// accepted them, so a crash polls them again instead of importing twice.
class klaviyo_destination final : public destination {
 public:
  explicit klaviyo_destination(const destination_context& ctx);

  static destination_type type();

  [[nodiscard]] size_t batch_size(delivery_op op) const override;
  /// The job's submission (upserts) or the profile lookup that starts a removal (removes).
  [[nodiscard]] http_request build_request(const delivery_batch& batch) const override;
  /// A submission answered as already complete without failures; anything else is retried
  /// (imports and removals are read as jobs only).
  [[nodiscard]] batch_verdict interpret(const delivery_batch& batch,
                                        const http_response& response) const override;
  [[nodiscard]] std::string account() const override;
  [[nodiscard]] rate_limit_spec rate_limits() const override;

  [[nodiscard]] size_t job_size(delivery_op op, uint64_t pending) const override;
  [[nodiscard]] std::unique_ptr<delivery_job> make_job(const delivery_batch& batch) const override;
  [[nodiscard]] std::unique_ptr<delivery_job> resume_job(const delivery_batch& batch,
                                                         const std::string& checkpoint) const override;

  /// A request to `target` (a path under the base URL, or an absolute `links.next` URL) with the
  /// API key and revision headers.
  [[nodiscard]] http_request request(const std::string& method, const std::string& target,
                                     std::string body = {}) const;
  /// What a non-2xx answer means for a batch of `n` records (JSON:API `errors[]`).
  [[nodiscard]] batch_verdict classify_error(const http_response& response, size_t n) const;

  [[nodiscard]] const std::string& identifier() const { return identifier_; }
  [[nodiscard]] const std::string& list_id() const { return list_id_; }
  [[nodiscard]] std::chrono::milliseconds poll_initial() const { return poll_initial_; }
  [[nodiscard]] std::chrono::milliseconds poll_max() const { return poll_max_; }

 private:
  std::string url_;
  std::string api_key_;
  std::string revision_;
  std::string identifier_;  ///< the profile attribute the sync key fills
  std::string list_id_;     ///< audience: the list whose members the model's rows are
  size_t batch_size_;
  std::chrono::milliseconds poll_initial_;
  std::chrono::milliseconds poll_max_;
  double per_minute_;
};

/// The Bulk Import Profiles body for `batch`: one profile per record, the key in
/// `identifier`, standard attributes (first_name, location.city, ...) by name, every other field
/// under `properties` (a `properties.` prefix is dropped); NULL is sent as "" (the job cannot
/// clear with null), numbers exact; with `list_id`, the job adds the profiles to that list.
std::string klaviyo_import_body(const delivery_batch& batch, const std::string& identifier,
                                const std::string& list_id);

/// The record ranges [from, to) of `batch` whose import bodies stay within `max_bytes` (a
/// profile larger than that alone is a chunk of its own); one range when the batch fits.
std::vector<std::pair<size_t, size_t>> klaviyo_chunks(const delivery_batch& batch,
                                                      const std::string& identifier,
                                                      const std::string& list_id,
                                                      size_t max_bytes);

/// A profile-bulk-import-job resource as an answer shows it.
struct klaviyo_job_state {
  std::string id;
  std::string status;  ///< queued, processing, complete, cancelled, failed ("" when unreadable)
  uint64_t failed_count = 0;
};

/// Reads a job answer (`{"data":{"type":"profile-bulk-import-job","id",...}}`).
klaviyo_job_state read_klaviyo_job(const std::string& body);

/// Reads one page of import errors: each error's `detail` for the record it names (by its
/// identifier in `original_payload`, else the profile index in `source.pointer`), into
/// `rejected` by batch position; returns `links.next` ("" on the last page). `unmatched`
/// counts errors that name no record of the batch.
std::string read_klaviyo_errors(const delivery_batch& batch, const std::string& identifier,
                                const std::string& body, std::map<size_t, std::string>& rejected,
                                size_t& unmatched);

/// Reads one page of profiles (Get Profiles): the id of each record whose identifier it lists,
/// into `ids` by batch position; returns `links.next` ("" on the last page).
std::string read_klaviyo_profiles(const delivery_batch& batch, const std::string& identifier,
                                  const std::string& body, std::map<size_t, std::string>& ids);

}  // namespace backflow
