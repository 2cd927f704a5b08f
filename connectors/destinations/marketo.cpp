// Marketo Engage leads connector (see marketo.hpp and docs/connectors/marketo.md).
#include "connectors/destinations/marketo.hpp"

#include <algorithm>
#include <cctype>
#include <unordered_map>

#include "pipelines/core/clock.hpp"
#include "pipelines/core/text.hpp"
#include "pipelines/delivery/payload.hpp"
#include "pipelines/delivery/status_classifier.hpp"

namespace backflow {
namespace {

constexpr size_t max_leads = 300;

const char* action_for(delivery_op op) {
  switch (op) {
    case delivery_op::update:
      return "updateOnly";
    case delivery_op::insert:
      return "createOnly";
    default:
      return "createOrUpdate";
  }
}

/// RFC 3986 percent-encoding of a query parameter's value.
std::string query_escape(std::string_view text) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(hex[c >> 4]);
      out.push_back(hex[c & 15]);
    }
  }
  return out;
}

/// Marketo quotes its codes ("606"); a number is read as well.
std::string code_of(const nlohmann::json& error) {
  if (!error.is_object() || !error.contains("code"))
    return {};
  const auto& code = error["code"];
  return code.is_string() ? code.get<std::string>() : code.is_number() ? code.dump() : "";
}

/// The first entry of `errors` (request level) or `reasons` (record level): "606 Max rate ...".
std::pair<std::string, std::string> first_error(const nlohmann::json& holder, const char* list) {
  auto it = holder.is_object() ? holder.find(list) : holder.end();
  if (it == holder.end() || !it->is_array() || it->empty())
    return {};
  return {code_of(it->front()), json_text(it->front(), "message")};
}

bool all_digits(const std::string& s) {
  return !s.empty() && s.size() < 19 &&
         std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isdigit(c) != 0; });
}

}  // namespace

destination_type marketo_destination::type() {
  destination_type t;
  t.name = "marketo";
  t.summary = "Marketo Engage leads, synced in batches of 300 by a lookup field";
  t.modes = {sync_mode::upsert, sync_mode::update, sync_mode::insert, sync_mode::mirror,
             sync_mode::audience};
  t.max_wait = std::chrono::hours(24);  // the daily quota resets at midnight, US Central
  t.options = {
    option("endpoint", option_type::url,
           "REST API base URL (Admin > Web Services), e.g. https://123-ABC-456.mktorest.com")
        .mandatory(),
    option("identity", option_type::url, "Identity URL (default: <endpoint>/identity)"),
    option("client_id", option_type::string, "the custom service's Client ID").mandatory(),
    option("client_secret", option_type::string,
           "the custom service's Client Secret, e.g. \"${MARKETO_CLIENT_SECRET}\"")
        .mandatory().secret_value(),
    option("lookup_field", option_type::string,
           "the lead field the key matches (Marketo's lookupField)")
        .defaults_to("email").shapes_payload(),
    option("list_id", option_type::integer,
           "audience mode: the static list whose members are the model's rows (its id)")
        .between(1, 1e15),
    option("batch_size", option_type::integer, "leads per request (Marketo allows 300)")
        .defaults_to(300).between(1, 300),
    option("rate_limit", option_type::object, "the subscription's limits (Marketo's defaults)")
        .with({
          option("per_20s", option_type::integer, "calls per rolling 20 seconds (0 = unlimited)")
              .defaults_to(100).between(0, 1e9),
          option("daily", option_type::integer, "calls per day (0 = unlimited)")
              .defaults_to(50000).between(0, 1e12),
          option("budget", option_type::number,
                 "share of the daily quota syncs may use, e.g. 0.8 leaves 20% for others")
              .defaults_to(1.0).between(0.01, 1),
          option("reset_utc_offset", option_type::string,
                 "the daily quota resets at midnight at this offset (US Central Standard Time)")
              .defaults_to("-06:00").looks_like(R"([+-]\d\d:\d\d)", "-06:00"),
        }),
  };
  t.make = [](const destination_context& ctx) { return std::make_unique<marketo_destination>(ctx); };
  t.check = [](const destination_context& ctx, const std::string& path, config_errors& errors) {
    if (ctx.key_columns.size() != 1)
      errors.add("source.key", "marketo needs exactly one key column: its value is the lead's " +
                                   ctx.options.value("lookup_field", std::string("email")));
    bool audience = ctx.mode == sync_mode::audience;
    bool listed = ctx.options.contains("list_id") && !ctx.options["list_id"].is_null();
    if (audience && !listed)
      errors.add(join_path(path, "list_id"),
                 "is required in audience mode: the id of the static list whose members are the "
                 "model's rows");
    if (!audience && listed)
      errors.add(join_path(path, "list_id"),
                 std::string("is used only in audience mode (mode is \"") + to_string(ctx.mode) +
                     "\")");
    auto rl = ctx.options.value("rate_limit", nlohmann::json::object());
    std::string offset = rl.value("reset_utc_offset", "-06:00");
    if (offset.size() == 6 && !parse_utc_offset(offset))
      errors.add(join_path(path, "rate_limit.reset_utc_offset"),
                 "is not a UTC offset between -14:00 and +14:00");
  };
  return t;
}

