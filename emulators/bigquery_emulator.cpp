// The BigQuery REST API v2 emulator (see bigquery_emulator.hpp).
#include "emulators/bigquery_emulator.hpp"

#include "emulators/emulator_util.hpp"
#include "emulators/sqlite_writes.hpp"
#include "pipelines/core/crypto.hpp"
#include "pipelines/core/file_bytes.hpp"

namespace backflow::emulators {
namespace {

constexpr std::string_view bq_api_prefix = "/bigquery/v2/projects/";

/// Google's JSON error body: {"error":{"code","message","errors":[{reason,...}],"status"}}.
api_response bq_google_error(int status, const std::string& reason, const std::string& message) {
  static const std::map<int, const char*> statuses = {
      {400, "INVALID_ARGUMENT"}, {401, "UNAUTHENTICATED"}, {403, "PERMISSION_DENIED"},
      {404, "NOT_FOUND"},        {405, "METHOD_NOT_ALLOWED"}, {500, "INTERNAL"}};
  auto named = statuses.find(status);
  api_response out;
  out.status = status;
  out.body = nlohmann::json{{"error",
                             {{"code", status},
                              {"message", message},
                              {"errors", {{{"message", message},
                                           {"domain", "global"},
                                           {"reason", reason}}}},
                              {"status", named == statuses.end() ? "UNKNOWN" : named->second}}}}
                 .dump();
  return out;
}

api_response bq_oauth_error(const std::string& error, const std::string& description) {
  api_response out;
  out.status = 400;
  out.body = nlohmann::json{{"error", error}, {"error_description", description}}.dump();
  return out;
}

/// The parts of /bigquery/v2/projects/{p}/<rest> after the prefix, split at '/'.
std::vector<std::string> bq_path_parts(const std::string& path) {
  std::vector<std::string> parts;
  std::string rest = path.substr(bq_api_prefix.size());
  size_t start = 0;
  for (size_t slash; (slash = rest.find('/', start)) != std::string::npos; start = slash + 1)
    parts.push_back(rest.substr(start, slash - start));
  parts.push_back(rest.substr(start));
  return parts;
}

std::size_t bq_number_param(const httplib::Request& req, const char* name, std::size_t fallback) {
  if (!req.has_param(name))
    return fallback;
  return std::strtoull(req.get_param_value(name).c_str(), nullptr, 10);
}

}  // namespace

emulator_type bigquery_emulator::type() {
  emulator_type t;
  t.name = "bigquery";
  t.summary = "the BigQuery REST API v2 and Google's token endpoint, running queries on a SQLite file";
  t.sources = {"bigquery"};
  t.options = {
      {"--database", "FILE", "the SQLite file queries run on (default :memory:); a created dataset is the file FILE.DATASET"},
      {"--public-key", "FILE", "PEM public key that service-account JWT assertions must verify against"},
      {"--token", "T", "an accepted access token that never expires", true},
      {"--page-rows", "N", "rows per result page at most (default 10000)"},
      {"--pending-polls", "N", "answer jobComplete false to a job's first N calls (default 0)"},
      {"--token-lifetime", "S", "expires_in of issued access tokens, seconds (default 3600)"},
  };
  t.make = [](const emulator_settings& s) -> result<std::unique_ptr<emulator>> {
    settings out;
    out.database = s.value("--database", ":memory:");
    if (auto file = s.value("--public-key", ""); !file.empty()) {
      auto pem = file_bytes(file);
      if (!pem)
        return failure{"--public-key: cannot read " + file};
      auto key = rsa_public_key::from_pem(*pem);
      if (!key)
        return failure{"--public-key: " + key.error().message};
      out.public_key = std::move(*key);
    }
    out.tokens = s.all("--token");
    out.page_rows = std::stoul(s.value("--page-rows", "10000"));
    out.pending_polls = std::stoi(s.value("--pending-polls", "0"));
    out.token_lifetime_s = std::stoll(s.value("--token-lifetime", "3600"));
    if (out.page_rows == 0)
      return failure{"--page-rows: must be at least 1"};
    return std::unique_ptr<emulator>(std::make_unique<bigquery_emulator>(std::move(out)));
  };
  return t;
}

void bigquery_emulator::describe(const httplib::Request& req, api_response& out) const {
  out.inputs = 1;
  if (req.path.rfind(bq_api_prefix, 0) != 0) {
    out.endpoint = req.method + " " + req.path;
    return;
  }
  auto parts = bq_path_parts(req.path);
  std::string endpoint = std::string(bq_api_prefix) + "{projectId}";
  if (parts.size() >= 2)
    endpoint += "/" + parts[1];
  if (parts.size() >= 3)
    endpoint += "/{jobId}";
  if (parts.size() >= 4)
    endpoint += "/" + parts[3];
  out.endpoint = req.method + " " + endpoint;
}

api_response bigquery_emulator::token(const httplib::Request& req) {
  if (req.get_param_value("grant_type") != "urn:ietf:params:oauth:grant-type:jwt-bearer")
    return bq_oauth_error("unsupported_grant_type", "Invalid grant_type: " +
                                                     req.get_param_value("grant_type"));
  if (!settings_.public_key)
    return bq_oauth_error("invalid_grant", "Invalid JWT Signature.");
  auto claims = verify_rs256_jwt(req.get_param_value("assertion"), *settings_.public_key);
  if (!claims)
    return bq_oauth_error("invalid_grant", "Invalid JWT Signature.");
  const auto& c = *claims;
  const std::int64_t now = now_ms() / 1000;
  const std::string audience = "http://" + req.get_header_value("Host") + req.path;
  if (c.value("aud", "") != audience)
    return bq_oauth_error("invalid_grant", "Invalid JWT: aud must be " + audience);
  if (!c.contains("iat") || !c["iat"].is_number_integer() || !c.contains("exp") ||
      !c["exp"].is_number_integer())
    return bq_oauth_error("invalid_grant", "Invalid JWT: iat and exp are required");
  const auto iat = c["iat"].get<std::int64_t>();
  const auto exp = c["exp"].get<std::int64_t>();
  if (exp <= now || iat > now + 60 || exp - iat > 3600)
    return bq_oauth_error("invalid_grant",
                       "Invalid JWT: Token must be a short-lived token (60 minutes) and in a "
                       "reasonable timeframe. Check your iat and exp values in the JWT claim.");
  const std::string scope = c.value("scope", "");
  if (c.value("iss", "").empty() || (scope.find("auth/bigquery") == std::string::npos &&
                                     scope.find("auth/cloud-platform") == std::string::npos))
    return bq_oauth_error("invalid_scope", "Invalid OAuth scope or ID token audience provided.");
  std::string access = "ya29.emu-" + random_hex(24);
  {
    std::lock_guard lock(mutex_);
    issued_[access] = now_ms() + settings_.token_lifetime_s * 1000;
    if (scope.find("auth/bigquery.readonly") != std::string::npos &&
        scope.find("auth/cloud-platform") == std::string::npos)
      read_only_.insert(access);
  }
  api_response out;
  out.body = nlohmann::json{{"access_token", access},
                            {"expires_in", settings_.token_lifetime_s},
                            {"token_type", "Bearer"}}
                 .dump();
  return out;
}

std::optional<std::string> bigquery_emulator::check_bearer(const httplib::Request& req) const {
  const std::string header = req.get_header_value("Authorization");
  if (header.rfind("Bearer ", 0) != 0)
    return std::nullopt;
  const std::string token = header.substr(7);
  for (const auto& t : settings_.tokens)
    if (constant_time_equal(t, token))
      return "access_token";
  std::lock_guard lock(mutex_);
  auto it = issued_.find(token);
  if (it != issued_.end() && it->second > now_ms())
    return "service_account";
  return std::nullopt;
}

api_response bigquery_emulator::handle(const httplib::Request& req, const limits&) {
  api_response out;
  describe(req, out);
  api_response answer;
  if (req.path == "/token" && req.method == "POST") {
    answer = token(req);
  } else if (req.path.rfind(bq_api_prefix, 0) != 0) {
    answer = bq_google_error(404, "notFound", "Not found: " + req.path);
  } else if (auto auth = check_bearer(req); !auth) {
    answer = bq_google_error(401, "authError",
                          "Request had invalid authentication credentials. Expected OAuth 2 "
                          "access token, login cookie or other valid authentication credential.");
  } else {
    auto parts = bq_path_parts(req.path);
    if (parts.size() == 2 && parts[1] == "queries" && req.method == "POST")
      answer = query(req, parts[0], *auth);
    else if (parts.size() == 3 && parts[1] == "queries" && req.method == "GET")
      answer = results(req, parts[2]);
    else if (parts.size() == 4 && parts[1] == "jobs" && parts[3] == "cancel" && req.method == "POST")
      answer = cancel(parts[2]);
    else
      answer = bq_google_error(404, "notFound", "Not found: " + req.method + " " + req.path);
  }
  answer.endpoint = out.endpoint;
  answer.inputs = out.inputs;
  return answer;
}

api_response bigquery_emulator::query(const httplib::Request& req, const std::string& project,
                                      const std::string& auth) {
  auto body = nlohmann::json::parse(req.body, nullptr, false);
  if (!body.is_object() || !body.contains("query") || !body["query"].is_string())
    return bq_google_error(400, "invalid", "Required parameter is missing: query");
  if (body.value("useLegacySql", true))
    return bq_google_error(400, "invalidQuery",
                        "The emulator runs standard SQL only: set useLegacySql to false");
  const std::string verb = first_word(body["query"].get<std::string>());
  static const std::set<std::string> writes = {"INSERT", "UPDATE", "DELETE", "MERGE",
                                               "CREATE", "DROP",   "ALTER",  "TRUNCATE"};
  if (writes.count(verb) != 0) {  // a bigquery.readonly token may only read
    std::lock_guard lock(mutex_);
    if (read_only_.count(req.get_header_value("Authorization").substr(7)) != 0)
      return bq_google_error(403, "insufficientPermissions",
                             "Request had insufficient authentication scopes.");
  }
  bool int64_ts = body.contains("formatOptions") && body["formatOptions"].is_object() &&
                  body["formatOptions"].value("useInt64Timestamp", false);
  auto j = std::make_shared<job>();
  j->id = "job_" + random_hex(12);
  j->project = project;
  j->location = body.value("location", "US");
  if (body.contains("defaultDataset") && body["defaultDataset"].is_object())
    j->dataset = body["defaultDataset"].value("datasetId", "");
  j->query = body["query"].get<std::string>();
  j->auth = auth;
  j->polls_left = settings_.pending_polls;
  bq_error error;
  if (!run_bq_query(settings_.database, j->query, body.value("queryParameters", nlohmann::json()),
                    int64_ts, j->result, error))
    return bq_google_error(error.status, error.reason, error.message);
  std::lock_guard lock(mutex_);
  jobs_[j->id] = j;
  order_.push_back(j->id);
  api_response out;
  out.body = page_body(*j, "bigquery#queryResponse", 0,
                       body.contains("maxResults") && body["maxResults"].is_number_unsigned()
                           ? body["maxResults"].get<std::size_t>()
                           : settings_.page_rows);
  return out;
}

api_response bigquery_emulator::results(const httplib::Request& req, const std::string& job_id) {
  std::lock_guard lock(mutex_);
  auto it = jobs_.find(job_id);
  if (it == jobs_.end())
    return bq_google_error(404, "notFound", "Not found: Job " + job_id);
  auto& j = *it->second;
  if (j.cancelled)
    return bq_google_error(400, "stopped", "Job execution was cancelled: User requested cancellation");
  std::size_t start = bq_number_param(req, "startIndex", 0);
  if (req.has_param("pageToken")) {
    const std::string token = req.get_param_value("pageToken");
    auto decoded = base64url_decode(token);
    if (!decoded.ok() || decoded->rfind(j.id + ":", 0) != 0)
      return bq_google_error(400, "invalid", "Invalid page token: " + token);
    start = std::strtoull(decoded->c_str() + j.id.size() + 1, nullptr, 10);
  }
  api_response out;
  out.body = page_body(j, "bigquery#getQueryResultsResponse", start,
                       bq_number_param(req, "maxResults", settings_.page_rows));
  return out;
}

std::string bigquery_emulator::page_body(job& j, const char* kind, std::size_t start,
                                         std::size_t max_rows) {
  nlohmann::json head = {{"kind", kind},
                         {"jobReference",
                          {{"projectId", j.project}, {"jobId", j.id}, {"location", j.location}}}};
  if (j.polls_left > 0) {
    --j.polls_left;
    head["jobComplete"] = false;
    return head.dump();
  }
  if (!j.result.dml.is_null()) {  // DML: statistics, no schema nor rows
    head.update(j.result.dml);
    head["jobComplete"] = true;
    head["totalBytesProcessed"] = "0";
    j.pages.push_back(start);
    return head.dump();
  }
  const auto& rows = j.result.rows;
  const std::size_t take = std::min({max_rows == 0 ? settings_.page_rows : max_rows,
                                     settings_.page_rows, rows.size() - std::min(start, rows.size())});
  head["schema"] = j.result.schema;
  head["totalRows"] = std::to_string(rows.size());
  head["jobComplete"] = true;
  head["cacheHit"] = false;
  head["totalBytesProcessed"] = "0";
  if (start + take < rows.size())
    head["pageToken"] = base64url_encode(j.id + ":" + std::to_string(start + take));
  j.pages.push_back(start);
  std::string body = head.dump();
  body.pop_back();
  body += ",\"rows\":[";
  for (std::size_t i = start; i < start + take; ++i) {
    if (i > start)
      body.push_back(',');
    body += rows[i];
  }
  body += "]}";
  return body;
}

api_response bigquery_emulator::cancel(const std::string& job_id) {
  std::lock_guard lock(mutex_);
  auto it = jobs_.find(job_id);
  if (it == jobs_.end())
    return bq_google_error(404, "notFound", "Not found: Job " + job_id);
  auto& j = *it->second;
  j.cancelled = true;
  api_response out;
  out.body = nlohmann::json{{"kind", "bigquery#jobCancelResponse"},
                            {"job",
                             {{"jobReference",
                               {{"projectId", j.project}, {"jobId", j.id}, {"location", j.location}}},
                              {"status", {{"state", "DONE"}}}}}}
                 .dump();
  return out;
}

nlohmann::json bigquery_emulator::records(const httplib::Request&) const {
  std::lock_guard lock(mutex_);
  nlohmann::json list = nlohmann::json::array();
  for (const auto& id : order_) {
    const auto& j = *jobs_.at(id);
    list.push_back({{"job_id", j.id},
                    {"project", j.project},
                    {"location", j.location},
                    {"query", j.query},
                    {"dataset", j.dataset},
                    {"auth", j.auth},
                    {"state", j.cancelled ? "cancelled" : j.polls_left > 0 ? "running" : "done"},
                    {"rows", j.result.rows.size()},
                    {"pages", j.pages}});
  }
  return {{"records", list}};
}

void bigquery_emulator::reset() {
  std::lock_guard lock(mutex_);
  jobs_.clear();
  order_.clear();
  issued_.clear();
  read_only_.clear();
}

}  // namespace backflow::emulators
