// The Klaviyo API emulator (see klaviyo_emulator.hpp, docs/connectors/klaviyo.md).
#include "emulators/klaviyo_emulator.hpp"

#include <algorithm>
#include <cstdio>
#include <optional>
#include <regex>

#include "emulators/emulator_util.hpp"

namespace backflow::emulators {
namespace {

constexpr std::size_t kl_max_profiles = 10000;
constexpr std::size_t kl_max_bytes = 5 * 1024 * 1024;
constexpr std::size_t kl_error_page = 20;
constexpr std::size_t kl_max_page = 100;
const std::string kl_jobs = "/api/profile-bulk-import-jobs";
const std::string kl_lists = "/api/lists/";

struct kl_route {
  std::string endpoint;  ///< "METHOD /path/{template}", "" when unknown
  std::string kind;      ///< submit, job, remove
  std::string id;        ///< job or list id
  std::string part;      ///< job: "", import-errors, profiles
};

kl_route parse_kl_route(const httplib::Request& req) {
  std::string path = req.path;
  if (path.size() > 1 && path.back() == '/')
    path.pop_back();
  if (req.method == "POST" && path == kl_jobs)
    return {"POST " + kl_jobs, "submit", {}, {}};
  if (req.method == "GET" && path.rfind(kl_jobs + "/", 0) == 0) {
    auto rest = path.substr(kl_jobs.size() + 1);
    auto slash = rest.find('/');
    auto id = rest.substr(0, slash);
    auto part = slash == std::string::npos ? std::string() : rest.substr(slash + 1);
    if (!id.empty() && (part.empty() || part == "import-errors" || part == "profiles"))
      return {"GET " + kl_jobs + "/{id}" + (part.empty() ? "" : "/" + part), "job", id, part};
  }
  if (req.method == "GET" && path == "/api/profiles")
    return {"GET /api/profiles", "profiles", {}, {}};
  const std::string members = "/relationships/profiles";
  if (req.method == "DELETE" && path.rfind(kl_lists, 0) == 0 && path.size() > members.size() &&
      path.compare(path.size() - members.size(), members.size(), members) == 0) {
    auto id = path.substr(kl_lists.size(), path.size() - kl_lists.size() - members.size());
    if (!id.empty() && id.find('/') == std::string::npos)
      return {"DELETE /api/lists/{id}/relationships/profiles", "remove", id, {}};
  }
  return {req.method + " " + req.path, "", {}, {}};
}

/// A JSON:API error document.
void kl_fail(api_response& out, int status, const std::string& code, const std::string& title,
             const std::string& detail, const std::string& pointer = {}) {
  out.status = status;
  nlohmann::json e = {{"id", correlation_id()}, {"status", status}, {"code", code},
                      {"title", title},         {"detail", detail}, {"source", nlohmann::json::object()}};
  if (!pointer.empty())
    e["source"]["pointer"] = pointer;
  out.body = nlohmann::json{{"errors", {e}}}.dump();
}

bool kl_valid_email(const std::string& email) {
  auto at = email.find('@');
  return at != std::string::npos && at > 0 && email.find('@', at + 1) == std::string::npos &&
         email.find('.', at + 2) != std::string::npos && email.back() != '.' &&
         email.find_first_of(" \t\r\n,;<>") == std::string::npos;
}

bool kl_valid_phone(const std::string& phone) {
  static const std::regex e164("\\+[1-9][0-9]{1,14}");
  return std::regex_match(phone, e164);
}

std::string kl_text(const nlohmann::json& object, const char* key) {
  return object.is_object() && object.contains(key) && object[key].is_string()
             ? object[key].get<std::string>()
             : std::string();
}

/// Klaviyo's filter `any(field,["a","b"])` or `equals(field,"a")`: the field and the values;
/// nullopt for anything else (string literals in double quotes, `\"` and `\\` escaped).
std::optional<std::pair<std::string, std::vector<std::string>>> kl_filter(const std::string& text) {
  const bool any = text.rfind("any(", 0) == 0, equals = text.rfind("equals(", 0) == 0;
  if ((!any && !equals) || text.empty() || text.back() != ')')
    return std::nullopt;
  std::size_t p = any ? 4 : 7;
  auto comma = text.find(',', p);
  if (comma == std::string::npos)
    return std::nullopt;
  std::pair<std::string, std::vector<std::string>> out{text.substr(p, comma - p), {}};
  p = comma + 1;
  if (any && (p >= text.size() || text[p++] != '['))
    return std::nullopt;
  while (p < text.size() && text[p] == '"') {
    std::string value;
    for (++p; p < text.size() && text[p] != '"'; ++p)
      value.push_back(text[p] == '\\' && p + 1 < text.size() ? text[++p] : text[p]);
    if (p >= text.size())
      return std::nullopt;
    out.second.push_back(value);
    ++p;  // the closing quote
    if (p < text.size() && text[p] == ',')
      ++p;
  }
  const std::string tail = any ? "])" : ")";
  if (text.compare(p, std::string::npos, tail) != 0 || out.second.empty())
    return std::nullopt;
  return out;
}

/// page[size] (default `fallback`, at most 100) and page[cursor] (an offset) of a request.
std::pair<std::size_t, std::size_t> kl_page(const httplib::Request& req, std::size_t fallback) {
  std::size_t size = fallback, from = 0;
  try {
    if (req.has_param("page[size]"))
      size = std::clamp<std::size_t>(std::stoul(req.get_param_value("page[size]")), 1, kl_max_page);
    if (req.has_param("page[cursor]"))
      from = std::stoul(req.get_param_value("page[cursor]"));
  } catch (...) {
  }
  return {size, from};
}

std::string kl_encode(const std::string& text) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text)
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(hex[c >> 4]);
      out.push_back(hex[c & 15]);
    }
  return out;
}