marketo_destination::marketo_destination(const destination_context& ctx)
    : endpoint_(ctx.options.value("endpoint", "")),
      identity_(ctx.options.value("identity", join_url(endpoint_, "/identity"))),
      client_id_(ctx.options.value("client_id", "")),
      client_secret_(ctx.options.value("client_secret", "")),
      lookup_field_(ctx.options.value("lookup_field", "email")),
      list_id_(ctx.mode == sync_mode::audience && ctx.options.contains("list_id") &&
                       ctx.options["list_id"].is_number_integer()
                   ? ctx.options["list_id"].dump()
                   : std::string()),
      batch_size_(std::min<size_t>(ctx.options.value("batch_size", max_leads), max_leads)) {
  auto rl = ctx.options.value("rate_limit", nlohmann::json::object());
  limits_.requests_per_window = rl.value("per_20s", 100);
  limits_.window = std::chrono::seconds(20);
  limits_.daily = rl.value("daily", int64_t{50000});
  limits_.daily_budget = rl.value("budget", 1.0);
  limits_.day_offset = parse_utc_offset(rl.value("reset_utc_offset", std::string("-06:00")))
                           .value_or(std::chrono::minutes(-360));
}

std::optional<http_request> marketo_destination::build_token_request() const {
  http_request req;
  req.method = "GET";
  req.url = join_url(identity_, "/oauth/token") + "?grant_type=client_credentials&client_id=" +
            query_escape(client_id_) + "&client_secret=" + query_escape(client_secret_);
  return req;
}

http_request marketo_destination::build_request(const delivery_batch& batch) const {
  auto op = batch.records.front().op;
  if (op != delivery_op::remove)
    return sync_request(batch);  // audience additions: the first request of their job
  if (!list_id_.empty()) {
    std::vector<std::string> ids;
    for (const auto& r : batch.records)
      if (all_digits(r.dest_id))
        ids.push_back(r.dest_id);
    return list_request("DELETE", ids);
  }
  http_request req;
  req.method = "POST";
  req.headers = {{"Content-Type", "application/json"}};
  req.url = join_url(endpoint_, "/rest/v1/leads/delete.json");
  nlohmann::json input = nlohmann::json::array();
  for (const auto& r : batch.records)
    if (all_digits(r.dest_id))  // see interpret(): without a Marketo id there is nothing to delete
      input.push_back({{"id", std::stoll(r.dest_id)}});
  req.body = nlohmann::json{{"input", std::move(input)}}.dump();
  return req;
}

http_request marketo_destination::sync_request(const delivery_batch& batch) const {
  http_request req;
  req.method = "POST";
  req.headers = {{"Content-Type", "application/json"}};
  auto op = batch.records.front().op;
  nlohmann::json input = nlohmann::json::array();
  req.url = join_url(endpoint_, "/rest/v1/leads.json");
  for (const auto& r : batch.records) {
    auto lead = fields_to_json(batch.field_names, r.fields, nullptr, number_style::exact);
    lead[lookup_field_] = r.key;  // the key is the lookup value, whatever the mapping says
    input.push_back(std::move(lead));
  }
  req.body = dump_exact(nlohmann::json{{"action", action_for(op)},
                                       {"lookupField", lookup_field_},
                                       {"input", std::move(input)}});
  return req;
}

std::chrono::milliseconds marketo_destination::throttle_wait(const std::string& code,
                                                             const std::string& message) const {
  using namespace std::chrono;
  if (code == "606") {
    // "Max rate limit '100' exceeded with in '20' secs": the subscription's own window.
    auto at = message.find("with in '");
    if (at != std::string::npos) {
      try {
        auto secs = std::stoll(message.substr(at + 9));
        if (secs > 0 && secs <= 3600)
          return seconds(secs);
      } catch (...) {
      }
    }
    return duration_cast<milliseconds>(limits_.window);
  }
  if (code == "615")
    return seconds(1);  // a call in flight will end soon
  if (code == "607") {
    auto now = wall_now();
    return duration_cast<milliseconds>(quota_day_end(now, limits_.day_offset) - now);
  }
  return milliseconds(0);
}

