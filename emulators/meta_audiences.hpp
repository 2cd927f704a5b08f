// The Meta emulator's custom audiences: membership sets, per-member counters, upload sessions.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "emulators/meta_validation.hpp"

namespace backflow::emulators {

/// Thread-safe audience store. Membership is a set keyed by a row's identity (see
/// meta_validation.hpp); every identity ever seen is kept with its add and remove counts, in
/// first-seen order, in one arena per audience so a million members stay compact.
class meta_audiences {
 public:
  /// Creates `id` (kept when it exists) in ad account `account`.
  void create(const std::string& id, const std::string& account);

  /// The ad account of audience `id`; "" when there is no such audience.
  [[nodiscard]] std::string account_of(const std::string& id) const;

  /// Adds (or removes) the members `identities` of audience `id`; repeats are harmless.
  void apply(const std::string& id, bool add, const std::vector<std::string>& identities);

  /// Counts one batch of an upload session; returns the session id to answer (the client's,
  /// or a fresh one when it sent none).
  std::string track_session(const std::string& id, bool add, const meta_batch& batch);

  /// Current members of audience `id` (0 when there is no such audience).
  [[nodiscard]] std::size_t size(const std::string& id) const;

  /// JSON text {"audiences":{"<id>":{"account","size","members":[...]}}}; `filter` "" for all;
  /// without `members` only the sizes. Written directly: a million members take ~0.2 s.
  [[nodiscard]] std::string records_text(const std::string& filter, bool members) const;

  /// The upload sessions seen, for GET /__emulator/sessions.
  [[nodiscard]] nlohmann::json sessions_json() const;

  /// The audiences with their accounts and sizes, for GET /__emulator/audiences.
  [[nodiscard]] nlohmann::json audiences_json() const;

  /// Forgets everything, then creates `initial` (id, account) audiences, empty.
  void reset(const std::vector<std::pair<std::string, std::string>>& initial);

 private:
  struct member {
    std::uint64_t offset = 0;  ///< of the identity in the arena
    std::uint32_t length = 0;
    std::uint32_t adds = 0;
    std::uint32_t removes = 0;
    bool in = false;
  };

  struct audience {
    std::string account;
    std::string arena;
    std::vector<member> members;
    std::vector<std::uint32_t> slots;  ///< open addressing: member index + 1, 0 when free
    std::size_t size = 0;              ///< current members
  };

  struct session {
    std::string audience;
    std::string operation;  ///< "add" or "remove"
    std::int64_t batches = 0;
    std::int64_t duplicate_batches = 0;
    std::vector<std::int64_t> seqs;  ///< distinct batch_seq values, sorted
    std::int64_t rows = 0;
    std::int64_t invalid = 0;
    bool last_batch_seen = false;
    std::int64_t estimated_total = 0;
  };

  static std::string_view identity(const audience& a, const member& m);
  static member& find_or_insert(audience& a, const std::string& identity);
  static void grow(audience& a);

  mutable std::mutex mutex_;
  std::map<std::string, audience> audiences_;
  std::map<std::pair<std::string, std::int64_t>, session> sessions_;
};

}  // namespace backflow::emulators