/// A page of `items` and its `links` (next as an absolute URL with the cursor).
nlohmann::json kl_paged(const httplib::Request& req, const nlohmann::json& items, std::size_t size,
                        std::size_t from) {
  nlohmann::json data = nlohmann::json::array();
  for (std::size_t i = from; i < items.size() && i < from + size; ++i)
    data.push_back(items[i]);
  const auto self = "http://" + req.get_header_value("Host") + req.path;
  nlohmann::json links = {{"self", self}, {"next", nullptr}, {"prev", nullptr}};
  if (from + size < items.size()) {
    std::string query;  // the request's own parameters (a filter), then the page's
    for (const auto& [name, value] : req.params)
      if (name != "page[size]" && name != "page[cursor]")
        query += kl_encode(name) + "=" + kl_encode(value) + "&";
    links["next"] = self + "?" + query + "page%5Bsize%5D=" + std::to_string(size) +
                    "&page%5Bcursor%5D=" + std::to_string(from + size);
  }
  return {{"data", std::move(data)}, {"links", std::move(links)}};
}

}  // namespace

klaviyo_emulator::klaviyo_emulator(std::string key) : key_(std::move(key)) {}

emulator_type klaviyo_emulator::type() {
  emulator_type t;
  t.name = "klaviyo";
  t.summary = "Klaviyo profiles: Bulk Import Profiles jobs, import errors, list membership";
  t.destinations = {"klaviyo"};
  t.options = {{"--api-key", "K", std::string("the accepted private API key (default ") +
                                      default_key + ")"}};
  t.own_limits = {{"per_second", "requests per second, the burst window (429 with Retry-After)"},
                  {"per_minute", "requests per minute, the steady window (429 with Retry-After)"},
                  {"bulk_delay_ms", "how long a job is queued and processing; 0 = complete when "
                                    "submitted"}};
  t.initial.per_second = 10;  // the bulk import endpoints' documented burst and steady limits
  t.initial.per_minute = 150;
  t.initial.bulk_delay_ms = 200;
  t.make = [](const emulator_settings& s) -> result<std::unique_ptr<emulator>> {
    return std::unique_ptr<emulator>(
        std::make_unique<klaviyo_emulator>(s.value("--api-key", default_key)));
  };
  return t;
}

