// Customer.io Track API v2 batch connector (see customerio.hpp and docs/connectors/customerio.md).
#include "connectors/destinations/customerio.hpp"

#include <map>

#include "pipelines/core/crypto.hpp"
#include "pipelines/delivery/payload.hpp"
#include "pipelines/delivery/status_classifier.hpp"

namespace backflow {
namespace {

std::string region_endpoint(const std::string& region) {
  return region == "eu" ? "https://track-eu.customer.io" : "https://track.customer.io";
}

/// The errors of a 207 (or 400) answer naming actions of the request by `batch_index`.
std::map<size_t, std::string> action_errors(const nlohmann::json& body, size_t n) {
  std::map<size_t, std::string> out;
  auto errs = body.is_object() ? body.find("errors") : body.end();
  if (errs == body.end() || !errs->is_array())
    return out;
  for (const auto& e : *errs) {
    auto index = e.is_object() ? e.find("batch_index") : e.end();
    if (index == e.end() || !index->is_number_unsigned() || index->get<uint64_t>() >= n)
      continue;
    std::string what = json_text(e, "reason", "error");
    if (auto field = json_text(e, "field"); !field.empty())
      what += " (" + field + ")";
    if (auto message = json_text(e, "message"); !message.empty())
      what += ": " + message;
    auto& reason = out[index->get<size_t>()];
    reason += (reason.empty() ? "Customer.io: " : "; ") + what;
  }
  return out;
}

/// Customer.io's words for a refused request: `{"meta":{"error":"..."}}` or `{"errors":[...]}`.
std::string customerio_reason(const nlohmann::json& body, const http_response& r) {
  auto meta = body.is_object() ? body.find("meta") : body.end();
  if (meta != body.end() && !json_text(*meta, "error").empty())
    return "Customer.io " + std::to_string(r.status) + ": " + json_text(*meta, "error");
  return describe_http_failure(r);
}

}  // namespace

destination_type customerio_destination::type() {
  destination_type t;
  t.name = "customerio";
  t.summary = "Customer.io people: identify and delete through the Track API v2 batch endpoint";
  t.modes = {sync_mode::upsert, sync_mode::mirror};
  t.credential_names_account = true;  // every workspace of a region shares one host
  t.options = {
    option("site_id", option_type::string, "the workspace's Track API site id").mandatory(),
    option("api_key", option_type::string, "the Track API key, e.g. \"${CUSTOMERIO_API_KEY}\"")
        .mandatory().secret_value(),
    option("region", option_type::string, "the account's data center")
        .defaults_to("us").one_of({"us", "eu"}),
    option("endpoint", option_type::url,
           "overrides the region's https://track.customer.io or https://track-eu.customer.io "
           "(point it at a local emulator to test)"),
    option("identifier", option_type::string, "what the key is to Customer.io")
        .defaults_to("id").one_of({"id", "email"}).shapes_payload(),
    option("batch_size", option_type::integer,
           "actions per request (the limit is 500 KB: a larger batch is split)")
        .defaults_to(100).between(1, 1000),
    option("rate_limit", option_type::object, "the workspace's Track API limit")
        .with({
          option("per_second", option_type::number,
                 "requests per second (Customer.io's fair use: 100; 0 = unlimited)")
              .defaults_to(100).between(0, 1e6),
        }),
  };
  t.make = [](const destination_context& ctx) {
    return std::make_unique<customerio_destination>(ctx);
  };
  return t;
}

customerio_destination::customerio_destination(const destination_context& ctx)
    : endpoint_(ctx.options.value("endpoint",
                                  region_endpoint(ctx.options.value("region", std::string("us"))))),
      site_id_(ctx.options.value("site_id", "")),
      api_key_(ctx.options.value("api_key", "")),
      identifier_(ctx.options.value("identifier", "id")),
      batch_size_(ctx.options.value("batch_size", size_t{100})),
      per_second_(
          ctx.options.value("rate_limit", nlohmann::json::object()).value("per_second", 100.0)) {}

http_request customerio_destination::build_request(const delivery_batch& batch) const {
  nlohmann::json actions = nlohmann::json::array();
  for (const auto& r : batch.records) {
    nlohmann::json action = {{"type", "person"}, {"identifiers", {{identifier_, r.key}}}};
    if (r.op == delivery_op::remove) {
      action["action"] = "delete";
    } else {
      action["action"] = "identify";
      // Exact numbers; NULL as null, which removes the attribute.
      action["attributes"] =
          fields_to_json(batch.field_names, r.fields, nullptr, number_style::exact);
    }
    actions.push_back(std::move(action));
  }
  http_request req;
  req.method = "POST";
  req.url = join_url(endpoint_, "/api/v2/batch");
  req.headers = {{"Authorization", "Basic " + base64_encode(site_id_ + ":" + api_key_)},
                 {"Content-Type", "application/json"}};
  req.body = dump_exact(nlohmann::json{{"batch", std::move(actions)}});
  return req;
}

batch_verdict customerio_destination::interpret(const delivery_batch& batch,
                                                const http_response& response) const {
  const size_t n = batch.records.size();
  auto body = nlohmann::json::parse(response.body, nullptr, false);
  auto errors = action_errors(body, n);
  if (response.status == 207 && !body.is_object())  // some actions failed: which is unknown
    return batch_verdict::whole(batch_verdict::kind::retry,
                                "Customer.io answered 207 with a body that is not JSON");
  if (classify_status(response.status) == status_class::delivered) {
    // 200 {}: all applied. 207: the actions named in `errors` failed, the others applied.
    auto v = batch_verdict::all(n, record_outcome::delivered());
    for (const auto& [index, reason] : errors)
      v.outcomes[index] = record_outcome::rejected(reason);
    return v;
  }
  if (response.status == 413)  // over 500 KB (or one action over 32 KB): halve until it fits
    return n > 1 ? batch_verdict::whole(batch_verdict::kind::split,
                                        "Customer.io 413: the batch is larger than 500 KB")
                 : batch_verdict::whole(batch_verdict::kind::reject,
                                        "Customer.io 413: this person's action alone is too "
                                        "large (32 KB per action)");
  auto verdict = classify_response(response, n);
  if (!body.is_discarded())
    verdict.reason = customerio_reason(body, response);
  if ((verdict.what == batch_verdict::kind::split || verdict.what == batch_verdict::kind::reject) &&
      !errors.empty()) {
    auto v = batch_verdict::all(
        n, record_outcome::retryable("Customer.io refused the batch for another action"));
    for (const auto& [index, reason] : errors)
      v.outcomes[index] = record_outcome::rejected(reason);
    return v;
  }
  return verdict;
}

std::string customerio_destination::account() const {
  return account_id("customerio", endpoint_, site_id_ + ":" + api_key_);
}

rate_limit_spec customerio_destination::rate_limits() const {
  rate_limit_spec spec;
  spec.requests_per_window = per_second_;
  spec.window = std::chrono::seconds(1);
  return spec;
}

}  // namespace backflow
