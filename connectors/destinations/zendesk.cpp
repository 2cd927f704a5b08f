// Zendesk users and organizations connector, its options and its background job (see
// zendesk.hpp, docs/connectors/zendesk.md).
#include "connectors/destinations/zendesk.hpp"

#include <algorithm>

#include "pipelines/core/redaction.hpp"
#include "pipelines/core/crypto.hpp"
#include "pipelines/core/option_spec.hpp"
#include "pipelines/delivery/payload.hpp"
#include "pipelines/delivery/status_classifier.hpp"

namespace backflow {
namespace {

constexpr size_t zd_max_per_job = 100;  // create_or_update_many and destroy_many take 100
constexpr const char* zd_user_fields_prefix = "user_fields.";
constexpr const char* zd_org_fields_prefix = "organization_fields.";

long long zd_duration_ms(const nlohmann::json& options, const char* key, long long fallback) {
  long long ms = fallback;
  if (options.contains(key))
    parse_duration(options[key], ms);
  return ms;
}

std::string zd_lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

bool zd_is_remove(const delivery_batch& batch) {
  return batch.records.front().op == delivery_op::remove;
}

/// destroy_many names records in a comma-separated list: a key holding a comma cannot be named.
const char* zd_unsendable(const outbound_record& r) {
  return r.op == delivery_op::remove && r.key.find(',') != std::string::npos
             ? "this key holds a comma, which Zendesk's destroy_many external_ids list cannot "
               "carry; delete it by hand"
             : nullptr;
}

/// The positions of the records a request carries, in request order.
std::vector<size_t> zd_sent_positions(const delivery_batch& batch) {
  std::vector<size_t> sent;
  for (size_t i = 0; i < batch.records.size(); ++i)
    if (!zd_unsendable(batch.records[i]))
      sent.push_back(i);
  return sent;
}

/// One record's outcome from a job result ({index, id, status, success, error, details}).
record_outcome zd_outcome_of(const nlohmann::json& r, bool remove) {
  auto status = zd_lower(json_text(r, "status"));
  bool ok = status == "created" || status == "updated" || status == "deleted";
  if (auto s = r.find("success"); s != r.end() && s->is_boolean())
    ok = s->get<bool>();
  if (ok) {
    auto id = r.find("id");
    if (id != r.end() && id->is_number_integer())
      return record_outcome::delivered(id->dump());
    return record_outcome::delivered(json_text(r, "id"));
  }
  auto error = json_text(r, "error", "Failed");
  auto details = r.contains("details") && !r["details"].is_string() ? r["details"].dump()
                                                                     : json_text(r, "details");
  if (remove && (error == "RecordNotFound" || zd_lower(details).find("not found") != std::string::npos))
    return record_outcome::delivered();  // already gone
  return record_outcome::rejected("Zendesk " + error + (details.empty() ? "" : ": " + details));
}

/// A job over one batch: submit, then poll `job_statuses/{id}` until it completed.
class zendesk_job final : public delivery_job {
 public:
  zendesk_job(const zendesk_destination& dest, const delivery_batch& batch, std::string job_id)
      : dest_(dest), batch_(batch), sent_(zd_sent_positions(batch)), job_id_(std::move(job_id)) {}

  job_step start() override {
    if (!job_id_.empty())
      return poll(std::chrono::milliseconds(0));  // resumed: never submitted again
    if (sent_.empty())
      return finish({});
    submitting_ = true;
    return job_step::send(dest_.build_request(batch_));
  }

  job_step next(const http_response& response) override {
    const size_t n = batch_.records.size();
    if (classify_status(response.status) != status_class::delivered) {
      if (!submitting_ && response.status == 404)
        return again("Zendesk no longer knows job " + job_id_ +
                     " (job statuses expire): the records are sent again");
      return job_step::fail(dest_.classify_error(response, n));
    }
    auto state = read_zendesk_job(batch_, sent_, response.body);
    if (!state.id.empty())
      job_id_ = state.id;
    submitting_ = false;
    if (state.status == "completed") {
      if (!state.missing.empty())  // an upsert again is harmless; a record left unsettled is not
        return again(state.missing);
      return finish(std::move(state.outcomes));
    }
    if (state.status == "failed" || state.status == "killed")
      return again("Zendesk job " + job_id_ + " " + state.status +
                   (state.message.empty() ? "" : ": " + state.message));
    if (job_id_.empty() || (state.status != "queued" && state.status != "working"))
      return again("Zendesk answered without a readable job status: " +
                   describe_http_failure(response));
    delay_ = delay_.count() == 0 ? dest_.poll_initial() : std::min(dest_.poll_max(), delay_ * 2);
    return poll(delay_);
  }

