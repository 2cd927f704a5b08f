// Intercom REST API connector (see intercom.hpp and docs/connectors/intercom.md).
#include "connectors/destinations/intercom.hpp"

#include <algorithm>
#include <array>

#include "pipelines/core/clock.hpp"
#include "pipelines/core/text.hpp"
#include "pipelines/delivery/payload.hpp"
#include "pipelines/delivery/status_classifier.hpp"

namespace backflow {
namespace {

/// Contact attributes Intercom keeps at the top level; every other field is a custom attribute.
constexpr std::array<const char*, 9> contact_attributes = {
    "email", "phone", "name", "avatar", "signed_up_at", "last_seen_at", "owner_id",
    "unsubscribed_from_emails", "role"};
/// Company attributes Intercom keeps at the top level.
constexpr std::array<const char*, 7> company_attributes = {
    "name", "plan", "size", "website", "industry", "remote_created_at", "monthly_spend"};

template <size_t N>
bool listed(const std::array<const char*, N>& names, const std::string& field) {
  return std::any_of(names.begin(), names.end(), [&](const char* n) { return field == n; });
}

std::optional<int64_t> rate_header(const http_response& r, std::string_view name) {
  auto h = r.header(name);
  if (!h)
    return std::nullopt;
  try {
    return std::stoll(std::string(*h));
  } catch (...) {
    return std::nullopt;
  }
}

/// How long until the window resets (X-RateLimit-Reset, unix seconds): at least a second, the
/// delivery layer caps it at the type's max_wait.
std::chrono::milliseconds reset_wait(const http_response& r) {
  auto reset = rate_header(r, "X-RateLimit-Reset");
  auto wait_ms = reset ? *reset * 1000 - wall_now_ms() : 0;
  return std::chrono::milliseconds(std::max<int64_t>(wait_ms, 1000));
}

/// A verdict read for a batch's first record, for the whole batch: Intercom takes one record per
/// request (batch_size 1), so any other record was not sent and goes again on its own.
batch_verdict widened(batch_verdict v, size_t n) {
  if (v.what == batch_verdict::kind::per_record && v.outcomes.size() < n)
    v.outcomes.resize(n, record_outcome::retryable("Intercom takes one record per request"));
  return v;
}

}  // namespace

// -- intercom_settings --------------------------------------------------------------------------

http_request intercom_settings::request(std::string method, const std::string& path,
                                        std::string body) const {
  http_request req;
  req.method = std::move(method);
  req.url = join_url(endpoint, path);
  req.headers = {{"Authorization", "Bearer " + token},
                 {"Intercom-Version", version},
                 {"Accept", "application/json"}};
  if (!body.empty())
    req.headers.push_back({"Content-Type", "application/json"});
  req.body = std::move(body);
  return req;
}

http_request intercom_settings::search(const std::string& key) const {
  nlohmann::json query = {{"field", match_by}, {"operator", "="}, {"value", key}};
  nlohmann::json body = {{"query", query}, {"pagination", {{"per_page", 5}}}};
  return request("POST", "/contacts/search", body.dump());
}

std::optional<std::string> intercom_settings::found_in(const http_response& response,
                                                       const std::string& key) const {
  auto body = nlohmann::json::parse(response.body, nullptr, false);
  auto data = body.is_object() ? body.find("data") : body.end();
  if (data == body.end() || !data->is_array())
    return std::nullopt;
  for (const auto& c : *data) {
    auto value = json_text(c, match_by.c_str());
    // Intercom compares emails without regard to case; external ids exactly.
    if (match_by == "email" ? ascii_lower(value) == ascii_lower(key) : value == key)
      return json_text(c, "id");
  }
  return std::string();
}

bool intercom_settings::top_level(const std::string& field) const {
  return object == "contacts" ? listed(contact_attributes, field) : listed(company_attributes, field);
}

nlohmann::json intercom_settings::body_of(const delivery_batch& batch,
                                          const outbound_record& r) const {
  // Decimals go as their exact text: a 38-digit value would not survive a float attribute.
  auto fields = fields_to_json(batch.field_names, r.fields, nullptr,
                               number_style::exact_decimal_strings);
  const bool contacts = object == "contacts";
  nlohmann::json body = nlohmann::json::object();
  nlohmann::json custom = nlohmann::json::object();
  for (auto& [name, value] : fields.items()) {
    (top_level(name) ? body : custom)[name] = value;
  }
  if (contacts) {
    body[match_by] = r.key;
    if (!body.contains("role"))
      body["role"] = "user";
  } else {
    body["company_id"] = r.key;
  }
  if (!custom.empty())
    body["custom_attributes"] = std::move(custom);
  return body;
}

std::string intercom_settings::reason_of(const http_response& response) {
  auto body = nlohmann::json::parse(response.body, nullptr, false);
  auto errors = body.is_object() ? body.find("errors") : body.end();
  if (errors == body.end() || !errors->is_array() || errors->empty())
    return describe_http_failure(response);
  std::string reason;
  for (const auto& e : *errors) {
    if (!e.is_object())
      continue;
    reason += (reason.empty() ? "" : "; ") + json_text(e, "code", "error") + ": " +
              json_text(e, "message");
  }
  return reason.empty() ? describe_http_failure(response) : reason;
}

batch_verdict intercom_settings::failure(const http_response& response) {
  auto verdict = classify_response(response, 1);
  if (verdict.what == batch_verdict::kind::split)
    verdict.what = batch_verdict::kind::reject;  // one record per request: nothing to bisect
  if (verdict.what != batch_verdict::kind::retry || verdict.reason.empty())
    verdict.reason = reason_of(response);
  if (response.status == 429 && verdict.retry_after.count() == 0)
    verdict.retry_after = reset_wait(response);  // Intercom sends no Retry-After
  return verdict;
}

// -- intercom_destination -----------------------------------------------------------------------

destination_type intercom_destination::type() {
  destination_type t;
  t.name = "intercom";
  t.summary = "Intercom contacts (matched by external_id or email) or companies (by company_id)";
  t.modes = {sync_mode::upsert, sync_mode::update, sync_mode::insert, sync_mode::mirror};
  t.credential_names_account = true;  // every workspace shares api.intercom.io
  t.max_wait = std::chrono::minutes(10);  // limits are per minute, spread over 10 s windows
  t.options = {
    option("endpoint", option_type::url,
           "API base URL: https://api.intercom.io, api.eu.intercom.io, api.au.intercom.io, or an "
           "emulator")
        .defaults_to("https://api.intercom.io"),
    option("token", option_type::string, "access token, e.g. \"${INTERCOM_TOKEN}\"")
        .mandatory().secret_value(),
    option("version", option_type::string, "the Intercom-Version header").defaults_to("2.14"),
    option("object", option_type::string, "what to write")
        .defaults_to("contacts").one_of({"contacts", "companies"}).shapes_payload(),
    option("match_by", option_type::string, "contacts: the attribute the key's value is")
        .defaults_to("external_id").one_of({"external_id", "email"}).shapes_payload(),
    option("mirror_removes", option_type::string, "contacts: what mirror does to a removed row")
        .defaults_to("archive").one_of({"archive", "delete"}),
    option("rate_limit", option_type::object, "the app's limit (Intercom's default: 10,000/min)")
        .with({
          option("per_minute", option_type::integer,
                 "requests per minute, enforced per 10 s window (0 = unlimited)")
              .defaults_to(10000).between(0, 1e9),
        }),
  };
  t.make = [](const destination_context& ctx) {
    return std::make_unique<intercom_destination>(ctx);
  };
  t.check = [](const destination_context& ctx, const std::string& path, config_errors& errors) {
    const bool contacts = ctx.options.value("object", "contacts") == "contacts";
    if (contacts && ctx.options.value("match_by", "external_id") == "email" &&
        ctx.key_columns.size() != 1)
      errors.add("source.key", "intercom contacts matched by email need exactly one key column: "
                               "its value is the email");
    if (!contacts &&
        (ctx.mode == sync_mode::update || ctx.mode == sync_mode::insert))
      errors.add("mode", "intercom companies are upserted by company_id (POST /companies): use "
                         "upsert or mirror");
  };
  return t;
}

intercom_destination::intercom_destination(const destination_context& ctx) {
  s_.endpoint = ctx.options.value("endpoint", "https://api.intercom.io");
  s_.token = ctx.options.value("token", "");
  s_.version = ctx.options.value("version", "2.14");
  s_.object = ctx.options.value("object", "contacts");
  s_.match_by = ctx.options.value("match_by", "external_id");
  s_.archive = ctx.options.value("mirror_removes", "archive") == "archive";
  auto rl = ctx.options.value("rate_limit", nlohmann::json::object());
  // Intercom spreads the per-minute limit over 10-second windows (1,000/min: 167 per 10 s).
  auto per_minute = rl.value("per_minute", int64_t{10000});
  limits_.requests_per_window = per_minute <= 0 ? 0 : static_cast<double>((per_minute + 5) / 6);
  limits_.window = std::chrono::seconds(10);
}

size_t intercom_destination::job_size(delivery_op op, uint64_t) const {
  // Search first, then create or update: a job. Insert mode only creates, in plain requests
  // the delivery layer can look up (build_lookup) when a create's outcome is unknown.
  return s_.object == "contacts" && op != delivery_op::insert ? 1 : 0;
}

std::optional<http_request> intercom_destination::build_lookup(const delivery_batch& batch) const {
  if (s_.object != "contacts")
    return std::nullopt;
  return s_.search(batch.records.front().key);
}

batch_verdict intercom_destination::interpret_lookup(const delivery_batch& batch,
                                                     const http_response& response) const {
  return widened(lookup_one(batch, response), batch.records.size());
}

batch_verdict intercom_destination::lookup_one(const delivery_batch& batch,
                                               const http_response& response) const {
  if (classify_status(response.status) != status_class::delivered)
    return intercom_settings::failure(response);
  auto found = s_.found_in(response, batch.records.front().key);
  if (!found)
    return batch_verdict::whole(batch_verdict::kind::retry,
                                "Intercom answered a search without a data list");
  if (found->empty())
    return batch_verdict::all(1, record_outcome::retryable("not found at Intercom: safe to create"));
  return batch_verdict::all(1, record_outcome::delivered(*found));
}

std::unique_ptr<delivery_job> intercom_destination::make_job(const delivery_batch& batch) const {
  return make_intercom_contact_job(s_, batch);
}

http_request intercom_destination::build_request(const delivery_batch& batch) const {
  const auto& r = batch.records.front();
  if (s_.object == "companies") {
    if (r.op == delivery_op::remove)
      return s_.request("DELETE", "/companies/" + r.dest_id);
    return s_.request("POST", "/companies", dump_exact(s_.body_of(batch, r)));
  }
  // Contacts normally go as jobs; a record re-sent outside one is updated by its known id, or
  // created (a 409 then says it exists, see interpret()).
  if (r.op == delivery_op::remove)
    return s_.archive ? s_.request("POST", "/contacts/" + r.dest_id + "/archive")
                      : s_.request("DELETE", "/contacts/" + r.dest_id);
  if (!r.dest_id.empty() && r.op != delivery_op::insert)
    return s_.request("PUT", "/contacts/" + r.dest_id, dump_exact(s_.body_of(batch, r)));
  return s_.request("POST", "/contacts", dump_exact(s_.body_of(batch, r)));
}

batch_verdict intercom_destination::interpret(const delivery_batch& batch,
                                              const http_response& response) const {
  return widened(interpret_one(batch, response), batch.records.size());
}

batch_verdict intercom_destination::interpret_one(const delivery_batch& batch,
                                                  const http_response& response) const {
  const auto& r = batch.records.front();
  if (r.op == delivery_op::remove && r.dest_id.empty())
    return batch_verdict::all(1, record_outcome::rejected(
                                     "no Intercom id is known for this key, so it cannot be "
                                     "removed"));
  if (r.op == delivery_op::remove && response.status == 404)
    return batch_verdict::all(1, record_outcome::delivered(r.dest_id));  // already gone
  if (response.status == 409 && s_.object == "contacts") {
    auto reason = intercom_settings::reason_of(response);
    auto at = reason.rfind("id=");
    auto id = at == std::string::npos ? std::string() : reason.substr(at + 3);
    return batch_verdict::all(1, record_outcome::found_existing(id));
  }
  if (classify_status(response.status) != status_class::delivered)
    return intercom_settings::failure(response);
  if (r.op == delivery_op::remove)
    return batch_verdict::all(1, record_outcome::delivered(r.dest_id));
  auto id = json_text(nlohmann::json::parse(response.body, nullptr, false), "id");
  if (id.empty())
    return batch_verdict::whole(batch_verdict::kind::retry,
                                "Intercom answered " + std::to_string(response.status) +
                                    " without the record's id");
  return batch_verdict::all(1, record_outcome::delivered(id));
}

rate_signal intercom_destination::read_rate_signal(const http_response& response) const {
  rate_signal s;
  auto limit = rate_header(response, "X-RateLimit-Limit");
  auto remaining = rate_header(response, "X-RateLimit-Remaining");
  if (limit && *limit > 0) {
    rate_limit_spec advertised;  // the limit of one 10-second window
    advertised.requests_per_window = static_cast<double>(*limit);
    advertised.window = std::chrono::seconds(10);
    s.advertised = advertised;
  }
  if ((remaining && *remaining <= 0) || response.status == 429)
    s.pause = reset_wait(response);  // nothing more until the window resets: pause the app
  return s;
}

std::string intercom_destination::account() const {
  return account_id("intercom", s_.endpoint, s_.token);
}

}  // namespace backflow
