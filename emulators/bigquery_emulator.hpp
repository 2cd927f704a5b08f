// The BigQuery REST API v2 emulator: queries run on a real SQLite file, results in pages.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "emulators/bigquery_sql.hpp"
#include "emulators/emulator.hpp"
#include "emulators/registry.hpp"
#include "pipelines/core/jwt.hpp"

namespace backflow::emulators {

/// Serves POST /token (a service-account JWT assertion, RS256-verified against --public-key,
/// with aud, scope, iat and exp checked, exchanged for an access token), and with a valid
/// bearer token: POST /bigquery/v2/projects/{p}/queries (jobs.query),
/// GET /bigquery/v2/projects/{p}/queries/{jobId} (getQueryResults, pageToken paging) and
/// POST /bigquery/v2/projects/{p}/jobs/{jobId}/cancel. A job answers jobComplete false to its
/// first --pending-polls calls. GET /__emulator/records lists the jobs.
class bigquery_emulator final : public emulator {
 public:
  struct settings {
    std::string database = ":memory:";
    std::optional<rsa_public_key> public_key;
    std::vector<std::string> tokens;  ///< accepted as they are, never expire
    std::size_t page_rows = 10000;
    int pending_polls = 0;
    std::int64_t token_lifetime_s = 3600;
  };

  /// Its registry entry: name, options, factory.
  static emulator_type type();

  explicit bigquery_emulator(settings s) : settings_(std::move(s)) {}

  [[nodiscard]] std::string name() const override { return "bigquery"; }
  api_response handle(const httplib::Request& req, const limits& current) override;
  void describe(const httplib::Request& req, api_response& out) const override;
  [[nodiscard]] nlohmann::json records(const httplib::Request& req) const override;
  void reset() override;
  bool control(const std::string&, const httplib::Request&, httplib::Response&) override {
    return false;
  }

 private:
  struct job {
    std::string id;
    std::string project;
    std::string location;
    std::string dataset;  ///< defaultDataset.datasetId; recorded, not applied (one SQLite file)
    std::string query;
    std::string auth;
    int polls_left = 0;
    bool cancelled = false;
    bq_result result;
    std::vector<std::uint64_t> pages;  ///< start index of every page served
  };

  api_response token(const httplib::Request& req);
  /// The kind of a good bearer token ("service_account", "access_token"), else nullopt.
  [[nodiscard]] std::optional<std::string> check_bearer(const httplib::Request& req) const;
  api_response query(const httplib::Request& req, const std::string& project,
                     const std::string& auth);
  api_response results(const httplib::Request& req, const std::string& job_id);
  api_response cancel(const std::string& job_id);
  /// The answer for `j` from row `start`, at most `max_rows` rows; jobComplete false while
  /// polls are left. Call with the mutex held.
  std::string page_body(job& j, const char* kind, std::size_t start, std::size_t max_rows);

  settings settings_;
  mutable std::mutex mutex_;
  std::map<std::string, std::int64_t> issued_;  ///< access token → expiry (ms)
  std::set<std::string> read_only_;  ///< issued for the bigquery.readonly scope only
  std::map<std::string, std::shared_ptr<job>> jobs_;
  std::vector<std::string> order_;
};

}  // namespace backflow::emulators