void klaviyo_emulator::describe(const httplib::Request& req, api_response& out) const {
  auto r = parse_kl_route(req);
  out.endpoint = r.endpoint;
  out.inputs = 0;
  auto body = r.kind.empty() || r.kind == "job" ? nlohmann::json()
                                                : nlohmann::json::parse(req.body, nullptr, false);
  if (r.kind == "submit" && body.is_object()) {
    auto p = body.value("/data/attributes/profiles/data"_json_pointer, nlohmann::json());
    out.inputs = p.is_array() ? p.size() : 0;
  } else if (r.kind == "remove" && body.is_object() && body.contains("data") &&
             body["data"].is_array()) {
    out.inputs = body["data"].size();
  }
}

bool klaviyo_emulator::check_headers(const httplib::Request& req, api_response& out) const {
  auto auth = req.get_header_value("Authorization");
  const std::string scheme = "Klaviyo-API-Key ";
  if (auth.rfind(scheme, 0) != 0) {
    kl_fail(out, 401, "not_authenticated", "Authentication credentials were not provided.",
            "Missing or invalid authorization scheme. Please use Klaviyo-API-Key.");
    return false;
  }
  if (!constant_time_equal(auth.substr(scheme.size()), key_)) {
    kl_fail(out, 401, "authentication_failed", "Incorrect authentication credentials.",
            "Incorrect authentication credentials.");
    return false;
  }
  static const std::regex revision("[0-9]{4}-[0-9]{2}-[0-9]{2}(\\.[a-z]+)?");
  if (!std::regex_match(req.get_header_value("revision"), revision)) {
    kl_fail(out, 400, "invalid", "Invalid input.",
            "A revision header is required (format YYYY-MM-DD[.suffix]).", "");
    return false;
  }
  return true;
}

bool klaviyo_emulator::admit(const limits& current, api_response& out) {
  const auto now = clock::now();
  std::lock_guard lock(quota_mutex_);
  // Fixed windows, as Klaviyo counts: each starts with its first request and lasts 1 s / 1 min.
  auto roll = [&](fixed_window& w, clock::duration length) {
    if (now - w.start >= length)
      w = {now, 0};
  };
  roll(burst_, std::chrono::seconds(1));
  roll(steady_, std::chrono::minutes(1));
  const bool burst_ok = current.per_second <= 0 || burst_.used < current.per_second;
  const bool steady_ok = current.per_minute <= 0 || steady_.used < current.per_minute;
  if (burst_ok && steady_ok) {
    ++burst_.used;
    ++steady_.used;
    if (current.per_minute > 0) {
      out.headers.emplace("RateLimit-Limit", std::to_string(current.per_minute));
      out.headers.emplace("RateLimit-Remaining", std::to_string(current.per_minute - steady_.used));
    }
    return true;
  }
  const auto ends = steady_ok ? burst_.start + std::chrono::seconds(1)
                              : steady_.start + std::chrono::minutes(1);
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(ends - now).count();
  const auto wait = std::to_string(std::max<std::int64_t>(1, (ms + 999) / 1000));
  out.headers.emplace("Retry-After", wait);
  kl_fail(out, 429, "throttled", "Request was throttled.",
          "Request was throttled. Expected available in " + wait + " seconds.");
  return false;
}

api_response klaviyo_emulator::handle(const httplib::Request& req, const limits& current) {
  api_response out;
  describe(req, out);
  auto r = parse_kl_route(req);
  if (!check_headers(req, out) || !admit(current, out))
    return out;
  if (r.kind == "submit")
    submit(req, current, out);
  else if (r.kind == "job")
    show_job(r.id, r.part, req, out);
  else if (r.kind == "remove")
    remove_members(r.id, req, out);
  else if (r.kind == "profiles")
    find_profiles(req, out);
  else
    kl_fail(out, 404, "not_found", "Not found.", "No route matches " + req.method + " " + req.path);
  return out;
}

