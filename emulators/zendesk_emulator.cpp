// The Zendesk Support API emulator (see zendesk_emulator.hpp, docs/connectors/zendesk.md).
#include "emulators/zendesk_emulator.hpp"

#include <algorithm>
#include <cstdio>

#include "emulators/emulator_util.hpp"
#include "pipelines/core/crypto.hpp"

namespace backflow::emulators {
namespace {

constexpr std::size_t zd_max_per_job = 100;
constexpr const char* zd_api = "/api/v2";

struct zd_route {
  std::string endpoint;  ///< "METHOD /path/{template}", "" when unknown
  std::string kind;      ///< upsert, remove, job, org_upsert, org_remove
  std::string job_id;
};

zd_route parse_zd_route(const httplib::Request& req) {
  std::string path = req.path;
  if (path.size() > 5 && path.compare(path.size() - 5, 5, ".json") == 0)
    path.resize(path.size() - 5);
  const std::string users = std::string(zd_api) + "/users/";
  const std::string jobs = std::string(zd_api) + "/job_statuses/";
  const std::string orgs = std::string(zd_api) + "/organizations/";
  if (req.method == "POST" && path == orgs + "create_or_update")
    return {"POST /api/v2/organizations/create_or_update", "org_upsert", {}};
  if (req.method == "DELETE" && path == orgs + "destroy_many")
    return {"DELETE /api/v2/organizations/destroy_many", "org_remove", {}};
  if (req.method == "POST" && path == users + "create_or_update_many")
    return {"POST /api/v2/users/create_or_update_many", "upsert", {}};
  if (req.method == "DELETE" && path == users + "destroy_many")
    return {"DELETE /api/v2/users/destroy_many", "remove", {}};
  if (req.method == "GET" && (path == users + "show_many" || path == orgs + "show_many"))
    return {"GET " + path, "read", {}};
  if (req.method == "GET" && path.rfind(jobs, 0) == 0 && path.size() > jobs.size())
    return {"GET /api/v2/job_statuses/{id}", "job", path.substr(jobs.size())};
  return {req.method + " " + req.path, "", {}};
}

void zd_fail(api_response& out, int status, const std::string& error, const std::string& description) {
  out.status = status;
  nlohmann::json body = {{"error", error}};
  if (!description.empty())
    body["description"] = description;
  out.body = body.dump();
}

bool zd_plausible_email(const std::string& email) {
  auto at = email.find('@');
  return at != std::string::npos && at > 0 && email.find('@', at + 1) == std::string::npos &&
         email.find('.', at + 2) != std::string::npos && email.back() != '.' &&
         email.find_first_of(" \t\r\n") == std::string::npos;
}

std::int64_t zd_seconds_until(std::chrono::steady_clock::time_point from,
                           std::chrono::steady_clock::time_point to) {
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(to - from).count();
  return std::max<std::int64_t>(1, (ms + 999) / 1000);
}

}  // namespace

std::vector<std::string> split_zd_ids(const std::string& list) {
  std::vector<std::string> out;
  std::size_t from = 0;
  while (from <= list.size()) {
    auto comma = list.find(',', from);
    auto part = list.substr(from, comma == std::string::npos ? std::string::npos : comma - from);
    if (!part.empty())
      out.push_back(part);
    if (comma == std::string::npos)
      break;
    from = comma + 1;
  }
  return out;
}

zendesk_emulator::zendesk_emulator(std::string token, std::string oauth)
    : token_(std::move(token)), oauth_(std::move(oauth)) {}

emulator_type zendesk_emulator::type() {
  emulator_type t;
  t.name = "zendesk";
  t.summary = "Zendesk Support users: create_or_update_many, destroy_many and job statuses";
  t.destinations = {"zendesk"};
  t.options = {
      {"--token", "T", std::string("the accepted API token (default ") + default_token + ")"},
      {"--oauth-token", "T",
       std::string("the accepted OAuth bearer token (default ") + default_oauth + ")"}};
  t.own_limits = {{"per_minute", "requests per minute (429 with Retry-After); 0 = unlimited"},
                  {"max_jobs", "background jobs queued at once (429 TooManyJobs); 0 = unlimited"},
                  {"bulk_delay_ms", "how long a job stays queued; 0 = completed when submitted"}};
  t.initial.per_minute = 200;  // the Team plan, the connector's default too
  t.initial.max_jobs = 30;
  t.initial.bulk_delay_ms = 200;
  t.make = [](const emulator_settings& s) -> result<std::unique_ptr<emulator>> {
    return std::unique_ptr<emulator>(std::make_unique<zendesk_emulator>(
        s.value("--token", default_token), s.value("--oauth-token", default_oauth)));
  };
  return t;
}

void zendesk_emulator::describe(const httplib::Request& req, api_response& out) const {
  auto r = parse_zd_route(req);
  out.endpoint = r.endpoint;
  out.inputs = 0;
  if (r.kind == "upsert") {
    auto body = nlohmann::json::parse(req.body, nullptr, false);
    if (body.is_object() && body.contains("users") && body["users"].is_array())
      out.inputs = body["users"].size();
  } else if (r.kind == "org_upsert") {
    out.inputs = 1;
  } else if (r.kind == "remove" || r.kind == "org_remove") {
    out.inputs = split_zd_ids(req.get_param_value("external_ids")).size();
  }
}

bool zendesk_emulator::authorized(const httplib::Request& req) const {
  if (has_bearer_token(req, oauth_))
    return true;
  auto header = req.get_header_value("Authorization");
  if (header.rfind("Basic ", 0) != 0)
    return false;
  auto decoded = base64_decode(header.substr(6));
  if (!decoded)
    return false;
  auto at = decoded->find("/token:");
  return at != std::string::npos && at > 0 &&
         constant_time_equal(decoded->substr(at + 7), token_);
}

bool zendesk_emulator::admit(const limits& current, api_response& out) {
  if (current.per_minute <= 0)
    return true;
  const auto now = rate_window::clock::now();
  std::lock_guard lock(quota_mutex_);
  bool admitted = per_minute_.try_admit(now, current.per_minute);
  auto used = per_minute_.used(now);
  out.headers.emplace("X-Rate-Limit", std::to_string(current.per_minute));
  out.headers.emplace("X-Rate-Limit-Remaining",
                      std::to_string(std::max<std::int64_t>(0, current.per_minute - used)));
  if (admitted)
    return true;
  // A rolling minute: the oldest request leaves it within the minute; say a safe upper bound
  // proportional to how far over the limit the window is.
  out.headers.emplace("Retry-After", std::to_string(std::max<std::int64_t>(
                                         1, 60 * (used - current.per_minute + 1) / current.per_minute)));
  zd_fail(out, 429, "APIRateLimitExceeded", "Number of allowed API requests per minute exceeded");
  return false;
}

api_response zendesk_emulator::handle(const httplib::Request& req, const limits& current) {
  api_response out;
  describe(req, out);
  auto r = parse_zd_route(req);
  if (!authorized(req)) {
    out.status = 401;
    out.body = R"({"error":"Couldn't authenticate you"})";
    return out;
  }
  if (!admit(current, out))
    return out;
  if (r.kind == "upsert" || r.kind == "remove" || r.kind == "org_remove")
    submit(req, current, r.kind != "upsert", r.kind == "org_remove", out);
  else if (r.kind == "org_upsert")
    upsert_organization(req, out);
  else if (r.kind == "job")
    show_job(r.job_id, req, out);
  else if (r.kind == "read")
    show_many(req, r.endpoint.find("organizations") != std::string::npos, out);
  else
    zd_fail(out, 404, "InvalidEndpoint", "Not found");
  return out;
}

void zendesk_emulator::submit(const httplib::Request& req, const limits& current, bool remove,
                              bool organizations, api_response& out) {
  nlohmann::json input;
  if (remove) {
    auto ids = split_zd_ids(req.get_param_value("external_ids"));
    if (ids.empty())
      return zd_fail(out, 400, "InvalidValue", "external_ids (or ids) is required");
    input = ids;
  } else {
    auto body = nlohmann::json::parse(req.body, nullptr, false);
    if (!body.is_object() || !body.contains("users") || !body["users"].is_array())
      return zd_fail(out, 400, "InvalidValue", "users must be an array of user objects");
    input = std::move(body["users"]);
  }
  if (input.size() > zd_max_per_job)
    return zd_fail(out, 400, "TooManyValues", "at most 100 records per request");
  const auto now = clock::now();
  std::lock_guard lock(mutex_);
  run_due(now);
  if (current.max_jobs > 0 && static_cast<std::int64_t>(pending_.size()) >= current.max_jobs) {
    out.headers.emplace("Retry-After", std::to_string(zd_seconds_until(now, jobs_[pending_.front()].due)));
    return zd_fail(out, 429, "TooManyJobs",
                "Too many background jobs are queued or running for this account");
  }
  char id[33];
  std::snprintf(id, sizeof id, "%032llx", static_cast<unsigned long long>(++next_job_));
  job j;
  j.id = id;
  j.remove = remove;
  j.organizations = organizations;
  j.input = std::move(input);
  j.due = now + std::chrono::milliseconds(current.bulk_delay_ms);
  jobs_[j.id] = std::move(j);
  pending_.push_back(id);
  run_due(now);
  out.body = nlohmann::json{{"job_status", job_json(jobs_[id], req)}}.dump();
}

void zendesk_emulator::show_job(const std::string& id, const httplib::Request& req,
                                api_response& out) {
  std::lock_guard lock(mutex_);
  run_due(clock::now());
  auto it = jobs_.find(id);
  if (it == jobs_.end())
    return zd_fail(out, 404, "RecordNotFound", "Not found");
  out.body = nlohmann::json{{"job_status", job_json(it->second, req)}}.dump();
}

void zendesk_emulator::run_due(clock::time_point now) {
  while (!pending_.empty()) {
    auto& j = jobs_[pending_.front()];
    if (j.due > now)
      return;
    run(j);
    pending_.pop_front();
  }
}

void zendesk_emulator::run(job& j) {
  for (std::size_t i = 0; i < j.input.size(); ++i) {
    const auto& item = j.input[i];
    if (!j.remove)
      j.results.push_back(upsert(item, i));
    else if (j.organizations)
      j.results.push_back(destroy_organization(item.get<std::string>(), i));
    else
      j.results.push_back(destroy(item.get<std::string>(), i));
  }
  j.done = true;
}

nlohmann::json zendesk_emulator::upsert(const nlohmann::json& u, std::size_t index) {
  auto failed = [&](const std::string& error, const std::string& details) {
    return nlohmann::json{{"index", index}, {"status", "Failed"}, {"success", false},
                          {"error", error}, {"details", details}};
  };
  if (!u.is_object())
    return failed("InvalidValue", "a user must be an object");
  auto ext = u.contains("external_id") ? scalar_text(u["external_id"]) : std::string();
  auto email = u.contains("email") && u["email"].is_string() ? u["email"].get<std::string>() : "";
  if (u.contains("email") && !u["email"].is_null() && !zd_plausible_email(email))
    return failed("UserUpdateError", "Email: " + email + " is not properly formatted");
  if (ext.empty() && email.empty())
    return failed("InvalidValue", "external_id or email is required");
  // By external id; a user sent without one is found by email.
  auto key = ext.empty() ? "email:" + to_lower(email) : ext;
  if (ext.empty())
    if (auto e = by_email_.find(to_lower(email)); e != by_email_.end())
      key = e->second;
  auto it = users_.find(key);
  bool created = it == users_.end() || it->second.deleted;
  if (it == users_.end())
    it = users_.emplace(key, user{}).first;
  auto& record = it->second;
  if (created) {
    record = user{};
    record.id = 360000000000 + ++next_user_;
    record.external_id = ext;
    ++record.creations;
  } else {
    ++record.updates;
  }
  for (const auto& [name, value] : u.items()) {
    if (name == "user_fields" && value.is_object())
      for (const auto& [field, v] : value.items())
        record.fields["user_fields"][field] = v;
    else if (name != "external_id")
      record.fields[name] = value;
  }
  if (!email.empty())
    by_email_[to_lower(email)] = it->first;
  return {{"index", index},
          {"id", record.id},
          {"external_id", record.external_id},
          {"action", created ? "create" : "update"},
          {"status", created ? "Created" : "Updated"},
          {"success", true}};
}

nlohmann::json zendesk_emulator::destroy(const std::string& external_id, std::size_t index) {
  auto it = users_.find(external_id);
  if (it == users_.end() || it->second.deleted)
    return {{"index", index}, {"action", "delete"}, {"status", "Failed"}, {"success", false},
            {"error", "RecordNotFound"}, {"details", "User " + external_id + " not found"}};
  it->second.deleted = true;
  return {{"index", index}, {"id", it->second.id}, {"action", "delete"},
          {"status", "Deleted"}, {"success", true}};
}

void zendesk_emulator::upsert_organization(const httplib::Request& req, api_response& out) {
  auto body = nlohmann::json::parse(req.body, nullptr, false);
  if (!body.is_object() || !body.contains("organization") || !body["organization"].is_object())
    return zd_fail(out, 400, "InvalidValue", "organization must be an organization object");
  const auto& o = body["organization"];
  auto ext = o.contains("external_id") ? scalar_text(o["external_id"]) : std::string();
  if (ext.empty())
    return zd_fail(out, 400, "InvalidValue", "external_id (or id) is required");
  auto invalid = [&](const std::string& error, const std::string& description) {
    out.status = 422;
    out.body = nlohmann::json{{"error", "RecordInvalid"},
                              {"description", "Record validation errors"},
                              {"details", {{"name", {{{"description", description},
                                                      {"error", error}}}}}}}.dump();
  };
  std::lock_guard lock(mutex_);
  auto it = organizations_.find(to_lower(ext));
  const bool created = it == organizations_.end() || it->second.deleted;
  auto name = o.contains("name") && o["name"].is_string() ? o["name"].get<std::string>() : "";
  if (created && name.empty())
    return invalid("BlankValue", "Name: cannot be blank");
  if (o.contains("name") && named(name, to_lower(ext)))
    return invalid("DuplicateValue", "Name: " + name + " has already been taken");
  if (it == organizations_.end())
    it = organizations_.emplace(to_lower(ext), organization{}).first;
  auto& record = it->second;
  if (created) {
    record = organization{};
    record.id = 360000500000 + ++next_organization_;
    record.external_id = ext;
    ++record.creations;
  } else {
    ++record.updates;
  }
  for (const auto& [field, value] : o.items()) {
    if (field == "organization_fields" && value.is_object())
      for (const auto& [f, v] : value.items())
        record.fields["organization_fields"][f] = v;
    else if (field != "external_id")
      record.fields[field] = value;
  }
  out.status = created ? 201 : 200;
  auto shown = record.fields;
  shown["id"] = record.id;
  shown["external_id"] = record.external_id;
  out.body = nlohmann::json{{"organization", shown}}.dump();
}

const zendesk_emulator::organization* zendesk_emulator::named(const std::string& name,
                                                              const std::string& except) const {
  for (const auto& [key, o] : organizations_)
    if (key != except && !o.deleted && o.fields.contains("name") && o.fields["name"].is_string() &&
        to_lower(o.fields["name"].get<std::string>()) == to_lower(name))
      return &o;
  return nullptr;
}

nlohmann::json zendesk_emulator::destroy_organization(const std::string& external_id,
                                                      std::size_t index) {
  auto it = organizations_.find(to_lower(external_id));
  if (it == organizations_.end() || it->second.deleted)
    return {{"index", index}, {"action", "delete"}, {"status", "Failed"}, {"success", false},
            {"error", "RecordNotFound"}, {"details", "Organization " + external_id + " not found"}};
  it->second.deleted = true;
  return {{"index", index}, {"id", it->second.id}, {"action", "delete"},
          {"status", "Deleted"}, {"success", true}};
}

nlohmann::json zendesk_emulator::job_json(const job& j, const httplib::Request& req) const {
  nlohmann::json out = {
      {"id", j.id},
      {"url", "http://" + req.get_header_value("Host") + zd_api + "/job_statuses/" + j.id + ".json"},
      {"total", j.input.size()},
      {"progress", j.done ? j.input.size() : 0},
      {"status", j.done ? "completed" : "queued"},
      {"message", j.done ? "Completed at " + format_iso(now_ms()) : ""},
      {"results", j.done ? j.results : nlohmann::json()}};
  return out;
}

nlohmann::json zendesk_emulator::records(const httplib::Request&) const {
  std::lock_guard lock(mutex_);
  nlohmann::json list = nlohmann::json::array();
  for (const auto& [key, u] : users_) {
    nlohmann::json fields = nlohmann::json::object();
    for (const auto& [name, value] : u.fields.items())
      if (name == "user_fields" && value.is_object())
        for (const auto& [field, v] : value.items())
          fields["user_fields." + field] = v;
      else
        fields[name] = value;
    list.push_back({{"id", u.id}, {"external_id", u.external_id}, {"fields", fields},
                    {"deleted", u.deleted}, {"creations", u.creations}, {"updates", u.updates}});
  }
  nlohmann::json orgs = nlohmann::json::array();
  for (const auto& [key, o] : organizations_) {
    nlohmann::json fields = nlohmann::json::object();
    for (const auto& [name, value] : o.fields.items())
      if (name == "organization_fields" && value.is_object())
        for (const auto& [field, v] : value.items())
          fields["organization_fields." + field] = v;
      else
        fields[name] = value;
    orgs.push_back({{"id", o.id}, {"external_id", o.external_id}, {"fields", fields},
                    {"deleted", o.deleted}, {"creations", o.creations}, {"updates", o.updates}});
  }
  return {{"records", list}, {"organizations", orgs}, {"jobs", jobs_.size()},
          {"pending_jobs", pending_.size()}};
}

void zendesk_emulator::reset() {
  {
    std::lock_guard lock(quota_mutex_);
    per_minute_.clear();
  }
  std::lock_guard lock(mutex_);
  users_.clear();
  by_email_.clear();
  organizations_.clear();
  next_organization_ = 0;
  jobs_.clear();
  pending_.clear();
  next_user_ = 0;
  next_job_ = 0;
}

bool zendesk_emulator::control(const std::string&, const httplib::Request&, httplib::Response&) {
  return false;
}

}  // namespace backflow::emulators
