// The Salesforce REST emulator (see salesforce_emulator.hpp).
#include "emulators/salesforce_emulator.hpp"

#include <algorithm>

#include "emulators/emulator_util.hpp"
#include "emulators/salesforce_validation.hpp"

namespace backflow::emulators {
namespace {

/// text/csv, spelled so that httplib does not brotli-compress result files for clients that
/// accept it (media types are case-insensitive; httplib's check is not).
constexpr const char* csv_content_type = "Text/csv;charset=UTF-8";

void fail(api_response& out, int status, const std::string& code, const std::string& message) {
  out.status = status;
  out.body = sf_error_body(code, message);
}

std::string dump(const nlohmann::json& body) {
  return body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

nlohmann::json record_json(const sf_record& r, const std::string& version) {
  nlohmann::json out = nlohmann::json::object();
  out["attributes"] = {{"type", r.object},
                       {"url", "/services/data/" + version + "/sobjects/" + r.object + "/" + r.id}};
  out["Id"] = r.id;
  for (const auto& [name, value] : r.fields.items())
    out[name] = value;
  return out;
}

}  // namespace

emulator_type salesforce_emulator::type() {
  emulator_type t;
  t.name = "salesforce";
  t.summary = "Salesforce REST sObject Collections and Bulk API 2.0 ingest jobs";
  t.destinations = {"salesforce"};
  t.options = {{"--token", "T", std::string("the accepted access token (default ") +
                                    default_token + ")"}};
  // 100,000 API requests per day; Bulk jobs take 200 ms to process.
  t.own_limits = {{"daily", "API requests per day; 0 = unlimited"},
                  {"bulk_delay_ms", "Bulk 2.0 processing time after UploadComplete"}};
  t.initial.daily = 100'000;
  t.initial.bulk_delay_ms = 200;
  t.make = [](const emulator_settings& s) -> result<std::unique_ptr<emulator>> {
    return std::unique_ptr<emulator>(
        std::make_unique<salesforce_emulator>(s.value("--token", default_token)));
  };
  return t;
}

salesforce_emulator::salesforce_emulator(std::string token) : token_(std::move(token)) {}

void salesforce_emulator::describe(const httplib::Request& req, api_response& out) const {
  auto r = parse_sf_route(req);
  out.endpoint = r.endpoint;
  if (r.what == sf_action::upsert)
    out.inputs = count_records(req.body);
  else if (r.what == sf_action::remove)
    out.inputs = split_sf_ids(req.get_param_value("ids")).size();
  else if (r.what == sf_action::job_upload)
    out.inputs = static_cast<std::size_t>(
        std::max<long>(0, std::count(req.body.begin(), req.body.end(), '\n') - 1));
}

api_response salesforce_emulator::handle(const httplib::Request& req, const limits& current) {
  api_response out;
  auto r = parse_sf_route(req);
  out.endpoint = r.endpoint;
  if (!has_bearer_token(req, token_)) {
    fail(out, 401, "INVALID_SESSION_ID", "Session expired or invalid");
    return out;
  }
  if (!admit(current, out)) {
    describe(req, out);
    fail(out, 403, "REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded.");
    return out;
  }
  switch (r.what) {
    case sf_action::none:
      fail(out, 404, "NOT_FOUND", "The requested resource does not exist");
      break;
    case sf_action::wrong_method:
      fail(out, 405, "METHOD_NOT_ALLOWED",
           "HTTP Method '" + req.method + "' not allowed. Allowed are " + r.allowed);
      break;
    case sf_action::upsert:
      upsert(req, r, out);
      break;
    case sf_action::remove:
      remove(req, out);
      break;
    case sf_action::retrieve:
      retrieve(req, r, out);
      break;
    case sf_action::get_by_field:
    case sf_action::get_by_id:
      get_record(r, out);
      break;
    case sf_action::limits:
      api_limits(current, out);
      break;
    default:
      bulk(req, r, current, out);
  }
  return out;
}

bool salesforce_emulator::admit(const limits& current, api_response& out) {
  std::lock_guard lock(quota_mutex_);
  const bool over = current.daily > 0 && daily_used_ >= current.daily;
  if (!over)
    ++daily_used_;
  if (current.daily > 0)
    out.headers.emplace("Sforce-Limit-Info", "api-usage=" + std::to_string(daily_used_) + "/" +
                                                 std::to_string(current.daily));
  return !over;
}

void salesforce_emulator::upsert(const httplib::Request& req, const sf_route& r,
                                 api_response& out) {
  const auto rules = store_.rules(r.object);
  if (rules.allowed && rules.allowed->count(to_lower(r.field)) == 0) {
    out.inputs = count_records(req.body);
    return fail(out, 404, "NOT_FOUND",
                "Provided external ID field does not exist or is not accessible: " + r.field);
  }
  auto parsed = parse_collection_upsert(req.body, r.object, r.field, rules);
  out.inputs = parsed.received;
  if (parsed.error)
    return fail(out, parsed.error->status, parsed.error->code, parsed.error->message);
  auto results =
      store_.write(r.object, sf_operation::upsert, r.field, parsed.rows, parsed.all_or_none);
  nlohmann::json body = nlohmann::json::array();
  for (const auto& result : results) {
    nlohmann::json entry = nlohmann::json::object();
    entry["id"] = result.error ? nlohmann::json() : nlohmann::json(result.id);
    entry["success"] = !result.error;
    entry["errors"] = nlohmann::json::array();
    if (result.error)
      entry["errors"].push_back(sf_error_json(*result.error));
    else
      entry["created"] = result.created;
    body.push_back(std::move(entry));
  }
  out.body = dump(body);
}

void salesforce_emulator::remove(const httplib::Request& req, api_response& out) {
  auto ids = split_sf_ids(req.get_param_value("ids"));
  out.inputs = ids.size();
  if (ids.empty())
    return fail(out, 400, "MISSING_ARGUMENT", "The ids parameter is required");
  if (ids.size() > sf_max_collection)
    return fail(out, 400, "EXCEEDED_MAX_SIZE_REQUEST",
                "Maximum size of request reached. Maximum size of request is " +
                    std::to_string(sf_max_collection) + " records.");
  const auto all = to_lower(req.get_param_value("allOrNone"));
  std::vector<sf_write_row> rows(ids.size());
  for (std::size_t i = 0; i < ids.size(); ++i)
    rows[i].key = ids[i];
  auto results = store_.write("", sf_operation::remove, "", rows, all == "true");
  nlohmann::json body = nlohmann::json::array();
  for (std::size_t i = 0; i < results.size(); ++i) {
    nlohmann::json entry = nlohmann::json::object();
    entry["id"] = ids[i];
    entry["success"] = !results[i].error;
    entry["errors"] = nlohmann::json::array();
    if (results[i].error)
      entry["errors"].push_back(sf_error_json(*results[i].error));
    body.push_back(std::move(entry));
  }
  out.body = dump(body);
}

void salesforce_emulator::get_record(const sf_route& r, api_response& out) {
  auto found = r.what == sf_action::get_by_id ? store_.find_id(r.object, r.value)
                                              : store_.find(r.object, r.field, r.value);
  if (found && found->deleted)
    return fail(out, 404, "ENTITY_IS_DELETED", "entity is deleted");
  if (!found)
    return fail(out, 404, "NOT_FOUND", "The requested resource does not exist");
  out.body = dump(record_json(*found, r.version));
}

void salesforce_emulator::bulk(const httplib::Request& req, const sf_route& r,
                               const limits& current, api_response& out) {
  sf_bulk_reply reply;
  switch (r.what) {
    case sf_action::job_create:
      reply = bulk_.create(req.body, r.version);
      break;
    case sf_action::job_list:
      reply = bulk_.list();
      break;
    case sf_action::job_get:
      reply = bulk_.get(r.value);
      break;
    case sf_action::job_patch:
      reply = bulk_.patch(r.value, req.body, current.bulk_delay_ms);
      break;
    case sf_action::job_delete:
      reply = bulk_.remove(r.value);
      break;
    case sf_action::job_upload:
      describe(req, out);
      reply = bulk_.upload(r.value, req.body);
      break;
    default:
      reply = bulk_.results(r.value, r.kind);
  }
  out.status = reply.status;
  out.body = std::move(reply.body);
  if (reply.csv)
    out.headers.emplace("Content-Type", csv_content_type);
}

void salesforce_emulator::api_limits(const limits& current, api_response& out) {
  std::int64_t used = 0;
  {
    std::lock_guard lock(quota_mutex_);
    used = daily_used_;
  }
  const auto max = current.daily > 0 ? current.daily : std::int64_t{1} << 40;
  nlohmann::json body = nlohmann::json::object();
  body["DailyApiRequests"] = {{"Max", max}, {"Remaining", std::max<std::int64_t>(0, max - used)}};
  body["DailyBulkV2QueryJobs"] = {{"Max", 10000}, {"Remaining", 10000}};
  out.body = dump(body);
}

nlohmann::json salesforce_emulator::records(const httplib::Request& req) const {
  return nlohmann::json::parse(records_text(req));
}

std::string salesforce_emulator::records_text(const httplib::Request& req) const {
  bulk_.advance();
  const auto snapshot = store_.snapshot(req.get_param_value("object"));
  std::string out = "{\"records\":[";
  out.reserve(snapshot.size() * 256);
  for (const auto& entry : snapshot) {
    const auto& r = entry.record;
    if (out.back() != '[')
      out.push_back(',');
    out.append("{\"object\":").append(dump(r.object));
    out.append(",\"id\":\"").append(r.id);
    out.append("\",\"fields\":").append(dump(r.fields));
    out.append(",\"created_at\":\"").append(format_iso(r.created_ms));
    out.append("\",\"updated_at\":\"").append(format_iso(r.updated_ms));
    out.append(r.deleted ? "\",\"deleted\":true" : "\",\"deleted\":false");
    out.append(",\"creations\":").append(std::to_string(entry.creations));
    out.append(",\"writes\":").append(std::to_string(r.writes)).append("}");
  }
  out.append("]}");
  return out;
}

void salesforce_emulator::reset() {
  bulk_.clear();
  store_.clear();
  std::lock_guard lock(quota_mutex_);
  daily_used_ = 0;
}

bool salesforce_emulator::control(const std::string& name, const httplib::Request& req,
                                  httplib::Response& res) {
  if (name == "jobs" && req.method == "GET") {
    reply_json(res, 200, bulk_.jobs_json());
    return true;
  }
  if (name == "fields" && req.method == "GET") {
    reply_json(res, 200, store_.rules_json());
    return true;
  }
  if ((name == "fields" || name == "required" || name == "lock") && req.method == "POST")
    return set_rules(name, req, res);
  return false;
}

bool salesforce_emulator::set_rules(const std::string& name, const httplib::Request& req,
                                    httplib::Response& res) {
  auto spec = nlohmann::json::parse(req.body, nullptr, false);
  auto strings = [](const nlohmann::json& list) {
    return list.is_array() &&
           std::all_of(list.begin(), list.end(), [](const auto& v) { return v.is_string(); });
  };
  auto member = [&](const char* key) {
    return spec.is_object() && spec.contains(key) ? spec[key] : nlohmann::json();
  };
  if (name == "lock") {
    auto keys = member("external_ids").is_null() ? member("ids") : member("external_ids");
    auto times = member("times");
    if (!strings(keys) || (!times.is_null() && !times.is_number_integer())) {
      reply_json(res, 400, {{"error", R"(expected {"external_ids":["A-1",...],"times":N})"}});
      return true;
    }
    store_.lock(keys.get<std::vector<std::string>>(), times.is_null() ? 1 : times.get<int>());
  } else {
    auto object = member("object");
    auto names = member("names");
    const bool ok = object.is_string() && is_sf_name(object.get<std::string>()) &&
                    (strings(names) || (name == "fields" && names.is_null()));
    if (!ok) {
      reply_json(res, 400,
                 {{"error", R"(expected {"object":"Contact","names":["LastName",...]})" +
                                std::string(name == "fields" ? " (names null: any field)" : "")}});
      return true;
    }
    const auto names_list = names.is_null() ? std::optional<std::vector<std::string>>()
                                            : std::optional(names.get<std::vector<std::string>>());
    if (name == "fields")
      store_.set_allowed(object.get<std::string>(), names_list);
    else
      store_.set_required(object.get<std::string>(), *names_list);
  }
  reply_json(res, 200, store_.rules_json());
  return true;
}

}  // namespace backflow::emulators