batch_verdict marketo_destination::request_failure(const delivery_batch& batch,
                                                   const nlohmann::json& body) const {
  using kind = batch_verdict::kind;
  auto [code, message] = first_error(body, "errors");
  auto reason = "Marketo " + (code.empty() ? std::string("error") : code) + ": " + message;
  if (code == "601" || code == "602") {
    auto v = batch_verdict::whole(kind::retry, reason);
    v.token_rejected = true;
    return v;
  }
  if (auto wait = throttle_wait(code, message); wait.count() > 0) {
    if (code == "607")
      reason += " (the daily quota resets at " +
                iso8601(quota_day_end(wall_now(), limits_.day_offset)) + ")";
    return batch_verdict::whole(kind::retry, reason, wait);
  }
  if (code == "604" || code == "608" || code == "611" || code == "713")
    return batch_verdict::whole(kind::retry, reason);  // timeouts, unavailable, system errors
  if (!code.empty() && code[0] == '7' && batch.records.size() > 1)
    return batch_verdict::whole(kind::split, reason);  // a parameter some record carries
  if (!code.empty() && code[0] == '7')
    return batch_verdict::whole(kind::reject, reason);
  return batch_verdict::whole(kind::fatal, reason);  // 600, 603, 609, 610: no record to blame
}

batch_verdict marketo_destination::read_results(const delivery_batch& batch,
                                                const nlohmann::json& results) const {
  const size_t n = batch.records.size();
  auto v = batch_verdict::all(n, record_outcome::retryable("Marketo returned no result for this lead"));
  bool removing = batch.records.front().op == delivery_op::remove;
  // Results follow the input's order; deletes only sent the records with a Marketo id.
  std::vector<size_t> sent;
  for (size_t i = 0; i < n; ++i) {
    if (removing && !all_digits(batch.records[i].dest_id))
      v.outcomes[i] = record_outcome::rejected(
          "no Marketo lead id is known for this key, so it cannot be deleted");
    else
      sent.push_back(i);
  }
  for (size_t r = 0; r < results.size() && r < sent.size(); ++r) {
    const auto& res = results[r];
    auto& outcome = v.outcomes[sent[r]];
    auto status = json_text(res, "status");
    auto id = res.is_object() && res.contains("id") && res["id"].is_number_integer()
                  ? res["id"].dump()
                  : json_text(res, "id");
    if (status == "created" || status == "updated" || status == "deleted") {
      outcome = record_outcome::delivered(removing ? batch.records[sent[r]].dest_id : id);
    } else if (status == "skipped") {
      auto [code, message] = first_error(res, "reasons");
      if (removing && code == "1004")
        outcome = record_outcome::delivered(batch.records[sent[r]].dest_id);  // already gone
      else if (code == "1005")  // createOnly: the lead is there (created earlier, or by others)
        outcome = record_outcome::found_existing(id);
      else
        outcome = record_outcome::rejected("skipped: " + code + " " + message);
    }
  }
  return v;
}

std::variant<nlohmann::json, batch_verdict> marketo_destination::result_list(
    const delivery_batch& batch, const http_response& response) const {
  const size_t n = batch.records.size();
  if (classify_status(response.status) != status_class::delivered) {
    auto v = classify_response(response, n);
    if (response.status == 413 && n > 1)
      v.what = batch_verdict::kind::split;  // over 1 MB: halves fit
    return v;
  }
  auto body = nlohmann::json::parse(response.body, nullptr, false);
  if (!body.is_object())
    return batch_verdict::whole(batch_verdict::kind::retry,
                                "Marketo answered " + std::to_string(response.status) +
                                    " with a body that is not a JSON object");
  if (!body.value("success", false))
    return request_failure(batch, body);
  auto results = body.find("result");
  if (results == body.end() || !results->is_array())
    return batch_verdict::whole(batch_verdict::kind::retry,
                                "Marketo answered success without a result list");
  return std::move(*results);
}

