// The Google Ads Customer Match emulator (see google_ads_emulator.hpp, docs/connectors/google_ads.md).
#include "emulators/google_ads_emulator.hpp"

#include <algorithm>

#include "emulators/emulator_util.hpp"

namespace backflow::emulators {
namespace {

constexpr std::size_t ga_identifiers_per_request = 100000;
constexpr std::size_t ga_identifiers_per_operation = 20;
const char* const ga_failure_type = "type.googleapis.com/google.ads.googleads.v26.errors.GoogleAdsFailure";

/// {"error":{code,message,status,details:[GoogleAdsFailure]}}: the API's error envelope.
api_response ga_error(int status, const std::string& grpc_status, const nlohmann::json& code,
                      const std::string& message, const nlohmann::json& extra = nullptr) {
  nlohmann::json e = {{"errorCode", code}, {"message", message}};
  if (!extra.is_null())
    e["details"] = extra;
  nlohmann::json failure = {{"@type", ga_failure_type},
                            {"errors", nlohmann::json::array({e})},
                            {"requestId", correlation_id().substr(0, 22)}};
  api_response out;
  out.status = status;
  out.body = nlohmann::json{{"error",
                             {{"code", status},
                              {"message", status == 400 ? "Request contains an invalid argument."
                                                        : message},
                              {"status", grpc_status},
                              {"details", nlohmann::json::array({failure})}}}}
                 .dump();
  return out;
}

bool ga_sha256(const nlohmann::json& v) {
  if (!v.is_string() || v.get<std::string>().size() != 64)
    return false;
  for (char c : v.get<std::string>())
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
      return false;
  return true;
}

/// "/v21/customers/1/..." → "customers/1/..." ("" when the path names no version).
std::string ga_resource(const std::string& path) {
  if (path.size() < 4 || path[1] != 'v')
    return {};
  auto slash = path.find('/', 1);
  if (slash == std::string::npos || slash < 3)
    return {};
  for (std::size_t i = 2; i < slash; ++i)
    if (path[i] < '0' || path[i] > '9')
      return {};
  return path.substr(slash + 1);
}

std::string ga_form(const httplib::Params& p, const std::string& name) {
  auto it = p.find(name);
  return it == p.end() ? std::string() : it->second;
}

/// One operation's member identity, or the error naming the bad part of it.
struct ga_member {
  bool create = true;
  nlohmann::json identity = nlohmann::json::object();
  std::string error;  ///< non-empty: the operation fails
  nlohmann::json path = nlohmann::json::array();  ///< fieldPathElements after operations[i]
};

ga_member ga_read_operation(const nlohmann::json& op) {
  ga_member m;
  auto fail = [&](std::string why, nlohmann::json where) {
    m.error = std::move(why);
    m.path = std::move(where);
    return m;
  };
  const bool create = op.is_object() && op.contains("create");
  const bool remove = op.is_object() && op.contains("remove");
  if (create == remove)
    return fail("An operation must have exactly one of create or remove.", nlohmann::json::array());
  m.create = create;
  const char* verb = create ? "create" : "remove";
  auto ids = op[verb].is_object() ? op[verb].value("userIdentifiers", nlohmann::json()) : nlohmann::json();
  if (!ids.is_array() || ids.empty() || ids.size() > ga_identifiers_per_operation)
    return fail("An operation takes 1 to 20 user identifiers.",
                nlohmann::json::array({{{"fieldName", verb}}, {{"fieldName", "user_identifiers"}}}));
  for (std::size_t j = 0; j < ids.size(); ++j) {
    nlohmann::json at = nlohmann::json::array({{{"fieldName", verb}},
                                               {{"fieldName", "user_identifiers"}, {"index", j}}});
    auto fields = ids[j].is_object() && ids[j].contains("addressInfo") ? ids[j]["addressInfo"] : ids[j];
    if (!fields.is_object() || fields.empty())
      return fail("The user identifier is empty.", at);
    for (const auto& [name, value] : fields.items()) {
      bool hashed = name == "hashedEmail" || name == "hashedPhoneNumber" ||
                    name == "hashedFirstName" || name == "hashedLastName";
      if (!hashed && name != "countryCode" && name != "postalCode")
        return fail("Unknown user identifier field " + name + ".", at);
      if (hashed && !ga_sha256(value))
        return fail("The SHA256 encoded value is malformed.", at);
      m.identity[name] = value;
    }
  }
  return m;
}

}  // namespace

emulator_type google_ads_emulator::type() {
  emulator_type t;
  t.name = "google_ads";
  t.summary = "Google Ads Customer Match: OAuth refresh tokens, offline user data jobs, operations";
  t.destinations = {"google_ads"};
  t.options = {{"--client-id", "ID", "the accepted OAuth client id (default emulator-client)"},
               {"--client-secret", "S", "the accepted client secret (default emulator-secret)"},
               {"--refresh-token", "T", "the accepted refresh token (default emulator-refresh)"},
               {"--developer-token", "T", "the accepted developer token (default emulator-dev)"},
               {"--token-ttl", "SECONDS", "an access token's lifetime (default 3600)"}};
  t.own_limits = {{"per_minute", "API calls per rolling minute (429 RESOURCE_EXHAUSTED beyond); "
                                 "0 = unlimited"},
                  {"daily", "operations added since start or reset (429 RESOURCE_EXHAUSTED "
                            "beyond; Basic access: 15,000); 0 = unlimited (Standard access)"},
                  {"max_batch", "identifiers per addOperations request; 0 = Google's 100,000"},
                  {"bulk_delay_ms", "time from run until the job's operation is done"}};
  t.make = [](const emulator_settings& s) -> result<std::unique_ptr<emulator>> {
    std::int64_t ttl = 0;
    try {
      ttl = std::stoll(s.value("--token-ttl", "3600"));
    } catch (...) {
      return failure{"--token-ttl takes a whole number of seconds"};
    }
    if (ttl <= 0)
      return failure{"--token-ttl must be positive"};
    credentials c{s.value("--client-id", "emulator-client"),
                  s.value("--client-secret", "emulator-secret"),
                  s.value("--refresh-token", "emulator-refresh"),
                  s.value("--developer-token", "emulator-dev")};
    return std::unique_ptr<emulator>(
        std::make_unique<google_ads_emulator>(std::move(c), std::chrono::seconds(ttl)));
  };
  return t;
}

google_ads_emulator::google_ads_emulator(credentials creds, std::chrono::seconds token_ttl)
    : creds_(std::move(creds)), token_ttl_(token_ttl) {}

void google_ads_emulator::describe(const httplib::Request& req, api_response& out) const {
  auto resource = ga_resource(req.path);
  std::string shape = req.path;
  if (resource.find(":create") != std::string::npos)
    shape = "/vN/customers/{cid}/offlineUserDataJobs:create";
  else if (resource.find(":addOperations") != std::string::npos)
    shape = "/vN/customers/{cid}/offlineUserDataJobs/{id}:addOperations";
  else if (resource.find(":run") != std::string::npos)
    shape = "/vN/customers/{cid}/offlineUserDataJobs/{id}:run";
  else if (resource.find("/operations/") != std::string::npos)
    shape = "/vN/customers/{cid}/operations/{id}";
  out.endpoint = req.method + " " + shape;
  auto body = nlohmann::json::parse(req.body, nullptr, false);
  if (body.is_object() && body.contains("operations") && body["operations"].is_array())
    out.inputs = body["operations"].size();
}

api_response google_ads_emulator::handle(const httplib::Request& req, const limits& current) {
  api_response out;
  describe(req, out);
  auto finish = [&](api_response a) {
    a.endpoint = out.endpoint;
    a.inputs = out.inputs;
    return a;
  };
  if (req.path == "/token" && req.method == "POST")
    return finish(token(req));
  auto resource = ga_resource(req.path);
  if (resource.rfind("customers/", 0) != 0)
    return finish(ga_error(404, "NOT_FOUND", {{"requestError", "RESOURCE_NAME_MALFORMED"}},
                           "The requested URL was not found."));
  if (auto refused = admit(req, current); refused.status != 0)
    return finish(refused);
  auto body = nlohmann::json::parse(req.body.empty() ? "{}" : req.body, nullptr, false);
  auto colon = resource.rfind(':');
  auto method = colon == std::string::npos ? std::string() : resource.substr(colon + 1);
  auto name = resource.substr(0, colon);
  if (req.method == "POST" && method == "create" && name.size() > 20)
    return finish(create(name.substr(10, name.find('/', 10) - 10), body));
  if (req.method == "POST" && method == "addOperations")
    return finish(add(name, body, current));
  if (req.method == "POST" && method == "run")
    return finish(run(name, current));
  if (req.method == "GET" && resource.find("/operations/") != std::string::npos)
    return finish(operation(resource));
  return finish(ga_error(404, "NOT_FOUND", {{"requestError", "UNKNOWN"}}, "Not found: " + req.path));
}

api_response google_ads_emulator::token(const httplib::Request& req) {
  api_response out;
  httplib::Params p;
  httplib::detail::parse_query_text(req.body, p);
  if (ga_form(p, "grant_type") != "refresh_token") {
    out.status = 400;
    out.body = R"({"error":"unsupported_grant_type","error_description":"Invalid grant_type: )" +
               ga_form(p, "grant_type") + "\"}";
    return out;
  }
  if (!constant_time_equal(ga_form(p, "client_id"), creds_.client_id) ||
      !constant_time_equal(ga_form(p, "client_secret"), creds_.client_secret)) {
    out.status = 401;
    out.body = R"({"error":"invalid_client","error_description":"Unauthorized"})";
    return out;
  }
  if (!constant_time_equal(ga_form(p, "refresh_token"), creds_.refresh_token)) {
    out.status = 400;
    out.body = R"({"error":"invalid_grant","error_description":"Bad Request"})";
    return out;
  }
  std::lock_guard lock(mutex_);
  auto token = "ya29." + correlation_id();
  tokens_[token] = clock::now() + token_ttl_;
  ++tokens_issued_;
  out.body = nlohmann::json{{"access_token", token}, {"expires_in", token_ttl_.count()},
                            {"scope", "https://www.googleapis.com/auth/adwords"},
                            {"token_type", "Bearer"}}
                 .dump();
  return out;
}

