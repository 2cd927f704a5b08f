// The Marketo Engage emulator (see marketo_emulator.hpp and docs/connectors/marketo.md).
#include "emulators/marketo_emulator.hpp"

#include <algorithm>
#include <optional>
#include <thread>

#include "emulators/emulator_util.hpp"

namespace backflow::emulators {
namespace {

constexpr std::size_t max_leads_per_call = 300;

nlohmann::json envelope(bool success) {
  nlohmann::json body = nlohmann::json::object();
  body["requestId"] = correlation_id().substr(0, 4) + "#" + correlation_id().substr(0, 11);
  body["success"] = success;
  return body;
}

/// Marketo's request-level failure: HTTP 200, success false, a quoted code.
api_response refusal(api_response out, const std::string& code, const std::string& message) {
  auto body = envelope(false);
  body["errors"] = nlohmann::json::array({{{"code", code}, {"message", message}}});
  out.status = 200;
  out.body = body.dump();
  return out;
}

nlohmann::json skipped(const std::string& code, const std::string& message) {
  nlohmann::json r = {{"status", "skipped"}};
  r["reasons"] = nlohmann::json::array({{{"code", code}, {"message", message}}});
  return r;
}

bool plausible_email(const std::string& s) {
  auto at = s.find('@');
  return at != std::string::npos && at > 0 && at + 1 < s.size() &&
         s.find('@', at + 1) == std::string::npos && s.find(' ') == std::string::npos;
}

std::vector<std::string> split_commas(const std::string& text) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= text.size()) {
    auto end = text.find(',', start);
    if (end == std::string::npos)
      end = text.size();
    if (end > start)
      out.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

/// The request's parameters: its query, plus a form body (POST, e.g. ?_method=GET).
httplib::Params params_of(const httplib::Request& req) {
  auto params = req.params;
  if (req.method == "POST" &&
      req.get_header_value("Content-Type").find("x-www-form-urlencoded") != std::string::npos)
    httplib::detail::parse_query_text(req.body, params);
  return params;
}

std::string param(const httplib::Params& p, const std::string& name) {
  auto it = p.find(name);
  return it == p.end() ? std::string() : it->second;
}

/// The static list a membership path names (/rest/v1/lists/{id}/leads.json), or nullopt.
std::optional<std::int64_t> static_list_in(const std::string& path) {
  static const std::string head = "/rest/v1/lists/", tail = "/leads.json";
  if (path.size() <= head.size() + tail.size() || path.rfind(head, 0) != 0 ||
      path.compare(path.size() - tail.size(), tail.size(), tail) != 0)
    return std::nullopt;
  auto id = path.substr(head.size(), path.size() - head.size() - tail.size());
  if (id.empty() || id.size() > 15 || id.find_first_not_of("0123456789") != std::string::npos)
    return std::nullopt;
  return std::stoll(id);
}

/// A membership call's lead ids: the body's `input[].id`, then the query's `id` parameters.
std::vector<nlohmann::json> member_ids_in(const httplib::Request& req) {
  std::vector<nlohmann::json> ids;
  auto body = nlohmann::json::parse(req.body, nullptr, false);
  if (body.is_object() && body.contains("input") && body["input"].is_array())
    for (const auto& in : body["input"])
      ids.push_back(in.is_object() ? in.value("id", nlohmann::json()) : nlohmann::json());
  auto [from, to] = req.params.equal_range("id");
  for (auto it = from; it != to; ++it)
    ids.push_back(it->second);
  return ids;
}

}  // namespace

emulator_type marketo_emulator::type() {
  emulator_type t;
  t.name = "marketo";
  t.summary = "Marketo Engage leads: identity tokens, sync, query and delete, 606/607/615 throttles";
  t.destinations = {"marketo"};
  t.options = {{"--lists", "IDS", "the static lists there are, comma-separated (default 1021)"},
               {"--client-id", "ID", "the accepted Client ID (default emulator-client)"},
               {"--client-secret", "S", "the accepted Client Secret (default emulator-secret)"},
               {"--token-ttl", "SECONDS", "an access token's lifetime (default 3600)"},
               {"--work-ms", "N", "time each REST call holds a concurrency slot (default 0)"}};
  t.own_limits = {{"per_20s", "calls per rolling 20 s (606 beyond); 0 = unlimited"},
                  {"concurrent", "calls handled at once (615 beyond); 0 = unlimited"},
                  {"daily", "calls since start or reset (607 beyond); 0 = unlimited"}};
  t.initial.per_20s = 100;
  t.initial.concurrent = 10;
  t.initial.daily = 50'000;
  t.make = [](const emulator_settings& s) -> result<std::unique_ptr<emulator>> {
    std::int64_t ttl = 0, work = 0;
    std::set<std::int64_t> lists;
    try {
      ttl = std::stoll(s.value("--token-ttl", "3600"));
      work = std::stoll(s.value("--work-ms", "0"));
      for (const auto& id : split_commas(s.value("--lists", "1021")))
        lists.insert(std::stoll(id));
    } catch (...) {
      return failure{"--token-ttl, --work-ms and --lists take whole numbers"};
    }
    if (ttl <= 0 || work < 0)
      return failure{"--token-ttl must be positive and --work-ms not negative"};
    return std::unique_ptr<emulator>(std::make_unique<marketo_emulator>(
        s.value("--client-id", "emulator-client"), s.value("--client-secret", "emulator-secret"),
        std::chrono::seconds(ttl), work, lists));
  };
  return t;
}

marketo_emulator::marketo_emulator(std::string client_id, std::string client_secret,
                                   std::chrono::seconds token_ttl, std::int64_t work_ms,
                                   const std::set<std::int64_t>& lists)
    : client_id_(std::move(client_id)),
      client_secret_(std::move(client_secret)),
      token_ttl_(token_ttl),
      work_ms_(work_ms) {
  for (auto id : lists)
    lists_[id];
}

void marketo_emulator::describe(const httplib::Request& req, api_response& out) const {
  out.endpoint = req.method + " " + req.path;
  if (req.path == "/rest/v1/leads.json" &&
      (req.method == "GET" || param(req.params, "_method") == "GET")) {
    out.endpoint = "GET /rest/v1/leads.json";
    return;
  }
  if (static_list_in(req.path)) {
    out.endpoint = req.method + " /rest/v1/lists/{listId}/leads.json";
    out.inputs = member_ids_in(req).size();
    return;
  }
  auto body = nlohmann::json::parse(req.body, nullptr, false);
  if (body.is_object() && body.contains("input") && body["input"].is_array())
    out.inputs = body["input"].size();
}

api_response marketo_emulator::handle(const httplib::Request& req, const limits& current) {
  api_response out;
  describe(req, out);
  if (req.path == "/identity/oauth/token") {
    auto answer = token(req);
    answer.endpoint = out.endpoint;
    return answer;
  }
  if (req.path.rfind("/rest/", 0) != 0) {
    out.status = 404;
    out.body = R"({"error":"not found"})";
    return out;
  }
  if (auto denied = check_token(req); denied.status != 0) {  // uncounted, as Marketo says
    denied.endpoint = out.endpoint;
    denied.inputs = out.inputs;
    return denied;
  }
  struct slot {
    std::atomic<std::int64_t>& n;
    ~slot() { --n; }
  } taken{in_flight_};
  if (++in_flight_ > current.concurrent && current.concurrent > 0) {
    std::lock_guard lock(mutex_);
    ++throttled_["615"];
    return refusal(out, "615", "Concurrent access limit reached");
  }
  if (auto refused = admit(current); refused.status != 0) {
    refused.endpoint = out.endpoint;
    refused.inputs = out.inputs;
    return refused;
  }
  if (work_ms_ > 0)
    std::this_thread::sleep_for(std::chrono::milliseconds(work_ms_));
  api_response answer;
  if (req.path == "/rest/v1/leads.json" && out.endpoint == "GET /rest/v1/leads.json")
    answer = query(params_of(req));
  else if (req.path == "/rest/v1/leads.json" && req.method == "POST")
    answer = sync(nlohmann::json::parse(req.body, nullptr, false));
  else if (req.path == "/rest/v1/leads/delete.json" && req.method == "POST")
    answer = remove(nlohmann::json::parse(req.body, nullptr, false));
  else if (auto list = static_list_in(req.path);
           list && (req.method == "POST" || req.method == "DELETE"))
    answer = membership(*list, req.method == "POST", member_ids_in(req));
  else
    answer = refusal(out, "610", "Requested resource not found");
  answer.endpoint = out.endpoint;
  answer.inputs = out.inputs;
  return answer;
}

api_response marketo_emulator::token(const httplib::Request& req) {
  api_response out;
  auto p = params_of(req);
  if (param(p, "grant_type") != "client_credentials" ||
      !constant_time_equal(param(p, "client_id"), client_id_) ||
      !constant_time_equal(param(p, "client_secret"), client_secret_)) {
    out.status = 401;
    out.body = R"({"error":"unauthorized","error_description":"Bad client credentials"})";
    return out;
  }
  std::lock_guard lock(mutex_);
  auto now = clock::now();
  auto live = tokens_.find(live_token_);
  if (live == tokens_.end() || live->second <= now) {
    live_token_ = correlation_id() + ":ab";
    live = tokens_.emplace(live_token_, now + token_ttl_).first;
    ++tokens_issued_;
  }
  auto left = std::chrono::duration_cast<std::chrono::seconds>(live->second - now).count();
  out.body = nlohmann::json{{"access_token", live_token_}, {"token_type", "bearer"},
                            {"expires_in", left}, {"scope", "apis@emulator"}}
                 .dump();
  return out;
}

api_response marketo_emulator::check_token(const httplib::Request& req) const {
  std::string token = param(req.params, "access_token");
  auto header = req.get_header_value("Authorization");
  if (header.rfind("Bearer ", 0) == 0)
    token = header.substr(7);
  if (token.empty())
    return refusal({}, "600", "Access token not specified");
  std::lock_guard lock(mutex_);
  auto it = tokens_.find(token);
  if (it == tokens_.end())
    return refusal({}, "601", "Access token invalid");
  if (it->second <= clock::now())
    return refusal({}, "602", "Access token expired");
  return {0, {}, {}, 0, {}};
}

api_response marketo_emulator::admit(const limits& current) {
  std::lock_guard lock(mutex_);
  if (current.daily > 0 && calls_today_ >= current.daily) {
    ++throttled_["607"];
    return refusal({}, "607", "Daily quota reached");
  }
  if (!per_20s_.try_admit(rate_window::clock::now(), current.per_20s)) {
    ++throttled_["606"];
    return refusal({}, "606", "Max rate limit '" + std::to_string(current.per_20s) +
                                  "' exceeded with in '20' secs");
  }
  ++calls_today_;
  return {0, {}, {}, 0, {}};
}

namespace {

/// A field's value as lookups compare it: its text, lowercased for emails.
std::string folded(const std::string& field, const nlohmann::json& value) {
  return field == "email" ? to_lower(scalar_text(value)) : scalar_text(value);
}

}  // namespace

std::vector<std::int64_t> marketo_emulator::matching(const std::string& field,
                                                     const nlohmann::json& value) const {
  auto [it, fresh] = index_.try_emplace(field);
  auto& index = it->second;
  if (fresh)
    for (const auto& [id, l] : leads_)
      if (auto v = l.fields.find(field); v != l.fields.end() && !v->is_null())
        index.emplace(folded(field, *v), id);
  const auto wanted = folded(field, value);
  std::vector<std::int64_t> ids;
  auto [from, to] = index.equal_range(wanted);
  for (auto c = from; c != to; ++c) {
    const auto& l = leads_.at(c->second);
    auto v = l.fields.find(field);
    if (!l.deleted && v != l.fields.end() && !v->is_null() && folded(field, *v) == wanted &&
        std::find(ids.begin(), ids.end(), l.id) == ids.end())
      ids.push_back(l.id);
  }
  std::sort(ids.begin(), ids.end());
  return ids;
}

void marketo_emulator::index_lead(const lead& l) {
  for (auto& [field, index] : index_)
    if (auto v = l.fields.find(field); v != l.fields.end() && !v->is_null())
      index.emplace(folded(field, *v), l.id);
}

api_response marketo_emulator::sync(const nlohmann::json& body) {
  if (!body.is_object() || !body.contains("input") || !body["input"].is_array())
    return refusal({}, "609", "Invalid JSON");
  const auto& input = body["input"];
  if (input.size() > max_leads_per_call)
    return refusal({}, "1003", "Too many records in input: " + std::to_string(input.size()) +
                                   " (at most 300)");
  std::string action = body.value("action", "createOrUpdate");
  std::string field = body.value("lookupField", "email");
  if (action != "createOrUpdate" && action != "createOnly" && action != "updateOnly")
    return refusal({}, "1003", "Invalid action '" + action + "'");
  std::lock_guard lock(mutex_);
  nlohmann::json result = nlohmann::json::array();
  for (const auto& lead_in : input) {
    auto value = lead_in.is_object() ? lead_in.value(field, nlohmann::json()) : nlohmann::json();
    if (value.is_null() || scalar_text(value).empty()) {
      result.push_back(skipped("1003", "Value for lookup field '" + field + "' is missing"));
      continue;
    }
    auto email = lead_in.value("email", nlohmann::json());
    if (email.is_string() && !email.get<std::string>().empty() &&
        !plausible_email(email.get<std::string>())) {
      result.push_back(skipped("1003", "Invalid email address"));
      continue;
    }
    auto found = matching(field, value);
    if (found.size() > 1) {
      result.push_back(skipped("1007", "Multiple leads match the lookup criteria"));
      continue;
    }
    if (action == "createOnly" && !found.empty()) {
      result.push_back(skipped("1005", "Lead already exists"));
      continue;
    }
    if (action == "updateOnly" && found.empty()) {
      result.push_back(skipped("1004", "Lead not found"));
      continue;
    }
    bool create = found.empty();
    auto id = create ? next_id_++ : found.front();
    auto& l = leads_[id];
    l.id = id;
    for (const auto& [k, v] : lead_in.items())
      l.fields[k] = v;
    index_lead(l);
    result.push_back({{"id", id}, {"status", create ? "created" : "updated"}});
  }
  auto out = envelope(true);
  out["result"] = std::move(result);
  api_response reply;
  reply.body = out.dump();
  return reply;
}

api_response marketo_emulator::query(const httplib::Params& params) const {
  auto field = param(params, "filterType");
  auto values = split_commas(param(params, "filterValues"));
  if (field.empty() || values.empty())
    return refusal({}, "1003", "filterType and filterValues are required");
  if (values.size() > max_leads_per_call)
    return refusal({}, "1003", "Too many filterValues (at most 300)");
  auto wanted = split_commas(param(params, "fields"));
  if (wanted.empty())
    wanted = {"id", "email", "firstName", "lastName", "updatedAt", "createdAt"};
  std::lock_guard lock(mutex_);
  nlohmann::json result = nlohmann::json::array();
  for (const auto& value : values)
    for (auto id : matching(field, nlohmann::json(value))) {
      const auto& l = leads_.at(id);
      nlohmann::json lead = {{"id", id}};
      for (const auto& f : wanted)
        if (f != "id")
          lead[f] = l.fields.value(f, nlohmann::json());
      result.push_back(std::move(lead));
    }
  auto out = envelope(true);
  out["result"] = std::move(result);
  api_response reply;
  reply.body = out.dump();
  return reply;
}

api_response marketo_emulator::remove(const nlohmann::json& body) {
  if (!body.is_object() || !body.contains("input") || !body["input"].is_array())
    return refusal({}, "609", "Invalid JSON");
  if (body["input"].size() > max_leads_per_call)
    return refusal({}, "1003", "Too many records in input (at most 300)");
  std::lock_guard lock(mutex_);
  nlohmann::json result = nlohmann::json::array();
  for (const auto& in : body["input"]) {
    auto id_json = in.is_object() ? in.value("id", nlohmann::json()) : nlohmann::json();
    if (!id_json.is_number_integer()) {
      result.push_back(skipped("1003", "Lead id is required"));
      continue;
    }
    auto id = id_json.get<std::int64_t>();
    auto it = leads_.find(id);
    if (it == leads_.end() || it->second.deleted) {
      auto r = skipped("1004", "Lead not found");
      r["id"] = id;
      result.push_back(std::move(r));
      continue;
    }
    it->second.deleted = true;
    for (auto& [list, members] : lists_)
      members.erase(id);  // a deleted lead leaves every list
    result.push_back({{"id", id}, {"status", "deleted"}});
  }
  auto out = envelope(true);
  out["result"] = std::move(result);
  api_response reply;
  reply.body = out.dump();
  return reply;
}

api_response marketo_emulator::membership(std::int64_t list, bool add,
                                          const std::vector<nlohmann::json>& ids) {
  if (ids.size() > max_leads_per_call)
    return refusal({}, "1003", "Too many ids (at most 300)");
  std::lock_guard lock(mutex_);
  auto members = lists_.find(list);
  if (members == lists_.end())
    return refusal({}, "1013", "Static list not found");
  nlohmann::json result = nlohmann::json::array();
  for (const auto& raw : ids) {
    const auto text = raw.is_string() ? raw.get<std::string>() : std::string();
    const bool digits = !text.empty() && text.size() < 19 &&
                        text.find_first_not_of("0123456789") == std::string::npos;
    if (!raw.is_number_integer() && !digits) {
      result.push_back(skipped("1003", "Lead id is required"));
      continue;
    }
    const std::int64_t id = digits ? std::stoll(text) : raw.get<std::int64_t>();
    auto lead = leads_.find(id);
    nlohmann::json r;
    if (lead == leads_.end() || lead->second.deleted) {
      r = skipped("1004", "Lead not found");
    } else if (add) {
      members->second.insert(id);  // a member already: "added" too (see marketo.md)
      r = {{"status", "added"}};
    } else if (members->second.erase(id) == 0) {
      r = skipped("1015", "Lead not in list");
    } else {
      r = {{"status", "removed"}};
    }
    r["id"] = id;
    result.push_back(std::move(r));
  }
  auto out = envelope(true);
  out["result"] = std::move(result);
  api_response reply;
  reply.body = out.dump();
  return reply;
}

nlohmann::json marketo_emulator::records(const httplib::Request&) const {
  std::lock_guard lock(mutex_);
  nlohmann::json list = nlohmann::json::array();
  for (const auto& [id, l] : leads_) {
    nlohmann::json r = nlohmann::json::object();
    r["id"] = id;
    r["fields"] = l.fields;
    r["deleted"] = l.deleted;
    list.push_back(std::move(r));
  }
  nlohmann::json lists = nlohmann::json::object();
  for (const auto& [id, members] : lists_) {
    auto& held = lists[std::to_string(id)] = nlohmann::json::array();
    for (auto lead : members)
      held.push_back({{"id", lead}, {"fields", leads_.at(lead).fields}});
  }
  return {{"records", std::move(list)}, {"lists", std::move(lists)}};
}

void marketo_emulator::reset() {
  std::lock_guard lock(mutex_);
  tokens_.clear();
  live_token_.clear();
  tokens_issued_ = 0;
  throttled_.clear();
  per_20s_.clear();
  calls_today_ = 0;
  leads_.clear();
  for (auto& [id, members] : lists_)
    members.clear();
  index_.clear();
  next_id_ = 1001;
}

bool marketo_emulator::control(const std::string& name, const httplib::Request& req,
                               httplib::Response& res) {
  if (name != "marketo")
    return false;
  std::lock_guard lock(mutex_);
  if (req.method == "POST") {
    auto body = nlohmann::json::parse(req.body, nullptr, false);
    if (!body.is_object() || !body.value("expire_tokens", false)) {
      reply_json(res, 400, {{"error", "expected {\"expire_tokens\":true}"}});
      return true;
    }
    auto past = clock::now() - std::chrono::seconds(1);
    for (auto& [token, expiry] : tokens_)
      expiry = past;
  }
  reply_json(res, 200, {{"tokens_issued", tokens_issued_},
                        {"tokens", tokens_.size()},
                        {"throttled", throttled_}});
  return true;
}

}  // namespace backflow::emulators
