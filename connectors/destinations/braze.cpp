// Braze /users/track and /users/delete connector (see braze.hpp and docs/connectors/braze.md).
#include "connectors/destinations/braze.hpp"

#include <algorithm>
#include <map>

#include "pipelines/core/clock.hpp"
#include "pipelines/delivery/payload.hpp"
#include "pipelines/delivery/status_classifier.hpp"

namespace backflow {
namespace {

constexpr size_t braze_max_attributes = 75;  // attribute objects per /users/track request
constexpr size_t braze_max_deletes = 50;     // external ids per /users/delete request

/// The identifiers Braze reads from an attributes object: a mapped field of these names would
/// name another user than the key does.
const char* const identifier_fields[] = {"external_id", "user_alias", "braze_id"};

/// The minor errors of a 2xx (or 400) answer that name an attributes item of the request, by
/// position: `{"type": "...", "input_array": "attributes", "index": i}`.
std::map<size_t, std::string> item_errors(const nlohmann::json& body, size_t n) {
  std::map<size_t, std::string> out;
  auto errs = body.is_object() ? body.find("errors") : body.end();
  if (errs == body.end() || !errs->is_array())
    return out;
  for (const auto& e : *errs) {
    if (!e.is_object() || json_text(e, "input_array", "attributes") != "attributes")
      continue;
    auto index = e.find("index");
    if (index == e.end() || !index->is_number_unsigned() || index->get<uint64_t>() >= n)
      continue;
    auto& reason = out[index->get<size_t>()];
    reason += (reason.empty() ? "Braze: " : "; ") + json_text(e, "type", "minor error");
  }
  return out;
}

/// The epoch second in `X-RateLimit-Reset`, as a wait from now (nullopt without one).
std::optional<std::chrono::milliseconds> wait_for_reset(const http_response& r) {
  auto h = r.header("X-RateLimit-Reset");
  if (!h)
    return std::nullopt;
  int64_t reset = 0;
  try {
    reset = std::stoll(std::string(*h));
  } catch (...) {
    return std::nullopt;
  }
  auto wait = std::chrono::seconds(reset) -
              std::chrono::duration_cast<std::chrono::seconds>(wall_now().time_since_epoch());
  return std::chrono::milliseconds(std::max<int64_t>(
      1000, std::chrono::duration_cast<std::chrono::milliseconds>(wait).count()));
}

/// Outcomes for a track request's items: those named in `errors` rejected, the rest `others`.
batch_verdict per_item(const delivery_batch& batch, const nlohmann::json& body,
                       const record_outcome& others) {
  auto v = batch_verdict::all(batch.records.size(), others);
  for (const auto& [index, reason] : item_errors(body, batch.records.size()))
    v.outcomes[index] = record_outcome::rejected(reason);
  return v;
}

}  // namespace

destination_type braze_destination::type() {
  destination_type t;
  t.name = "braze";
  t.summary = "Braze users: custom attributes by external_id (/users/track), deletes for mirror";
  t.modes = {sync_mode::upsert, sync_mode::mirror};
  t.options = {
    option("endpoint", option_type::url,
           "the workspace's REST endpoint, e.g. https://rest.iad-01.braze.com").mandatory(),
    option("api_key", option_type::string,
           "REST API key with users.track (and users.delete for mirror), e.g. \"${BRAZE_API_KEY}\"")
        .mandatory().secret_value(),
    option("batch_size", option_type::integer, "attribute objects per request (Braze allows 75)")
        .defaults_to(75).between(1, 75),
    option("rate_limit", option_type::object, "the workspace's /users/track limit")
        .with({
          option("per_3s", option_type::integer,
                 "requests per 3 seconds (Braze's default: 3,000; 0 = unlimited)")
              .defaults_to(3000).between(0, 1e9),
        }),
  };
  t.make = [](const destination_context& ctx) { return std::make_unique<braze_destination>(ctx); };
  t.check = [](const destination_context& ctx, const std::string&, config_errors& errors) {
    for (const auto& field : ctx.mapped_fields)
      for (const char* id : identifier_fields)
        if (field == id)
          errors.add("mapping", "braze: \"" + field + "\" identifies the user and is set from "
                                "the key; map the column to another attribute");
  };
  return t;
}

braze_destination::braze_destination(const destination_context& ctx)
    : endpoint_(ctx.options.value("endpoint", "")),
      api_key_(ctx.options.value("api_key", "")),
      batch_size_(std::min<size_t>(ctx.options.value("batch_size", braze_max_attributes), braze_max_attributes)),
      per_3s_(ctx.options.value("rate_limit", nlohmann::json::object()).value("per_3s", 3000.0)) {}

size_t braze_destination::batch_size(delivery_op op) const {
  return op == delivery_op::remove ? std::min(batch_size_, braze_max_deletes) : batch_size_;
}

http_request braze_destination::build_request(const delivery_batch& batch) const {
  http_request req;
  req.method = "POST";
  req.headers = {{"Authorization", "Bearer " + api_key_}, {"Content-Type", "application/json"}};
  if (batch.records.front().op == delivery_op::remove) {
    nlohmann::json ids = nlohmann::json::array();
    for (const auto& r : batch.records)
      ids.push_back(r.key);
    req.url = join_url(endpoint_, "/users/delete");
    req.body = nlohmann::json{{"external_ids", std::move(ids)}}.dump();
    return req;
  }
  nlohmann::json attributes = nlohmann::json::array();
  for (const auto& r : batch.records) {
    // null removes an attribute from the profile; numbers go as their exact text.
    auto object = fields_to_json(batch.field_names, r.fields, nullptr, number_style::exact);
    object["external_id"] = r.key;
    attributes.push_back(std::move(object));
  }
  req.url = join_url(endpoint_, "/users/track");
  req.body = dump_exact(nlohmann::json{{"attributes", std::move(attributes)}});
  return req;
}

batch_verdict braze_destination::interpret(const delivery_batch& batch,
                                           const http_response& response) const {
  const size_t n = batch.records.size();
  const bool deleting = batch.records.front().op == delivery_op::remove;
  auto body = nlohmann::json::parse(response.body, nullptr, false);
  if (classify_status(response.status) == status_class::delivered) {
    if (deleting)  // {"deleted": n}: an unknown id is not an error, the user is gone either way
      return batch_verdict::all(n, record_outcome::delivered());
    if (!body.is_object())  // which items failed is unknown; setting attributes again is harmless
      return batch_verdict::whole(batch_verdict::kind::retry,
                                  "Braze answered " + std::to_string(response.status) +
                                      " with a body that is not JSON");
    return per_item(batch, body, record_outcome::delivered());
  }
  auto verdict = classify_response(response, n);
  if (auto message = json_text(body, "message"); !message.empty())
    verdict.reason = "Braze " + std::to_string(response.status) + ": " + message;
  if (response.status == 429 && verdict.retry_after.count() == 0)
    verdict.retry_after = wait_for_reset(response).value_or(std::chrono::milliseconds(0));
  // A fatal error listing the bad items (all of them, or with valid ones refused alongside):
  // reject those, send the others again.
  if (!deleting && (verdict.what == batch_verdict::kind::split ||
                    verdict.what == batch_verdict::kind::reject) &&
      !item_errors(body, n).empty())
    return per_item(batch, body,
                    record_outcome::retryable("Braze refused the request for another item"));
  return verdict;
}

rate_signal braze_destination::read_rate_signal(const http_response& response) const {
  // Only a 429 pauses the account: `X-RateLimit-Remaining: 0` on a success means the window is
  // full, which the limiter (declared limit, window 1.5% wider) already waits out; pausing to
  // the reset's whole second as well cost a quarter of the rate (docs/connectors/braze.md).
  rate_signal s;
  if (response.status == 429)
    s.pause = wait_for_reset(response);
  return s;
}

std::string braze_destination::account() const {
  return account_id("braze", endpoint_, api_key_);
}

rate_limit_spec braze_destination::rate_limits() const {
  rate_limit_spec spec;
  spec.requests_per_window = per_3s_;
  spec.window = std::chrono::seconds(3);
  return spec;
}

}  // namespace backflow
