// The Marketo Engage emulator: identity tokens that expire, leads synced by any lookup field,
// deletes, static list membership, and Marketo's throttles as HTTP 200 answers with
// success:false (606, 607, 615).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "emulators/emulator.hpp"
#include "emulators/rate_window.hpp"
#include "emulators/registry.hpp"

namespace backflow::emulators {

/// `GET /identity/oauth/token` (client credentials; the live token again, with its remaining
/// lifetime, until it expires), `POST /rest/v1/leads.json` (sync: createOrUpdate, updateOnly,
/// createOnly by lookupField), `GET /rest/v1/leads.json` or `POST ...?_method=GET` (query by
/// filterType/filterValues), `POST /rest/v1/leads/delete.json`, and the membership of the static
/// lists named by `--lists`: `POST` (add) and `DELETE` (remove) `/rest/v1/lists/{id}/leads.json`
/// with lead ids (`{"input":[{"id":N}]}` or `?id=N&id=M`), answered per lead (added, removed,
/// skipped 1004 lead not found, 1015 not in list); an unknown list is a 1013. Every REST call needs
/// `Authorization: Bearer <token>` (600/601/602 otherwise, uncounted), then passes the limits:
/// concurrent calls (615), calls per rolling 20 s (606), calls per day (607).
/// Extra control endpoint: GET|POST /__emulator/marketo, `{"expire_tokens":true}` expires every
/// token now; both answer `{"tokens_issued","tokens","throttled":{"606":N,...}}`.
class marketo_emulator final : public emulator {
 public:
  static emulator_type type();

  marketo_emulator(std::string client_id, std::string client_secret,
                   std::chrono::seconds token_ttl, std::int64_t work_ms,
                   const std::set<std::int64_t>& lists);

  [[nodiscard]] std::string name() const override { return "marketo"; }
  api_response handle(const httplib::Request& req, const limits& current) override;
  void describe(const httplib::Request& req, api_response& out) const override;
  [[nodiscard]] nlohmann::json records(const httplib::Request& req) const override;
  void reset() override;
  bool control(const std::string& name, const httplib::Request& req,
               httplib::Response& res) override;
  /// Edits or deletes the lead a field's value matches, behind the client's back
  /// (marketo_edit.cpp).
  int edit_record(const nlohmann::json& edit, std::string& error) override;

 private:
  using clock = std::chrono::steady_clock;
  struct lead {
    std::int64_t id = 0;
    nlohmann::json fields = nlohmann::json::object();
    bool deleted = false;
  };

  api_response token(const httplib::Request& req);
  /// The 60x answer for a call without a live token, or status 0 when the token is good.
  [[nodiscard]] api_response check_token(const httplib::Request& req) const;
  /// The 606/607 answer when a limit refuses the call, or status 0 (the call is counted).
  api_response admit(const limits& current);
  api_response sync(const nlohmann::json& body);
  api_response query(const httplib::Params& params) const;
  api_response remove(const nlohmann::json& body);
  /// Adds (`add`) or removes lead ids (JSON ids or their text) to or from static list `list`.
  api_response membership(std::int64_t list, bool add, const std::vector<nlohmann::json>& ids);
  /// Live leads whose `field` equals `value` (emails compare case-insensitively).
  [[nodiscard]] std::vector<std::int64_t> matching(const std::string& field,
                                                   const nlohmann::json& value) const;
  /// Adds a written lead's values to the indexes of the fields looked up so far.
  void index_lead(const lead& l);

  std::string client_id_;
  std::string client_secret_;
  std::chrono::seconds token_ttl_;
  std::int64_t work_ms_;
  std::atomic<std::int64_t> in_flight_{0};
  mutable std::mutex mutex_;  ///< guards everything below
  std::map<std::string, clock::time_point> tokens_;  ///< token → expiry
  std::string live_token_;
  std::int64_t tokens_issued_ = 0;
  std::map<std::string, std::int64_t> throttled_;  ///< 606/607/615 answers given, by code
  rate_window per_20s_{std::chrono::seconds(20)};
  std::int64_t calls_today_ = 0;
  std::map<std::int64_t, lead> leads_;
  std::map<std::int64_t, std::set<std::int64_t>> lists_;  ///< static list → its members' lead ids
  /// field → its (folded) values → lead ids, built on a field's first lookup; entries are
  /// candidates, checked against the lead (values change, leads are deleted).
  mutable std::map<std::string, std::unordered_multimap<std::string, std::int64_t>> index_;
  std::int64_t next_id_ = 1001;
};

}  // namespace backflow::emulators
