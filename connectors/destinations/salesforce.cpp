// Salesforce collections connector and its options (see salesforce.hpp, docs/connectors/salesforce.md).
#include "connectors/destinations/salesforce.hpp"

#include <cmath>
#include <regex>

#include "connectors/destinations/salesforce_bulk_job.hpp"
#include "pipelines/core/option_spec.hpp"
#include "pipelines/delivery/payload.hpp"
#include "pipelines/delivery/status_classifier.hpp"

namespace backflow {
namespace {

constexpr size_t max_collection = 200;

long long duration_ms(const nlohmann::json& options, const char* key, long long fallback) {
  long long ms = fallback;
  if (options.contains(key))
    parse_duration(options[key], ms);
  return ms;
}

/// "CODE: message (fields: A, B)" from one Salesforce error object.
std::string error_text(const nlohmann::json& e) {
  std::string code = json_text(e, "statusCode", json_text(e, "errorCode", "ERROR"));
  std::string text = code + ": " + json_text(e, "message");
  if (auto fields = e.find("fields"); fields != e.end() && fields->is_array() && !fields->empty()) {
    std::string list;
    for (const auto& f : *fields)
      if (f.is_string())
        list += (list.empty() ? "" : ", ") + f.get<std::string>();
    text += " (fields: " + list + ")";
  }
  return text;
}

/// One record's outcome from a collections result {id, success, errors}.
record_outcome outcome_of(const nlohmann::json& result, delivery_op op) {
  if (!result.is_object())
    return record_outcome::retryable("Salesforce returned no result for this record");
  if (auto success = result.find("success"); success != result.end() && *success == true)
    return record_outcome::delivered(json_text(result, "id"));
  auto errors = result.value("errors", nlohmann::json::array());
  if (!errors.is_array() || errors.empty())
    return record_outcome::rejected("Salesforce refused the record without saying why");
  const auto& first = errors.front();
  auto code = json_text(first, "statusCode");
  if (code == "UNABLE_TO_LOCK_ROW")
    return record_outcome::retryable(error_text(first));
  if (op == delivery_op::remove && code == "ENTITY_IS_DELETED")
    return record_outcome::delivered(json_text(result, "id"));  // already gone
  return record_outcome::rejected(error_text(first));
}

}  // namespace

destination_type salesforce_destination::type() {
  destination_type t;
  t.name = "salesforce";
  t.summary = "Salesforce sObjects: collections upsert by external id, Bulk API 2.0 for large sets";
  t.modes = {sync_mode::upsert, sync_mode::mirror};
  t.max_wait = std::chrono::hours(24);  // the daily API limit is a rolling 24 hours
  t.options = {
    option("instance_url", option_type::url, "your org's URL, e.g. https://acme.my.salesforce.com")
        .mandatory(),
    option("api_version", option_type::string, "REST API version")
        .defaults_to("v59.0").looks_like(R"(v\d+\.\d)", "v59.0"),
    option("token", option_type::string, "OAuth access token, e.g. \"${SALESFORCE_TOKEN}\"")
        .mandatory().secret_value(),
    option("object", option_type::string, "sObject to write, e.g. Contact").mandatory()
        .shapes_payload(),
    option("external_id_field", option_type::string, "external id field the key matches")
        .mandatory().shapes_payload(),
    option("batch_size", option_type::integer, "records per collections request (at most 200)")
        .defaults_to(200).between(1, 200),
    option("bulk_threshold", option_type::integer,
           "above this many changes, use Bulk API 2.0 jobs (0: never)")
        .defaults_to(10000).at_least(0),
    option("bulk_job_size", option_type::integer, "records per Bulk API job")
        .defaults_to(25000).between(1, 10'000'000),
    option("bulk_poll_initial", option_type::duration, "first wait before polling a job")
        .defaults_to("1s"),
    option("bulk_poll_max", option_type::duration, "longest wait between polls").defaults_to("30s"),
    option("rate_limit", option_type::object, "the org's API limits")
        .with({
          option("daily", option_type::integer,
                 "API calls per 24 h (0: learn it from Sforce-Limit-Info)")
              .defaults_to(0).at_least(0),
          option("limit_pause", option_type::duration,
                 "how long to pause the account after REQUEST_LIMIT_EXCEEDED")
              .defaults_to("1h"),
          option("budget", option_type::number,
                 "share of the daily limit syncs may use, e.g. 0.8 leaves 20% for others")
              .defaults_to(1.0).between(0.01, 1),
        }),
  };
  t.make = [](const destination_context& ctx) {
    return std::make_unique<salesforce_destination>(ctx);
  };
  t.check = [](const destination_context& ctx, const std::string& path, config_errors& errors) {
    if (ctx.key_columns.size() != 1)
      errors.add("source.key", "salesforce needs exactly one key column: its value is the "
                               "external id (" + ctx.options.value("external_id_field", "") + ")");
  };
  return t;
}

salesforce_destination::salesforce_destination(const destination_context& ctx)
    : instance_url_(ctx.options.value("instance_url", "")),
      token_(ctx.options.value("token", "")),
      object_(ctx.options.value("object", "")),
      external_id_field_(ctx.options.value("external_id_field", "")),
      batch_size_(std::min<size_t>(ctx.options.value("batch_size", max_collection), max_collection)),
      bulk_threshold_(ctx.options.value("bulk_threshold", uint64_t{10000})),
      bulk_job_size_(ctx.options.value("bulk_job_size", size_t{25000})),
      poll_initial_(duration_ms(ctx.options, "bulk_poll_initial", 1000)),
      poll_max_(duration_ms(ctx.options, "bulk_poll_max", 30000)) {
  api_base_ = join_url(instance_url_, "/services/data/" + ctx.options.value("api_version", std::string("v59.0")));
  auto rl = ctx.options.value("rate_limit", nlohmann::json::object());
  limit_pause_ = std::chrono::milliseconds(duration_ms(rl, "limit_pause", 3'600'000));
  daily_ = rl.value("daily", int64_t{0});
  budget_ = rl.value("budget", 1.0);
}

http_request salesforce_destination::build_request(const delivery_batch& batch) const {
  http_request req;
  req.headers = {{"Authorization", "Bearer " + token_}, {"Content-Type", "application/json"},
                 {"Accept", "application/json"}};
  if (batch.records.front().op == delivery_op::remove) {
    std::string ids;
    for (const auto& r : batch.records)
      if (!r.dest_id.empty())  // see interpret(): nothing to delete without an id
        ids += (ids.empty() ? "" : ",") + r.dest_id;
    req.method = "DELETE";
    req.url = api_base_ + "/composite/sobjects?ids=" + ids + "&allOrNone=false";
    return req;
  }
  nlohmann::json records = nlohmann::json::array();
  for (const auto& r : batch.records) {
    auto record = fields_to_json(batch.field_names, r.fields, nullptr, number_style::exact);
    record["attributes"] = {{"type", object_}};
    record[external_id_field_] = r.key;
    records.push_back(std::move(record));
  }
  req.method = "PATCH";
  req.url = api_base_ + "/composite/sobjects/" + object_ + "/" + external_id_field_;
  req.body = dump_exact(nlohmann::json{{"allOrNone", false}, {"records", std::move(records)}});
  return req;
}

batch_verdict salesforce_destination::classify_error(const http_response& response,
                                                     size_t batch_size) const {
  auto body = nlohmann::json::parse(response.body, nullptr, false);
  nlohmann::json first = body.is_array() && !body.empty() ? body.front() : nlohmann::json::object();
  std::string code = json_text(first, "errorCode");
  auto verdict = classify_response(response, batch_size);
  if (!code.empty())
    verdict.reason = "Salesforce " + std::to_string(response.status) + " " + error_text(first);
  using kind = batch_verdict::kind;
  if (code == "REQUEST_LIMIT_EXCEEDED") {
    // The org's daily API calls are spent: wait for them, do not burn retries.
    verdict.what = kind::retry;
    verdict.retry_after = limit_pause_;
  } else if (code == "INVALID_FIELD" || code == "INVALID_TYPE" || code == "NOT_FOUND" ||
             code == "INVALID_SESSION_ID") {
    // The mapping or the object does not fit the org: no record is to blame.
    verdict.what = kind::fatal;
  } else if (verdict.what == kind::split && code != "JSON_PARSER_ERROR") {
    verdict.what = kind::reject;
  }
  return verdict;
}

batch_verdict salesforce_destination::interpret(const delivery_batch& batch,
                                                const http_response& response) const {
  const size_t n = batch.records.size();
  auto op = batch.records.front().op;
  if (classify_status(response.status) != status_class::delivered)
    return classify_error(response, n);
  auto body = nlohmann::json::parse(response.body, nullptr, false);
  if (!body.is_array())
    return batch_verdict::whole(batch_verdict::kind::retry,
                                "Salesforce answered " + std::to_string(response.status) +
                                    " without a result array");
  batch_verdict v;
  // Results come in request order; deletes list only the records that had an id.
  size_t next = 0;
  for (size_t i = 0; i < n; ++i) {
    const auto& r = batch.records[i];
    if (op == delivery_op::remove && r.dest_id.empty()) {
      v.outcomes.push_back(record_outcome::rejected(
          "no Salesforce id is known for this key, so it cannot be deleted"));
      continue;
    }
    v.outcomes.push_back(next < body.size() ? outcome_of(body[next], op)
                                            : record_outcome::retryable("missing result"));
    ++next;
  }
  return v;
}

rate_signal salesforce_destination::read_rate_signal(const http_response& response) const {
  rate_signal s;
  // Sforce-Limit-Info: api-usage=25/100000
  if (auto h = response.header("Sforce-Limit-Info")) {
    static const std::regex usage(R"(api-usage=(\d{1,18})/(\d{1,18}))");  // stoll cannot overflow
    std::smatch m;
    std::string text(*h);
    if (std::regex_search(text, m, usage)) {
      auto used = std::stoll(m[1]);
      auto limit = std::stoll(m[2]);
      s.daily_remaining = std::max<int64_t>(0, limit - used);
      rate_limit_spec advertised;
      advertised.daily = limit;
      s.advertised = advertised;
    }
  }
  if (response.status == 403 && response.body.find("REQUEST_LIMIT_EXCEEDED") != std::string::npos) {
    s.daily_remaining = 0;
    s.pause = limit_pause_;
  }
  return s;
}

std::string salesforce_destination::account() const {
  return account_id("salesforce", instance_url_, token_);
}

rate_limit_spec salesforce_destination::rate_limits() const {
  rate_limit_spec spec;  // no per-window limit: Salesforce counts calls per 24 h
  spec.daily = daily_;
  spec.daily_budget = budget_;
  return spec;
}

size_t salesforce_destination::job_size(delivery_op op, uint64_t pending) const {
  bool bulk = bulk_threshold_ > 0 && pending > bulk_threshold_ &&
              (op == delivery_op::upsert || op == delivery_op::remove);
  return bulk ? bulk_job_size_ : 0;
}

std::unique_ptr<delivery_job> salesforce_destination::make_job(const delivery_batch& batch) const {
  return std::make_unique<salesforce_bulk_job>(*this, batch, std::string(), poll_initial_,
                                               poll_max_);
}

std::unique_ptr<delivery_job> salesforce_destination::resume_job(
    const delivery_batch& batch, const std::string& checkpoint) const {
  return std::make_unique<salesforce_bulk_job>(*this, batch, checkpoint, poll_initial_, poll_max_);
}

std::string salesforce_csv_value(const cell& c) {
  switch (c.type) {
    case cell_type::null:
      return "#N/A";
    case cell_type::text:
    case cell_type::timestamp:
      // Bulk API ignores an empty value (the field keeps its value); Salesforce stores an empty
      // text as null anyway, so say null.
      return c.text.empty() ? "#N/A" : std::string(c.text);
    case cell_type::real:
      return std::isfinite(c.real) ? cell_to_string(c) : "#N/A";
    default:  // booleans, integers, exact decimals, bytes as base64
      return cell_to_string(c);
  }
}

}  // namespace backflow
