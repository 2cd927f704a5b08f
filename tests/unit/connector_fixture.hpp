// Builders for connector tests: validated destination contexts, batches, fixture responses.
#pragma once

#include <string>
#include <vector>

#include <boost/test/unit_test.hpp>
#include <nlohmann/json.hpp>

#include "connectors/destinations/hubspot.hpp"
#include "connectors/destinations/webhook.hpp"
#include "pipelines/delivery/http.hpp"
#include "tests/unit/unit_rows.hpp"

namespace backflow::unit {

/// The value of `name` in the request's headers, "<absent>" when it has none.
inline std::string header_of(const http_request& r, const std::string& name) {
  for (const auto& h : r.headers)
    if (iequals(h.name, name))
      return h.value;
  return "<absent>";
}

inline const std::string hub_token = "pat-na1-11111111-2222-3333-4444-555555555555";

/// A context whose options went through the destination's own table (defaults filled).
inline destination_context context_for(const destination_type& type, const nlohmann::json& options,
                                       sync_mode mode = sync_mode::upsert,
                                       std::vector<std::string> keys = {"email"}) {
  config_errors errors;
  destination_context ctx;
  ctx.options = validate_options(options, type.options, "destination", errors);
  BOOST_REQUIRE_MESSAGE(errors.empty(), joined(errors.items()));
  ctx.sync_name = "pql_to_hubspot";
  ctx.run_id = 12;
  ctx.mode = mode;
  ctx.key_columns = std::move(keys);
  return ctx;
}

inline hubspot_destination hubspot(const nlohmann::json& extra = nlohmann::json::object()) {
  nlohmann::json options = {{"endpoint", "http://127.0.0.1:8090/"}, {"token", hub_token}};
  options.merge_patch(extra);
  return hubspot_destination(context_for(hubspot_destination::type(), options));
}

inline outbound_record record(const std::string& key, delivery_op op, std::string fields = {},
                              std::string dest_id = {}) {
  outbound_record r;
  r.key = key;
  r.op = op;
  r.fields = std::move(fields);
  r.dest_id = std::move(dest_id);
  return r;
}

/// A batch of `op` records for the keys, each with fields (firstname = key's local part, score).
inline delivery_batch batch_of(delivery_op op, const std::vector<std::string>& keys) {
  delivery_batch b;
  b.batch_id = "r12-b1";
  b.field_names = {"firstname", "score"};
  int64_t score = 1;
  for (const auto& k : keys)
    b.records.push_back(
        record(k, op, encode_row({txt(k.substr(0, k.find('@'))), num(score++)}), "hs-" + k));
  return b;
}

inline http_response response(long status, const nlohmann::json& body,
                              std::vector<http_header> headers = {}) {
  http_response r;
  r.status = status;
  r.body = body.is_null() ? std::string() : body.dump();
  r.headers = std::move(headers);
  r.request_sent = true;
  return r;
}

inline bool delivered_as(const record_outcome& o, const std::string& id) {
  return o.what == record_outcome::kind::delivered && o.dest_id == id;
}

}  // namespace backflow::unit