batch_verdict marketo_destination::interpret(const delivery_batch& batch,
                                             const http_response& response) const {
  if (!list_id_.empty() && batch.records.front().op == delivery_op::remove) {
    std::vector<std::string> ids;
    for (const auto& r : batch.records)
      ids.push_back(all_digits(r.dest_id) ? r.dest_id : std::string());
    return read_list_answer(batch, ids, response);
  }
  auto results = result_list(batch, response);
  if (auto* verdict = std::get_if<batch_verdict>(&results))
    return std::move(*verdict);
  return read_results(batch, std::get<nlohmann::json>(results));
}

rate_signal marketo_destination::read_rate_signal(const http_response& response) const {
  rate_signal s;
  if (response.status != 200 || response.body.find("\"success\":false") == std::string::npos)
    return s;
  auto body = nlohmann::json::parse(response.body, nullptr, false);
  auto [code, message] = first_error(body, "errors");
  if (code == "607")
    s.daily_remaining = 0;
  else if (auto wait = throttle_wait(code, message); wait.count() > 0)
    s.pause = wait;  // every sync of the subscription holds off
  return s;
}

std::optional<http_request> marketo_destination::build_lookup(const delivery_batch& batch) const {
  std::string values;
  for (const auto& r : batch.records) {
    if (r.key.find(',') != std::string::npos)
      return std::nullopt;  // filterValues is comma-separated: such a key cannot be asked for
    values += (values.empty() ? "" : ",") + r.key;
  }
  // Marketo's advice for long queries: POST with _method=GET, the query in the form body.
  http_request req;
  req.method = "POST";
  req.url = join_url(endpoint_, "/rest/v1/leads.json") + "?_method=GET";
  req.headers = {{"Content-Type", "application/x-www-form-urlencoded"}};
  req.body = "filterType=" + query_escape(lookup_field_) + "&filterValues=" +
             query_escape(values) + "&fields=" + query_escape("id," + lookup_field_);
  return req;
}

batch_verdict marketo_destination::interpret_lookup(const delivery_batch& batch,
                                                    const http_response& response) const {
  if (classify_status(response.status) != status_class::delivered)
    return interpret(batch, response);
  auto body = nlohmann::json::parse(response.body, nullptr, false);
  if (!body.is_object())
    return batch_verdict::whole(batch_verdict::kind::retry,
                                "Marketo answered a lead query with a body that is not JSON");
  if (!body.value("success", false))
    return request_failure(batch, body);
  auto fold = [&](const std::string& s) { return lookup_field_ == "email" ? ascii_lower(s) : s; };
  std::unordered_map<std::string, size_t> index;
  for (size_t i = 0; i < batch.records.size(); ++i)
    index.emplace(fold(batch.records[i].key), i);
  auto v = batch_verdict::all(batch.records.size(),
                              record_outcome::retryable("not found in Marketo: safe to create"));
  auto results = body.find("result");
  if (results != body.end() && results->is_array())
    for (const auto& lead : *results) {
      auto value = lead.is_object() ? lead.find(lookup_field_) : lead.end();
      if (value == lead.end() || !value->is_string() || !lead.contains("id"))
        continue;
      if (auto it = index.find(fold(value->get<std::string>())); it != index.end())
        v.outcomes[it->second] = record_outcome::delivered(lead["id"].dump());
    }
  return v;
}

// -- audience mode: static list membership -----------------------------------------------------

http_request marketo_destination::list_request(const char* method,
                                               const std::vector<std::string>& ids) const {
  http_request req;
  req.method = method;
  req.url = join_url(endpoint_, "/rest/v1/lists/" + list_id_ + "/leads.json");
  req.headers = {{"Content-Type", "application/json"}};
  nlohmann::json input = nlohmann::json::array();
  for (const auto& id : ids)
    input.push_back({{"id", std::stoll(id)}});
  req.body = nlohmann::json{{"input", std::move(input)}}.dump();
  return req;
}