void klaviyo_emulator::submit(const httplib::Request& req, const limits& current,
                              api_response& out) {
  if (req.body.size() > kl_max_bytes)
    return kl_fail(out, 413, "request_too_large", "Request entity too large.",
                   "The maximum allowed payload size is 5MB.");
  auto body = nlohmann::json::parse(req.body, nullptr, false);
  auto data = body.is_object() ? body.value("data", nlohmann::json()) : nlohmann::json();
  if (kl_text(data, "type") != "profile-bulk-import-job")
    return kl_fail(out, 400, "invalid", "Invalid input.",
                   "data.type must be profile-bulk-import-job", "/data/type");
  auto profiles = data.value("/attributes/profiles/data"_json_pointer, nlohmann::json());
  if (!profiles.is_array() || profiles.empty())
    return kl_fail(out, 400, "invalid", "Invalid input.", "profiles.data must be a non-empty array",
                   "/data/attributes/profiles/data");
  if (profiles.size() > kl_max_profiles)
    return kl_fail(out, 400, "invalid", "Invalid input.",
                   "Accepts up to 10000 profiles per request.", "/data/attributes/profiles/data");
  auto lists = data.value("/relationships/lists/data"_json_pointer, nlohmann::json());
  std::string list_id = lists.is_array() && !lists.empty() ? kl_text(lists[0], "id") : "";
  const auto now = clock::now();
  std::lock_guard lock(mutex_);
  run_due(now);
  char id[32];
  std::snprintf(id, sizeof id, "job-%06llu", static_cast<unsigned long long>(++next_job_));
  job j;
  j.id = id;
  j.input = std::move(profiles);
  j.list_id = list_id;
  j.started = now;
  j.due = now + std::chrono::milliseconds(current.bulk_delay_ms);
  jobs_[j.id] = std::move(j);
  pending_.push_back(id);
  run_due(now);
  out.status = 202;
  out.body = nlohmann::json{{"data", job_json(jobs_[id], now)}}.dump();
}

void klaviyo_emulator::show_job(const std::string& id, const std::string& part,
                                const httplib::Request& req, api_response& out) {
  const auto now = clock::now();
  std::lock_guard lock(mutex_);
  run_due(now);
  auto it = jobs_.find(id);
  if (it == jobs_.end())
    return kl_fail(out, 404, "not_found", "Not found.", "No profile-bulk-import-job " + id);
  const auto& j = it->second;
  if (part.empty()) {
    out.body = nlohmann::json{{"data", job_json(j, now)}}.dump();
  } else if (part == "import-errors") {
    auto [size, from] = kl_page(req, kl_error_page);
    out.body = kl_paged(req, j.done ? j.errors : nlohmann::json::array(), size, from).dump();
  } else {
    nlohmann::json items = nlohmann::json::array();
    for (const auto& pid : j.profile_ids)
      items.push_back({{"type", "profile"}, {"id", pid}, {"attributes", profiles_[pid].attributes}});
    auto [size, from] = kl_page(req, kl_error_page);
    out.body = kl_paged(req, items, size, from).dump();
  }
}