api_response google_ads_emulator::admit(const httplib::Request& req, const limits& current) {
  auto header = req.get_header_value("Authorization");
  auto token = header.rfind("Bearer ", 0) == 0 ? header.substr(7) : std::string();
  std::lock_guard lock(mutex_);
  auto it = tokens_.find(token);
  if (it == tokens_.end() || it->second <= clock::now())
    return ga_error(401, "UNAUTHENTICATED",
                    {{"authenticationError", it == tokens_.end() ? "OAUTH_TOKEN_INVALID"
                                                                 : "OAUTH_TOKEN_EXPIRED"}},
                    "Request is missing required authentication credential. Expected OAuth 2 "
                    "access token, login cookie or other valid authentication credential.");
  if (!constant_time_equal(req.get_header_value("developer-token"), creds_.developer_token))
    return ga_error(403, "PERMISSION_DENIED", {{"authorizationError", "DEVELOPER_TOKEN_PROHIBITED"}},
                    "The developer token is not valid for this request.");
  if (!per_minute_.try_admit(rate_window::clock::now(), current.per_minute)) {
    ++resource_exhausted_;
    auto wait = std::max<std::int64_t>(1, (60 + current.per_minute - 1) / current.per_minute);
    return ga_error(429, "RESOURCE_EXHAUSTED", {{"quotaError", "RESOURCE_EXHAUSTED"}},
                    "Too many requests. Retry in " + std::to_string(wait) + " seconds.",
                    {{"quotaErrorDetails",
                      {{"rateScope", "ACCOUNT"}, {"rateName", "Requests per minute"},
                       {"retryDelay", std::to_string(wait) + "s"}}}});
  }
  return {0, {}, {}, 0, {}};
}