batch_verdict marketo_destination::read_list_answer(const delivery_batch& batch,
                                                    const std::vector<std::string>& ids,
                                                    const http_response& response) const {
  auto results = result_list(batch, response);
  if (auto* verdict = std::get_if<batch_verdict>(&results))
    return std::move(*verdict);
  // Results carry the lead id: read by id (two keys may name one lead).
  std::unordered_map<std::string, const nlohmann::json*> by_id;
  for (const auto& r : std::get<nlohmann::json>(results))
    if (r.is_object() && r.contains("id"))
      by_id.emplace(r["id"].is_string() ? r["id"].get<std::string>() : r["id"].dump(), &r);
  const bool removing = batch.records.front().op == delivery_op::remove;
  auto v = batch_verdict::all(
      batch.records.size(), record_outcome::retryable("Marketo returned no result for this lead"));
  for (size_t i = 0; i < batch.records.size(); ++i) {
    auto& outcome = v.outcomes[i];
    if (ids[i].empty()) {
      outcome = record_outcome::rejected("no Marketo lead id is known for this key, so it cannot "
                                         "be taken out of list " + list_id_);
      continue;
    }
    auto it = by_id.find(ids[i]);
    if (it == by_id.end())
      continue;
    auto status = json_text(*it->second, "status");
    auto [code, message] = first_error(*it->second, "reasons");
    if (status == "added" || status == "removed")
      outcome = record_outcome::delivered(ids[i]);
    else if (status == "skipped" && removing && (code == "1004" || code == "1015"))
      outcome = record_outcome::delivered(ids[i]);  // the lead is gone, or was not in the list
    else if (status == "skipped" && code == "1004")
      outcome = record_outcome::rejected("skipped: 1004 " + message + " (lead " + ids[i] +
                                         " was deleted before it could join list " + list_id_ +
                                         ")");
    else if (status == "skipped")
      outcome = record_outcome::rejected("skipped: " + code + " " + message);
  }
  return v;
}

/// One batch of list additions: sync the leads by the lookup field (which answers their ids),
/// then add those ids to the list. Both requests are safe to repeat, so a job that fails or is
/// lost starts over and its checkpoint stays empty. It never settles a record as retryable (the
/// delivery layer would send it outside a job): a lead without an answer starts the job again.
class marketo_list_job final : public delivery_job {
 public:
  marketo_list_job(const marketo_destination& dest, delivery_batch batch)
      : dest_(dest), batch_(std::move(batch)) {}

  job_step start() override { return job_step::send(dest_.sync_request(batch_)); }

  job_step next(const http_response& response) override {
    if (!adding_)
      return synced(dest_.interpret(batch_, response));
    auto v = dest_.read_list_answer(batch_, ids_, response);
    if (v.what != batch_verdict::kind::per_record)
      return job_step::fail(std::move(v));
    for (size_t i = 0; i < ids_.size(); ++i)
      if (ids_[i].empty())
        v.outcomes[i] = synced_[i];  // rejected by the sync: never sent to the list
    return finish(std::move(v.outcomes));
  }

  [[nodiscard]] std::string checkpoint() const override { return {}; }

 private:
  job_step synced(batch_verdict v) {
    if (v.what != batch_verdict::kind::per_record)
      return job_step::fail(std::move(v));
    std::vector<std::string> unique;
    ids_.assign(batch_.records.size(), std::string());
    for (size_t i = 0; i < v.outcomes.size() && i < ids_.size(); ++i) {
      const auto& o = v.outcomes[i];
      if (o.what == record_outcome::kind::retryable)
        return again(o);
      if (o.what == record_outcome::kind::delivered && all_digits(o.dest_id)) {
        ids_[i] = o.dest_id;
        if (std::find(unique.begin(), unique.end(), o.dest_id) == unique.end())
          unique.push_back(o.dest_id);
      } else if (o.what == record_outcome::kind::delivered) {
        v.outcomes[i] = record_outcome::rejected("Marketo synced the lead without giving its id");
      }
    }
    synced_ = std::move(v.outcomes);
    if (unique.empty())
      return job_step::finished(std::move(synced_));
    adding_ = true;
    return job_step::send(dest_.list_request("POST", unique));
  }

  job_step finish(std::vector<record_outcome> outcomes) {
    for (const auto& o : outcomes)
      if (o.what == record_outcome::kind::retryable)
        return again(o);
    return job_step::finished(std::move(outcomes));
  }

  static job_step again(const record_outcome& o) {
    return job_step::fail(
        batch_verdict::whole(batch_verdict::kind::retry, o.reason, o.retry_after));
  }

  const marketo_destination& dest_;
  delivery_batch batch_;
  bool adding_ = false;
  std::vector<std::string> ids_;  ///< per record: its lead id, empty when the sync refused it
  std::vector<record_outcome> synced_;
};

size_t marketo_destination::job_size(delivery_op op, uint64_t) const {
  return list_id_.empty() || op == delivery_op::remove ? 0 : batch_size_;
}

std::unique_ptr<delivery_job> marketo_destination::make_job(const delivery_batch& batch) const {
  if (list_id_.empty() || batch.records.empty() || batch.records.front().op == delivery_op::remove)
    return nullptr;
  return std::make_unique<marketo_list_job>(*this, batch);
}

std::string marketo_destination::account() const {
  return account_id("marketo", endpoint_, client_id_);
}

}  // namespace backflow