void klaviyo_emulator::find_profiles(const httplib::Request& req, api_response& out) {
  auto filter = kl_filter(req.get_param_value("filter"));
  if (!filter || (filter->first != "email" && filter->first != "phone_number" &&
                  filter->first != "external_id" && filter->first != "id"))
    return kl_fail(out, 400, "invalid", "Invalid input.",
                   "filter must be any(FIELD,[...]) or equals(FIELD,...) on email, phone_number, "
                   "external_id or id",
                   "");
  if (filter->second.size() > kl_max_page)
    return kl_fail(out, 400, "invalid", "Invalid input.", "at most 100 values in any()", "");
  std::lock_guard lock(mutex_);
  const auto& field = filter->first;
  const auto& index = field == "email" ? by_email_ : field == "phone_number" ? by_phone_ : by_external_;
  nlohmann::json items = nlohmann::json::array();
  for (const auto& value : filter->second) {
    std::string id = value;
    if (field != "id") {
      auto it = index.find(field == "email" ? to_lower(value) : value);
      id = it == index.end() ? std::string() : it->second;
    }
    if (auto p = profiles_.find(id); !id.empty() && p != profiles_.end())
      items.push_back({{"type", "profile"}, {"id", id}, {"attributes", p->second.attributes}});
  }
  auto [size, from] = kl_page(req, kl_error_page);
  out.body = kl_paged(req, items, size, from).dump();
}

void klaviyo_emulator::remove_members(const std::string& list_id, const httplib::Request& req,
                                      api_response& out) {
  auto body = nlohmann::json::parse(req.body, nullptr, false);
  if (!body.is_object() || !body.contains("data") || !body["data"].is_array())
    return kl_fail(out, 400, "invalid", "Invalid input.", "data must be an array of profiles", "/data");
  if (body["data"].size() > 1000)
    return kl_fail(out, 400, "invalid", "Invalid input.", "At most 1000 profiles per request.", "/data");
  std::lock_guard lock(mutex_);
  auto& members = lists_[list_id];
  for (const auto& p : body["data"])
    if (kl_text(p, "type") == "profile")
      members.erase(kl_text(p, "id"));  // removing a non-member is no error
  out.status = 204;
}

void klaviyo_emulator::run_due(clock::time_point now) {
  while (!pending_.empty()) {
    auto& j = jobs_[pending_.front()];
    if (j.due > now)
      return;
    run(j);
    pending_.pop_front();
  }
}

void klaviyo_emulator::run(job& j) {
  for (std::size_t i = 0; i < j.input.size(); ++i) {
    auto error = import(j.input[i], i, j);
    if (!error.is_null())
      j.errors.push_back(std::move(error));
  }
  j.done = true;
}

nlohmann::json klaviyo_emulator::import(const nlohmann::json& resource, std::size_t index, job& j) {
  const auto pointer = "/data/attributes/profiles/data/" + std::to_string(index) + "/attributes";
  auto refuse = [&](const std::string& field, const std::string& detail) {
    return nlohmann::json{{"type", "import-error"},
                          {"id", correlation_id()},
                          {"attributes",
                           {{"code", "invalid"},
                            {"title", "Invalid input."},
                            {"detail", detail},
                            {"source", {{"pointer", pointer + (field.empty() ? "" : "/" + field)}}},
                            {"original_payload", resource}}}};
  };
  auto attributes = resource.is_object() ? resource.value("attributes", nlohmann::json()) : nlohmann::json();
  if (kl_text(resource, "type") != "profile" || !attributes.is_object())
    return refuse("", "A profile must be {\"type\":\"profile\",\"attributes\":{...}}");
  auto email = kl_text(attributes, "email");
  auto phone = kl_text(attributes, "phone_number");
  auto external = attributes.contains("external_id") ? scalar_text(attributes["external_id"]) : "";
  if (attributes.contains("email") && !kl_valid_email(email))
    return refuse("email", "Invalid email address: " + email);
  if (attributes.contains("phone_number") && !kl_valid_phone(phone))
    return refuse("phone_number", "Invalid phone number format (Example of a valid format: +13239169023): " + phone);
  if (email.empty() && phone.empty() && external.empty())
    return refuse("", "One of email, phone_number or external_id is required");
  std::string id;
  if (auto e = by_email_.find(to_lower(email)); !email.empty() && e != by_email_.end())
    id = e->second;
  else if (auto p = by_phone_.find(phone); id.empty() && !phone.empty() && p != by_phone_.end())
    id = p->second;
  else if (auto x = by_external_.find(external); id.empty() && !external.empty() && x != by_external_.end())
    id = x->second;
  const bool created = id.empty();
  if (created) {
    char made[32];
    std::snprintf(made, sizeof made, "01KLAVIYO%017llu", static_cast<unsigned long long>(++next_profile_));
    id = made;
  }
  auto& p = profiles_[id];
  p.id = id;
  ++(created ? p.creations : p.updates);
  for (const auto& [name, value] : attributes.items()) {
    if ((name == "properties" || name == "location") && value.is_object())
      for (const auto& [field, v] : value.items())
        p.attributes[name][field] = v;
    else if (!value.is_null())  // null never clears in a bulk import
      p.attributes[name] = value;
  }
  if (!email.empty())
    by_email_[to_lower(email)] = id;
  if (!phone.empty())
    by_phone_[phone] = id;
  if (!external.empty())
    by_external_[external] = id;
  j.profile_ids.push_back(id);
  if (!j.list_id.empty())
    lists_[j.list_id][id] = true;
  return nullptr;
}

