// HubSpot CRM v3 batch connector (see hubspot.hpp and docs/connectors/hubspot.md).
#include "connectors/destinations/hubspot.hpp"

#include <algorithm>
#include <cctype>
#include <regex>
#include <unordered_map>

#include "pipelines/core/clock.hpp"
#include "pipelines/core/text.hpp"
#include "pipelines/delivery/payload.hpp"
#include "pipelines/delivery/status_classifier.hpp"

namespace backflow {
namespace {

constexpr size_t max_inputs = 100;

std::string path_for(delivery_op op) {
  switch (op) {
    case delivery_op::upsert:
      return "batch/upsert";
    case delivery_op::update:
      return "batch/update";
    case delivery_op::insert:
      return "batch/create";
    case delivery_op::remove:
      return "batch/archive";
  }
  return "batch/upsert";
}

/// The objects HubSpot names in paths besides custom ones, and their type ids.
const std::vector<std::string> standard_objects = {"contacts", "companies", "deals", "tickets"};

/// True for an object HubSpot's paths accept: a standard name, an object type id ("0-3",
/// "2-12345") or a custom object's name ("p_machines", "p1234_machines").
bool is_object_name(const std::string& object) {
  static const std::regex shape(R"(([02]-[0-9]{1,18})|(p[0-9]*_[a-z][a-z0-9_]{0,99}))");
  return std::find(standard_objects.begin(), standard_objects.end(), object) !=
             standard_objects.end() ||
         std::regex_match(object, shape);
}

/// The properties HubSpot's docs ask for when a record of `object` is created.
std::vector<std::string> create_properties(const std::string& object) {
  if (object == "deals" || object == "0-3")
    return {"dealname", "dealstage"};
  if (object == "tickets" || object == "0-5")
    return {"subject", "hs_pipeline_stage"};
  return {};
}

void check_object(const destination_context& ctx, const std::string& path, config_errors& errors) {
  const auto object = ctx.options.value("object", std::string("contacts"));
  if (!is_object_name(object)) {  // never echoed: it may be a secret set by mistake
    errors.add(join_path(path, "object"),
               "must be one of \"contacts\", \"companies\", \"deals\", \"tickets\", an object "
               "type id such as \"2-12345\" or a custom object's name such as \"p_machines\"");
    return;
  }
  const auto id_property = ctx.options.value("id_property", std::string("email"));
  if (object != "contacts" && object != "0-1" && id_property == "email")
    errors.add(join_path(path, "id_property"),
               object + " have no unique email property; name a unique property such as "
                        "\"domain\" or a custom one");
  if (ctx.mode == sync_mode::update || ctx.mapped_fields.empty())
    return;
  for (const auto& needed : create_properties(object))
    if (std::find(ctx.mapped_fields.begin(), ctx.mapped_fields.end(), needed) ==
        ctx.mapped_fields.end())
      errors.add("mapping", object + " are created with \"" + needed +
                                "\" (HubSpot's docs): map a column to it, or use update mode");
}

/// HubSpot's own words for a failed request: message plus error codes.
std::string vendor_reason(const nlohmann::json& body, const http_response& r) {
  if (!body.is_object() || !body.contains("message"))
    return describe_http_failure(r);
  std::string reason = json_text(body, "category", json_text(body, "errorType", "ERROR")) + ": " +
                       json_text(body, "message");
  if (auto errs = body.find("errors"); errs != body.end() && errs->is_array()) {
    std::string codes;
    for (const auto& e : *errs)
      if (e.is_object() && e.contains("code"))
        codes += (codes.empty() ? "" : ",") + json_text(e, "code");
    if (!codes.empty())
      reason += " [" + codes + "]";
  }
  return reason;
}

std::optional<int64_t> header_int(const http_response& r, std::string_view name) {
  auto h = r.header(name);
  if (!h)
    return std::nullopt;
  try {
    return std::stoll(std::string(*h));
  } catch (...) {
    return std::nullopt;
  }
}

}  // namespace

destination_type hubspot_destination::type() {
  destination_type t;
  t.name = "hubspot";
  t.summary = "HubSpot CRM contacts, companies, deals, tickets or custom objects, by batch upsert "
              "on a unique property, with associations from model fields";
  t.modes = {sync_mode::upsert, sync_mode::update, sync_mode::insert, sync_mode::mirror};
  t.credential_names_account = true;  // every portal shares api.hubapi.com
  t.max_wait = std::chrono::hours(24);  // the daily limit resets at the account's midnight
  t.options = {
    option("endpoint", option_type::url, "API base URL (point it at a local emulator to test)")
        .defaults_to("https://api.hubapi.com"),
    option("token", option_type::string, "private app access token, e.g. \"${HUBSPOT_TOKEN}\"")
        .mandatory().secret_value(),
    option("object", option_type::string,
           "CRM object to write: contacts, companies, deals, tickets, an object type id "
           "(\"2-12345\") or a custom object's name (\"p_machines\")")
        .defaults_to("contacts").shapes_payload(),
    option("id_property", option_type::string, "unique property the key matches (contacts: email)")
        .defaults_to("email").shapes_payload(),
    option("associations", option_type::custom,
           "links from fields naming another record: [{\"field\": \"company_domain\", "
           "\"to_object\": \"companies\", \"to_id_property\": \"domain\"}] (optional "
           "\"type_id\", \"category\"; default: HubSpot's default association)")
        .shapes_payload(),
    option("batch_size", option_type::integer, "inputs per request (HubSpot allows 100)")
        .defaults_to(100).between(1, 100),
    option("rate_limit", option_type::object, "the account's limits (defaults: Free/Starter tier)")
        .with({
          option("per_10s", option_type::integer, "requests per rolling 10 seconds (0 = unlimited)")
              .defaults_to(100).between(0, 1e9),
          option("daily", option_type::integer, "requests per day (0 = unlimited)")
              .defaults_to(250000).between(0, 1e12),
          option("budget", option_type::number,
                 "share of the daily limit syncs may use, e.g. 0.8 leaves 20% for others")
              .defaults_to(1.0).between(0.01, 1),
          option("reset_utc_offset", option_type::string,
                 "the account's time zone offset: the daily limit resets at its midnight")
              .defaults_to("+00:00").looks_like(R"([+-]\d\d:\d\d)", "+00:00"),
        }),
  };
  t.make = [](const destination_context& ctx) { return std::make_unique<hubspot_destination>(ctx); };
  t.check = [](const destination_context& ctx, const std::string& path, config_errors& errors) {
    auto rl = ctx.options.value("rate_limit", nlohmann::json::object());
    std::string offset = rl.value("reset_utc_offset", "+00:00");
    if (offset.size() == 6 && !parse_utc_offset(offset))  // a malformed one is reported already
      errors.add(join_path(path, "rate_limit.reset_utc_offset"),
                 "is not a UTC offset between -14:00 and +14:00");
    if (ctx.key_columns.size() != 1)
      errors.add("source.key", "hubspot needs exactly one key column: its value is the input's id ("
                               + ctx.options.value("id_property", std::string("email")) + ")");
    check_object(ctx, path, errors);
    check_associations(ctx, path, errors);
  };
  return t;
}

hubspot_destination::hubspot_destination(const destination_context& ctx)
    : endpoint_(ctx.options.value("endpoint", "https://api.hubapi.com")),
      token_(ctx.options.value("token", "")),
      object_(ctx.options.value("object", "contacts")),
      id_property_(ctx.options.value("id_property", "email")),
      batch_size_(std::min<size_t>(ctx.options.value("batch_size", max_inputs), max_inputs)),
      associations_(parse_associations(ctx.options)) {
  for (const auto& a : associations_)
    association_fields_.insert(a.field);
  auto rl = ctx.options.value("rate_limit", nlohmann::json::object());
  limits_.requests_per_window = rl.value("per_10s", 100);
  limits_.window = std::chrono::seconds(10);
  limits_.daily = rl.value("daily", int64_t{250000});
  limits_.daily_budget = rl.value("budget", 1.0);
  limits_.day_offset = parse_utc_offset(rl.value("reset_utc_offset", std::string("+00:00")))
                           .value_or(std::chrono::minutes(0));
}

size_t hubspot_destination::batch_size(delivery_op) const {
  return batch_size_;
}

/// A record's properties. HubSpot's API types every property value as a string: decimals go as
/// their exact text (a JSON number could be read as a double), nulls as "" (which clears).
/// Fields that name an associated record are not properties.
nlohmann::json hubspot_destination::properties_of(const delivery_batch& batch,
                                                  const outbound_record& r) const {
  auto props = fields_to_json(batch.field_names, r.fields, "", number_style::exact_decimal_strings);
  for (const auto& field : association_fields_)
    props.erase(field);
  return props;
}

size_t hubspot_destination::job_size(delivery_op op, uint64_t) const {
  bool writes = op == delivery_op::upsert || op == delivery_op::update;
  return writes && !associations_.empty() ? batch_size_ : 0;
}

std::unique_ptr<delivery_job> hubspot_destination::make_job(const delivery_batch& batch) const {
  if (associations_.empty())
    return nullptr;
  return make_hubspot_association_job({this, endpoint_, token_, object_, associations_}, batch);
}

std::unique_ptr<delivery_job> hubspot_destination::resume_job(const delivery_batch& batch,
                                                              const std::string&) const {
  return make_job(batch);  // never checkpointed: every step may simply run again
}

std::string hubspot_destination::id_value(const std::string& key) const {
  return id_property_ == "email" ? ascii_lower(key) : key;
}

http_request hubspot_destination::build_request(const delivery_batch& batch) const {
  http_request req;
  req.method = "POST";
  auto op = batch.records.front().op;
  req.url = join_url(endpoint_, "/crm/v3/objects/" + object_ + "/" + path_for(op));
  req.headers = {{"Authorization", "Bearer " + token_}, {"Content-Type", "application/json"}};
  nlohmann::json inputs = nlohmann::json::array();
  for (const auto& r : batch.records) {
    switch (op) {
      case delivery_op::upsert:
      case delivery_op::update:
        inputs.push_back({{"idProperty", id_property_},
                          {"id", id_value(r.key)},
                          {"properties", properties_of(batch, r)}});
        break;
      case delivery_op::insert: {
        auto props = properties_of(batch, r);
        props[id_property_] = id_value(r.key);
        inputs.push_back({{"properties", std::move(props)}, {"objectWriteTraceId", r.key}});
        break;
      }
      case delivery_op::remove:
        if (!r.dest_id.empty())  // see interpret(): without a HubSpot id there is nothing to archive
          inputs.push_back({{"id", hubspot_record_id(r.dest_id)}});
        break;
    }
  }
  req.body = dump_exact(nlohmann::json{{"inputs", std::move(inputs)}});
  return req;
}

batch_verdict hubspot_destination::read_results(const delivery_batch& batch,
                                                const nlohmann::json& body) const {
  const size_t n = batch.records.size();
  std::unordered_map<std::string, size_t> index;  // id-property value → record position
  for (size_t i = 0; i < n; ++i)
    index.emplace(id_value(batch.records[i].key), i);
  batch_verdict v;
  v.outcomes.assign(n, record_outcome::retryable("HubSpot returned no result for this input"));
  // Errors first (207): they name the inputs by id or trace id.
  if (auto errs = body.find("errors"); errs != body.end() && errs->is_array()) {
    for (const auto& e : *errs) {
      if (!e.is_object())
        continue;
      auto category = json_text(e, "category");
      auto message = json_text(e, "message");
      auto ctx = e.value("context", nlohmann::json::object());
      std::vector<std::string> named;
      for (const char* field : {"ids", "objectWriteTraceId"})
        if (auto ids = ctx.find(field); ids != ctx.end() && ids->is_array())
          for (const auto& id : *ids)
            if (id.is_string())
              named.push_back(id.get<std::string>());
      for (const auto& id : named) {
        auto it = index.find(id_value(id));
        if (it == index.end())
          continue;
        if (category == "CONFLICT" && batch.records[it->second].op == delivery_op::insert) {
          // Insert-only: an existing record means the create already happened (or never had to).
          std::string existing;
          if (auto ex = ctx.find("existingId");
              ex != ctx.end() && ex->is_array() && !ex->empty() && ex->front().is_string())
            existing = ex->front().get<std::string>();
          else if (auto pos = message.rfind("Existing ID: "); pos != std::string::npos)
            existing = message.substr(pos + 13);
          v.outcomes[it->second] = record_outcome::found_existing(existing);
        } else if (category == "OBJECT_NOT_FOUND") {
          v.outcomes[it->second] =
              record_outcome::rejected("OBJECT_NOT_FOUND: no " + object_ + " record with " +
                                       id_property_ + " " + id + " (update mode only updates)");
        } else {
          v.outcomes[it->second] = record_outcome::rejected(category + ": " + message);
        }
      }
    }
  }
  auto results = body.find("results");
  if (results == body.end() || !results->is_array())
    return v;
  bool matched_any = false;
  for (const auto& res : *results) {
    if (!res.is_object())
      continue;
    auto props = res.value("properties", nlohmann::json::object());
    auto value = props.find(id_property_);
    if (value == props.end() || !value->is_string())
      continue;
    auto it = index.find(id_value(value->get<std::string>()));
    if (it == index.end())
      continue;
    matched_any = true;
    v.outcomes[it->second] = record_outcome::delivered(json_text(res, "id"));
  }
  // Results without the id property: fall back to request order when the counts agree.
  if (!matched_any && results->size() == n)
    for (size_t i = 0; i < n; ++i)
      if ((*results)[i].is_object())
        v.outcomes[i] = record_outcome::delivered(json_text((*results)[i], "id"));
  return v;
}

batch_verdict hubspot_destination::interpret(const delivery_batch& batch,
                                             const http_response& response) const {
  const size_t n = batch.records.size();
  auto op = batch.records.front().op;
  auto status = classify_status(response.status);
  auto body = nlohmann::json::parse(response.body, nullptr, false);
  if (status == status_class::delivered) {
    if (op == delivery_op::remove) {
      auto v = batch_verdict::all(n, record_outcome::delivered());
      for (size_t i = 0; i < n; ++i)
        if (batch.records[i].dest_id.empty())
          v.outcomes[i] = record_outcome::rejected(
              "no HubSpot record id is known for this key, so it cannot be archived");
      return v;
    }
    if (body.is_discarded() || !body.is_object())
      return batch_verdict::whole(batch_verdict::kind::retry,
                                  "HubSpot answered " + std::to_string(response.status) +
                                      " with a body that is not JSON");
    return read_results(batch, body);
  }
  auto verdict = classify_response(response, n);
  bool daily_spent = response.status == 429 && json_text(body, "policyName") == "DAILY";
  auto now = wall_now();
  auto reset = quota_day_end(now, limits_.day_offset);
  if (verdict.what == batch_verdict::kind::retry && daily_spent)  // nothing goes before midnight
    verdict.retry_after = std::chrono::duration_cast<std::chrono::milliseconds>(reset - now);
  else if (verdict.what == batch_verdict::kind::retry && response.status == 429 &&
           verdict.retry_after.count() == 0)
    verdict.retry_after = std::chrono::seconds(1);  // HubSpot's guidance for the rolling limit
  if (!body.is_discarded())
    verdict.reason = vendor_reason(body, response);
  if (daily_spent)
    verdict.reason += " (the account's daily limit resets at " + iso8601(reset) + ")";
  if (verdict.what == batch_verdict::kind::split && body.is_object() &&
      json_text(body, "category") != "VALIDATION_ERROR")
    verdict.what = batch_verdict::kind::reject;  // not about one bad input: bisecting won't help
  return verdict;
}

std::optional<http_request> hubspot_destination::build_lookup(const delivery_batch& batch) const {
  http_request req;
  req.method = "POST";
  req.url = join_url(endpoint_, "/crm/v3/objects/" + object_ + "/batch/read");
  req.headers = {{"Authorization", "Bearer " + token_}, {"Content-Type", "application/json"}};
  nlohmann::json inputs = nlohmann::json::array();
  for (const auto& r : batch.records)
    inputs.push_back({{"id", id_value(r.key)}});
  req.body = nlohmann::json{{"idProperty", id_property_},
                            {"properties", nlohmann::json::array({id_property_})},
                            {"inputs", std::move(inputs)}}
                 .dump();
  return req;
}

batch_verdict hubspot_destination::interpret_lookup(const delivery_batch& batch,
                                                    const http_response& response) const {
  if (classify_status(response.status) != status_class::delivered)
    return interpret(batch, response);  // the same answers to errors as any other call
  auto body = nlohmann::json::parse(response.body, nullptr, false);
  auto results = body.is_object() ? body.find("results") : body.end();
  if (results == body.end() || !results->is_array())
    return batch_verdict::whole(batch_verdict::kind::retry,
                                "HubSpot answered a batch read without a list of results");
  std::unordered_map<std::string, size_t> index;
  for (size_t i = 0; i < batch.records.size(); ++i)
    index.emplace(id_value(batch.records[i].key), i);
  // Inputs HubSpot does not return are OBJECT_NOT_FOUND (207): they were never created.
  auto v = batch_verdict::all(batch.records.size(),
                              record_outcome::retryable("not found at HubSpot: safe to create"));
  for (const auto& res : *results) {
    auto props = res.is_object() ? res.value("properties", nlohmann::json::object())
                                 : nlohmann::json::object();
    auto value = props.find(id_property_);
    if (value == props.end() || !value->is_string())
      continue;
    if (auto it = index.find(id_value(value->get<std::string>())); it != index.end())
      v.outcomes[it->second] = record_outcome::delivered(json_text(res, "id"));
  }
  return v;
}

rate_signal hubspot_destination::read_rate_signal(const http_response& response) const {
  rate_signal s;
  s.daily_remaining = header_int(response, "X-HubSpot-RateLimit-Daily-Remaining");
  auto max = header_int(response, "X-HubSpot-RateLimit-Max");
  auto interval = header_int(response, "X-HubSpot-RateLimit-Interval-Milliseconds");
  if (max && interval && *max > 0 && *interval > 0) {
    rate_limit_spec advertised;
    advertised.requests_per_window = static_cast<double>(*max);
    advertised.window = std::chrono::milliseconds(*interval);
    advertised.daily = header_int(response, "X-HubSpot-RateLimit-Daily").value_or(0);
    s.advertised = advertised;
  }
  if (response.status == 429) {
    auto body = nlohmann::json::parse(response.body, nullptr, false);
    if (json_text(body, "policyName") == "DAILY")
      s.daily_remaining = 0;
    else
      s.pause = std::chrono::seconds(1);
  }
  return s;
}

std::string hubspot_destination::account() const {
  return account_id("hubspot", endpoint_, token_);
}

rate_limit_spec hubspot_destination::rate_limits() const {
  return limits_;
}

}  // namespace backflow
