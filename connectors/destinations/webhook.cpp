// Generic signed webhook connector (see webhook.hpp and docs/connectors/webhook.md).
#include "connectors/destinations/webhook.hpp"

#include <ctime>

#include "pipelines/core/crypto.hpp"
#include "pipelines/delivery/payload.hpp"
#include "pipelines/delivery/status_classifier.hpp"

namespace backflow {

destination_type webhook_destination::type() {
  destination_type t;
  t.name = "webhook";
  t.summary = "any HTTP endpoint: signed JSON batches of upserts and deletes";
  t.modes = {sync_mode::upsert, sync_mode::mirror};
  t.options = {
    option("endpoint", option_type::url, "the full URL to POST batches to").mandatory(),
    option("secret", option_type::string,
           "signing secret (Standard Webhooks: \"whsec_<base64>\" or raw text); unsigned if absent")
        .secret_value(),
    option("batch_size", option_type::integer, "records per request")
        .defaults_to(100).between(1, 10000),
    option("rate_limit", option_type::object, "requests the receiver accepts")
        .with({
          option("per_second", option_type::number, "requests per second (0 = unlimited)")
              .defaults_to(0).between(0, 1e6),
        }),
  };
  t.make = [](const destination_context& ctx) { return std::make_unique<webhook_destination>(ctx); };
  return t;
}

webhook_destination::webhook_destination(const destination_context& ctx)
    : endpoint_(ctx.options.value("endpoint", "")),
      secret_(ctx.options.value("secret", "")),
      sync_name_(ctx.sync_name),
      run_id_(ctx.run_id),
      batch_size_(ctx.options.value("batch_size", size_t{100})),
      per_second_(ctx.options.value("rate_limit", nlohmann::json::object()).value("per_second", 0.0)) {}

http_request webhook_destination::build_request(const delivery_batch& batch) const {
  nlohmann::json records = nlohmann::json::array();
  for (const auto& r : batch.records) {
    nlohmann::json rec = {{"op", r.op == delivery_op::remove ? "delete" : "upsert"},
                          {"key", r.key}};
    if (r.op != delivery_op::remove)
      rec["fields"] = fields_to_json(batch.field_names, r.fields, nullptr, number_style::exact);
    records.push_back(std::move(rec));
  }
  http_request req;
  req.method = "POST";
  req.url = endpoint_;
  req.body = dump_exact(nlohmann::json{{"sync", sync_name_},
                                       {"run_id", std::to_string(run_id_)},
                                       {"batch_id", batch.batch_id},
                                       {"records", std::move(records)}});
  auto id = "msg_" + sha256_hex(sync_name_ + "/" + batch.batch_id).substr(0, 32);
  auto timestamp = std::to_string(std::time(nullptr));
  req.headers = {{"Content-Type", "application/json"},
                 {"webhook-id", id},
                 {"webhook-timestamp", timestamp}};
  if (!secret_.empty())
    req.headers.push_back({"webhook-signature",
                           standard_webhook_signature(secret_, id, timestamp, req.body)});
  return req;
}

batch_verdict webhook_destination::interpret(const delivery_batch& batch,
                                             const http_response& response) const {
  return classify_response(response, batch.records.size());
}

std::string webhook_destination::account() const {
  return account_id("webhook", endpoint_, secret_);
}

rate_limit_spec webhook_destination::rate_limits() const {
  rate_limit_spec spec;
  spec.requests_per_window = per_second_;
  spec.window = std::chrono::seconds(1);
  return spec;
}

}  // namespace backflow