nlohmann::json klaviyo_emulator::job_json(const job& j, clock::time_point now) const {
  const auto half = j.started + (j.due - j.started) / 2;
  const char* status = j.done ? "complete" : now < half ? "queued" : "processing";
  const auto failed = j.done ? j.errors.size() : 0;
  return {{"type", "profile-bulk-import-job"},
          {"id", j.id},
          {"attributes",
           {{"status", status},
            {"total_count", j.input.size()},
            {"completed_count", j.done ? j.input.size() - failed : 0},
            {"failed_count", failed},
            {"created_at", format_iso(now_ms())},
            {"completed_at", j.done ? nlohmann::json(format_iso(now_ms())) : nlohmann::json()}}},
          {"links", {{"self", kl_jobs + "/" + j.id}}}};
}

nlohmann::json klaviyo_emulator::records(const httplib::Request& req) const {
  std::lock_guard lock(mutex_);
  const auto audience = req.get_param_value("audience");
  nlohmann::json list = nlohmann::json::array();
  for (const auto& [id, p] : profiles_) {
    nlohmann::json lists = nlohmann::json::array();
    for (const auto& [list_id, members] : lists_)
      if (members.count(id))
        lists.push_back(list_id);
    if (!audience.empty() && std::find(lists.begin(), lists.end(), audience) == lists.end())
      continue;
    // Fields as a sync maps them: standard attributes and location.X by name, properties bare.
    nlohmann::json fields = nlohmann::json::object();
    for (const auto& [name, value] : p.attributes.items())
      if ((name == "properties" || name == "location") && value.is_object())
        for (const auto& [field, v] : value.items())
          fields[name == "location" ? "location." + field : field] = v;
      else
        fields[name] = value;
    list.push_back({{"id", id}, {"email", kl_text(p.attributes, "email")},
                    {"phone_number", kl_text(p.attributes, "phone_number")},
                    {"external_id", p.attributes.contains("external_id") ? scalar_text(p.attributes["external_id"]) : ""},
                    {"fields", fields}, {"lists", lists},
                    {"creations", p.creations}, {"updates", p.updates}});
  }
  return {{"records", list}, {"jobs", jobs_.size()}, {"pending_jobs", pending_.size()}};
}

void klaviyo_emulator::reset() {
  {
    std::lock_guard lock(quota_mutex_);
    burst_ = {};
    steady_ = {};
  }
  std::lock_guard lock(mutex_);
  profiles_.clear();
  by_email_.clear();
  by_phone_.clear();
  by_external_.clear();
  lists_.clear();
  jobs_.clear();
  pending_.clear();
  next_profile_ = 0;
  next_job_ = 0;
}

bool klaviyo_emulator::control(const std::string&, const httplib::Request&, httplib::Response&) {
  return false;
}

}  // namespace backflow::emulators