api_response google_ads_emulator::create(const std::string& customer, const nlohmann::json& body) {
  auto spec = body.is_object() ? body.value("job", nlohmann::json()) : nlohmann::json();
  auto list = spec.is_object() && spec.contains("customerMatchUserListMetadata")
                  ? scalar_text(spec["customerMatchUserListMetadata"].value("userList", nlohmann::json()))
                  : std::string();
  const std::string prefix = "customers/" + customer + "/userLists/";
  if (!spec.is_object() || scalar_text(spec.value("type", nlohmann::json())) != "CUSTOMER_MATCH_USER_LIST")
    return ga_error(400, "INVALID_ARGUMENT", {{"offlineUserDataJobError", "INVALID_JOB_TYPE"}},
                    "The job type is not CUSTOMER_MATCH_USER_LIST.");
  if (list.rfind(prefix, 0) != 0 || list.size() == prefix.size())
    return ga_error(400, "INVALID_ARGUMENT", {{"offlineUserDataJobError", "INVALID_USER_LIST_ID"}},
                    "The user list " + list + " is not a list of customer " + customer + ".");
  std::lock_guard lock(mutex_);
  auto name = "customers/" + customer + "/offlineUserDataJobs/" + std::to_string(next_id_++);
  jobs_[name] = job{customer, list.substr(prefix.size())};
  api_response out;
  out.body = nlohmann::json{{"resourceName", name}}.dump();
  return out;
}