  [[nodiscard]] std::string checkpoint() const override { return done_ ? std::string() : job_id_; }

 private:
  job_step poll(std::chrono::milliseconds after) {
    const auto path = "/job_statuses/" + percent_encoded(job_id_, true, false) + ".json";
    return job_step::send(dest_.request("GET", path), after);
  }

  /// The whole batch goes again as a new job (records are upserted by external id, deletes of
  /// records already gone are delivered): this job needs no checkpoint any more.
  job_step again(std::string why) {
    done_ = true;
    return job_step::fail(batch_verdict::whole(batch_verdict::kind::retry, std::move(why)));
  }

  job_step finish(std::vector<record_outcome> outcomes) {
    outcomes.resize(batch_.records.size(), record_outcome::retryable("no result"));
    for (size_t i = 0; i < batch_.records.size(); ++i)
      if (auto why = zd_unsendable(batch_.records[i]))
        outcomes[i] = record_outcome::rejected(why);
    done_ = true;
    return job_step::finished(std::move(outcomes));
  }

  zendesk_destination dest_;  ///< a copy: a job may outlive the run's connector object
  delivery_batch batch_;      ///< a copy: the job outlives moves of the work item that holds it
  std::vector<size_t> sent_;
  std::string job_id_;
  bool submitting_ = false;
  bool done_ = false;
  std::chrono::milliseconds delay_{0};
};

}  // namespace

destination_type zendesk_destination::type() {
  destination_type t;
  t.name = "zendesk";
  t.summary = "Zendesk Support users (create_or_update_many jobs) or organizations "
              "(create_or_update), destroy_many jobs for mirror";
  t.modes = {sync_mode::upsert, sync_mode::mirror};
  t.max_wait = std::chrono::hours(1);  // a Retry-After is seconds to a minute
  t.options = {
    option("url", option_type::url, "your Zendesk, e.g. https://acme.zendesk.com").mandatory(),
    option("email", option_type::string, "the agent's email, with api_token"),
    option("api_token", option_type::string, "API token, e.g. \"${ZENDESK_API_TOKEN}\"")
        .secret_value(),
    option("oauth_token", option_type::string, "OAuth access token (instead of email/api_token)")
        .secret_value(),
    option("object", option_type::string, "what to write: users, or organizations (one per "
           "upsert request, 100 per delete job)")
        .defaults_to("users").one_of({"users", "organizations"}).shapes_payload(),
    option("batch_size", option_type::integer, "users (or deleted organizations) per job "
           "(Zendesk allows 100)")
        .defaults_to(100).between(1, 100),
    option("poll_initial", option_type::duration, "first wait before polling a job")
        .defaults_to("1s"),
    option("poll_max", option_type::duration, "longest wait between polls").defaults_to("10s"),
    option("rate_limit", option_type::object, "the account's limits (default: the Team plan)")
        .with({
          option("per_minute", option_type::integer,
                 "requests per minute: Team 200, Growth and Professional 400, Enterprise 700, "
                 "High Volume API 2500 (0 = unlimited)")
              .defaults_to(200).between(0, 1e6),
        }),
  };
  t.make = [](const destination_context& ctx) {
    return std::make_unique<zendesk_destination>(ctx);
  };
  t.check = [](const destination_context& ctx, const std::string& path, config_errors& errors) {
    const auto& o = ctx.options;
    bool token = o.contains("api_token"), oauth = o.contains("oauth_token");
    if (token == oauth)
      errors.add(path, "give either email and api_token, or oauth_token");
    if (token && !o.contains("email"))
      errors.add(join_path(path, "email"), "is required with api_token");
    if (ctx.key_columns.size() != 1)
      errors.add("source.key", "zendesk needs exactly one key column: its value is the user's "
                               "or organization's external_id");
  };
  return t;
}

zendesk_destination::zendesk_destination(const destination_context& ctx)
    : organizations_(ctx.options.value("object", "users") == "organizations"),
      url_(ctx.options.value("url", "")),
      batch_size_(std::min<size_t>(ctx.options.value("batch_size", zd_max_per_job), zd_max_per_job)),
      poll_initial_(zd_duration_ms(ctx.options, "poll_initial", 1000)),
      poll_max_(zd_duration_ms(ctx.options, "poll_max", 10000)) {
  if (ctx.options.contains("oauth_token")) {
    credential_ = ctx.options.value("oauth_token", "");
    authorization_ = "Bearer " + credential_;
  } else {
    credential_ = ctx.options.value("email", "") + "/token:" + ctx.options.value("api_token", "");
    authorization_ = "Basic " + base64_encode(credential_);
  }
  per_minute_ = ctx.options.value("rate_limit", nlohmann::json::object()).value("per_minute", 200);
}

http_request zendesk_destination::request(const std::string& method, const std::string& path,
                                          std::string body) const {
  http_request req;
  req.method = method;
  req.url = join_url(url_, "/api/v2" + path);
  req.body = std::move(body);
  req.headers = {{"Authorization", authorization_}, {"Accept", "application/json"}};
  if (!req.body.empty())
    req.headers.push_back({"Content-Type", "application/json"});
  return req;
}

http_request zendesk_destination::build_request(const delivery_batch& batch) const {
  if (!zd_is_remove(batch))
    return organizations_
               ? request("POST", "/organizations/create_or_update.json",
                         zendesk_organization_body(batch, 0))
               : request("POST", "/users/create_or_update_many.json", zendesk_users_body(batch));
  std::string ids;
  for (auto i : zd_sent_positions(batch))
    ids += (ids.empty() ? "" : ",") + percent_encoded(batch.records[i].key, true, false);
  return request("DELETE", std::string("/") + object() + "/destroy_many.json?external_ids=" + ids);
}

batch_verdict zendesk_destination::classify_error(const http_response& response, size_t n) const {
  auto verdict = classify_response(response, n);
  if (auto reason = zendesk_error_reason(response.status, response.body); !reason.empty())
    verdict.reason = std::move(reason);
  if (verdict.what == batch_verdict::kind::split)
    verdict.what = batch_verdict::kind::reject;  // a job is refused whole: no record to isolate
  return verdict;
}

batch_verdict zendesk_destination::interpret(const delivery_batch& batch,
                                             const http_response& response) const {
  if (classify_status(response.status) != status_class::delivered)
    return classify_error(response, batch.records.size());
  if (organizations_ && !zd_is_remove(batch)) {  // create_or_update: one organization, at once
    auto doc = nlohmann::json::parse(response.body, nullptr, false);
    auto org = doc.is_object() ? doc.value("organization", nlohmann::json()) : nlohmann::json();
    auto id = org.is_object() ? org.find("id") : org.end();
    batch_verdict v;
    v.outcomes.assign(batch.records.size(), record_outcome::delivered(
        org.is_object() && id != org.end() && id->is_number_integer() ? id->dump()
                                                                       : json_text(org, "id")));
    return v;
  }
  auto sent = zd_sent_positions(batch);
  auto state = read_zendesk_job(batch, sent, response.body);
  if (state.status != "completed" || !state.missing.empty())
    return batch_verdict::whole(batch_verdict::kind::retry,
                                "Zendesk queued job " + state.id + "; it is read as a job only");
  batch_verdict v;
  v.outcomes = std::move(state.outcomes);
  for (size_t i = 0; i < batch.records.size(); ++i)
    if (auto why = zd_unsendable(batch.records[i]))
      v.outcomes[i] = record_outcome::rejected(why);
  return v;
}

std::string zendesk_destination::account() const {
  return account_id("zendesk", url_, credential_);
}

rate_limit_spec zendesk_destination::rate_limits() const {
  rate_limit_spec spec;
  spec.requests_per_window = per_minute_;
  spec.window = std::chrono::minutes(1);
  return spec;
}

size_t zendesk_destination::job_size(delivery_op op, uint64_t) const {
  if (organizations_ && op == delivery_op::upsert)
    return 0;  // create_or_update answers at once
  return op == delivery_op::upsert || op == delivery_op::remove ? batch_size_ : 0;
}

std::unique_ptr<delivery_job> zendesk_destination::make_job(const delivery_batch& batch) const {
  return std::make_unique<zendesk_job>(*this, batch, std::string());
}

std::unique_ptr<delivery_job> zendesk_destination::resume_job(const delivery_batch& batch,
                                                              const std::string& checkpoint) const {
  return std::make_unique<zendesk_job>(*this, batch, checkpoint);
}

namespace {

/// One record as Zendesk's object: targets under `prefix` ("user_fields.") nested in the object
/// it names, the others as given, `external_id` the key.
nlohmann::json zd_record_json(const delivery_batch& batch, const outbound_record& r,
                              const std::string& prefix) {
  auto fields = fields_to_json(batch.field_names, r.fields, nullptr, number_style::exact);
  const auto nested = prefix.substr(0, prefix.size() - 1);
  nlohmann::json out = nlohmann::json::object();
  for (auto& [name, value] : fields.items()) {
    if (name.rfind(prefix, 0) == 0)
      out[nested][name.substr(prefix.size())] = std::move(value);
    else
      out[name] = std::move(value);
  }
  out["external_id"] = r.key;
  return out;
}

/// "name DuplicateValue: Name: Acme has already been taken; ..." from a RecordInvalid `details`.
std::string zd_details_text(const nlohmann::json& details) {
  std::string out;
  for (const auto& [field, problems] : details.items()) {
    if (!problems.is_array())
      continue;
    for (const auto& p : problems) {
      auto text = field + " " + json_text(p, "error") + ": " + json_text(p, "description");
      out += (out.empty() ? "" : "; ") + text;
    }
  }
  return out;
}

}  // namespace

std::string zendesk_users_body(const delivery_batch& batch) {
  nlohmann::json users = nlohmann::json::array();
  for (const auto& r : batch.records)
    users.push_back(zd_record_json(batch, r, zd_user_fields_prefix));
  return dump_exact(nlohmann::json{{"users", std::move(users)}});
}

std::string zendesk_organization_body(const delivery_batch& batch, size_t i) {
  return dump_exact(nlohmann::json{
      {"organization", zd_record_json(batch, batch.records.at(i), zd_org_fields_prefix)}});
}

std::string zendesk_error_reason(int status, const std::string& body) {
  auto doc = nlohmann::json::parse(body, nullptr, false);
  auto error = json_text(doc, "error");
  if (error.empty())
    return {};
  auto description = json_text(doc, "description", json_text(doc, "message"));
  std::string details;
  if (auto d = doc.find("details"); d != doc.end() && d->is_object())
    details = zd_details_text(*d);
  return "Zendesk " + std::to_string(status) + " " + error +
         (description.empty() ? "" : ": " + description) +
         (details.empty() ? "" : " (" + details + ")");
}

zendesk_job_state read_zendesk_job(const delivery_batch& batch, const std::vector<size_t>& sent,
                                   const std::string& body) {
  zendesk_job_state state;
  auto doc = nlohmann::json::parse(body, nullptr, false);
  auto js = doc.is_object() ? doc.value("job_status", nlohmann::json()) : nlohmann::json();
  state.id = json_text(js, "id");
  state.status = zd_lower(json_text(js, "status"));
  state.message = json_text(js, "message");
  if (state.status != "completed")
    return state;
  const bool remove = !batch.records.empty() && zd_is_remove(batch);
  state.outcomes.assign(batch.records.size(), record_outcome::retryable("no result"));
  std::vector<bool> seen(sent.size(), false);
  auto results = js.find("results");
  if (results != js.end() && results->is_array()) {
    for (size_t p = 0; p < results->size(); ++p) {
      const auto& r = (*results)[p];
      if (!r.is_object())
        continue;
      auto index = r.find("index");
      size_t at = index != r.end() && index->is_number_unsigned() ? index->get<size_t>() : p;
      if (at >= sent.size())
        continue;
      seen[at] = true;
      state.outcomes[sent[at]] = zd_outcome_of(r, remove);
    }
  }
  for (size_t at = 0; at < sent.size() && state.missing.empty(); ++at)
    if (!seen[at])
      state.missing = "Zendesk job " + state.id + " completed without a result for index " +
                      std::to_string(at) + ": the records are sent again";
  return state;
}

}  // namespace backflow