api_response google_ads_emulator::add(const std::string& job_name, const nlohmann::json& body,
                                      const limits& current) {
  auto ops = body.is_object() ? body.value("operations", nlohmann::json()) : nlohmann::json();
  if (!ops.is_array() || ops.empty())
    return ga_error(400, "INVALID_ARGUMENT", {{"requestError", "REQUIRED_FIELD_MISSING"}},
                    "operations is required.");
  std::size_t identifiers = 0;
  for (const auto& op : ops)
    for (const char* verb : {"create", "remove"})
      if (op.is_object() && op.contains(verb) && op[verb].is_object() &&
          op[verb].contains("userIdentifiers") && op[verb]["userIdentifiers"].is_array())
        identifiers += op[verb]["userIdentifiers"].size();
  auto limit = current.max_batch > 0 ? static_cast<std::size_t>(current.max_batch)
                                     : ga_identifiers_per_request;
  if (identifiers > limit)
    return ga_error(400, "INVALID_ARGUMENT", {{"collectionSizeError", "TOO_MANY"}},
                    "Too many user identifiers in the request: " + std::to_string(identifiers) +
                        " > " + std::to_string(limit) + ".");
  const bool partial = body.value("enablePartialFailure", false);
  std::lock_guard lock(mutex_);
  auto it = jobs_.find(job_name);
  if (it == jobs_.end())
    return ga_error(404, "NOT_FOUND", {{"mutateError", "RESOURCE_NOT_FOUND"}},
                    "Resource was not found: " + job_name);
  if (it->second.status != "PENDING")
    return ga_error(400, "INVALID_ARGUMENT", {{"offlineUserDataJobError", "INVALID_JOB_STATUS"}},
                    "Operations can only be added to a PENDING job; this one is " +
                        it->second.status + ".");
  if (current.daily > 0 && operations_today_ + static_cast<std::int64_t>(ops.size()) > current.daily) {
    ++resource_exhausted_;
    return ga_error(429, "RESOURCE_EXHAUSTED", {{"quotaError", "RESOURCE_EXHAUSTED"}},
                    "Too many requests. Retry in 3600 seconds.",
                    {{"quotaErrorDetails", {{"rateScope", "DEVELOPER"},
                                            {"rateName", "Number of operations for basic access"},
                                            {"retryDelay", "3600s"}}}});
  }
  operations_today_ += static_cast<std::int64_t>(ops.size());
  nlohmann::json errors = nlohmann::json::array();
  std::vector<std::pair<bool, std::string>> accepted;
  for (std::size_t i = 0; i < ops.size(); ++i) {
    auto m = ga_read_operation(ops[i]);
    if (m.error.empty()) {
      accepted.emplace_back(m.create, m.identity.dump());
      continue;
    }
    nlohmann::json path = nlohmann::json::array({{{"fieldName", "operations"}, {"index", i}}});
    for (auto& p : m.path)
      path.push_back(p);
    errors.push_back({{"errorCode", {{"offlineUserDataJobError", "INVALID_SHA256_FORMAT"}}},
                      {"message", m.error},
                      {"location", {{"fieldPathElements", path}}}});
  }
  if (!errors.empty() && !partial)
    return ga_error(400, "INVALID_ARGUMENT", errors[0]["errorCode"],
                    errors[0]["message"].get<std::string>());
  for (auto& a : accepted)
    it->second.operations.push_back(std::move(a));
  api_response out;
  nlohmann::json answer = nlohmann::json::object();
  if (!errors.empty()) {
    auto first = errors[0]["location"]["fieldPathElements"][0]["index"].get<std::size_t>();
    answer["partialFailureError"] = {
        {"code", 3},
        {"message", errors[0]["message"].get<std::string>() + ", at operations[" +
                        std::to_string(first) + "]"},
        {"details", nlohmann::json::array({{{"@type", ga_failure_type}, {"errors", errors}}})}};
  }
  out.body = answer.dump();
  return out;
}

api_response google_ads_emulator::run(const std::string& job_name, const limits& current) {
  std::lock_guard lock(mutex_);
  auto it = jobs_.find(job_name);
  if (it == jobs_.end())
    return ga_error(404, "NOT_FOUND", {{"mutateError", "RESOURCE_NOT_FOUND"}},
                    "Resource was not found: " + job_name);
  auto& j = it->second;
  if (j.status == "PENDING") {  // a run repeated later answers the same operation
    j.status = "RUNNING";
    j.operation = "customers/" + j.customer + "/operations/" + std::to_string(next_id_++);
    j.done_at = clock::now() + std::chrono::milliseconds(current.bulk_delay_ms);
    operations_[j.operation] = job_name;
  }
  api_response out;
  out.body = operation_json(j).dump();
  return out;
}

api_response google_ads_emulator::operation(const std::string& name) {
  std::lock_guard lock(mutex_);
  auto it = operations_.find(name);
  if (it == operations_.end())
    return ga_error(404, "NOT_FOUND", {{"requestError", "RESOURCE_NAME_MALFORMED"}},
                    "Operation not found: " + name);
  api_response out;
  out.body = operation_json(jobs_.at(it->second)).dump();
  return out;
}

nlohmann::json google_ads_emulator::operation_json(job& j) {
  if (j.status == "RUNNING" && clock::now() >= j.done_at) {
    auto& members = lists_[j.user_list];
    for (const auto& [create, identity] : j.operations) {
      if (create)
        members[identity] = true;
      else if (auto m = members.find(identity); m != members.end())
        m->second = false;
    }
    j.status = "SUCCESS";
  }
  nlohmann::json op = {
      {"name", j.operation},
      {"metadata",
       {{"@type", "type.googleapis.com/google.ads.googleads.v26.resources.OfflineUserDataJobMetadata"},
        {"matchRateRange", "MATCH_RANGE_UNKNOWN"}}},
      {"done", j.status == "SUCCESS"}};
  return op;
}

nlohmann::json google_ads_emulator::records(const httplib::Request& req) const {
  std::lock_guard lock(mutex_);
  nlohmann::json lists = nlohmann::json::object();
  for (const auto& [id, members] : lists_) {
    nlohmann::json list = nlohmann::json::array();
    for (const auto& [identity, member] : members)
      list.push_back({{"identity", nlohmann::json::parse(identity)}, {"member", member}});
    lists[id] = {{"members", std::move(list)}};
  }
  nlohmann::json jobs = nlohmann::json::array();
  for (const auto& [name, j] : jobs_)
    jobs.push_back({{"resourceName", name}, {"status", j.status}, {"operations", j.operations.size()}});
  return {{"user_lists", std::move(lists)}, {"jobs", std::move(jobs)}};
}

void google_ads_emulator::reset() {
  std::lock_guard lock(mutex_);
  tokens_.clear();
  tokens_issued_ = 0;
  resource_exhausted_ = 0;
  operations_today_ = 0;
  per_minute_.clear();
  jobs_.clear();
  operations_.clear();
  lists_.clear();
}

bool google_ads_emulator::control(const std::string& name, const httplib::Request& req,
                                  httplib::Response& res) {
  if (name != "google_ads")
    return false;
  std::lock_guard lock(mutex_);
  if (req.method == "POST") {
    auto body = nlohmann::json::parse(req.body, nullptr, false);
    if (body.is_object() && body.value("expire_tokens", false))
      for (auto& [token, expiry] : tokens_)
        expiry = clock::now();
  }
  reply_json(res, 200, {{"tokens_issued", tokens_issued_}, {"jobs", jobs_.size()},
                        {"resource_exhausted", resource_exhausted_}});
  return true;
}

}  // namespace backflow::emulators
