// Meta Custom Audiences connector (see meta_audience.hpp and docs/connectors/meta_audience.md).
#include "connectors/destinations/meta_audience.hpp"

#include <algorithm>
#include <map>
#include <unordered_map>

#include "pipelines/core/option_spec.hpp"
#include "pipelines/core/crypto.hpp"
#include "pipelines/delivery/payload.hpp"
#include "pipelines/delivery/status_classifier.hpp"

namespace backflow {
namespace {

constexpr size_t max_rows = 10000;
/// Longer waits are capped (a year): they mean "come back later" all the same, and would overflow.
constexpr uint64_t max_regain_minutes = 365 * 24 * 60;
/// Meta's throttling codes: wait for `estimated_time_to_regain_access`, do not fail.
constexpr int throttle_codes[] = {4, 17, 32, 613, 80003, 80004};

bool is_throttle(int code) {
  return std::find(std::begin(throttle_codes), std::end(throttle_codes), code) !=
         std::end(throttle_codes);
}

/// Minutes until access returns, from X-Business-Use-Case-Usage (0 when absent).
int64_t regain_minutes(const http_response& response) {
  auto header = response.header("X-Business-Use-Case-Usage");
  if (!header)
    return 0;
  auto usage = nlohmann::json::parse(*header, nullptr, false);
  int64_t minutes = 0;
  if (usage.is_object())
    for (const auto& [account, entries] : usage.items())
      if (entries.is_array())
        for (const auto& e : entries)
          minutes = std::max(minutes, static_cast<int64_t>(std::min(
                                          max_regain_minutes,
                                          json_count(e, "estimated_time_to_regain_access"))));
  return minutes;
}

/// The session id of a batch: Meta groups a run's batches of one op by it. Drawn from the batch's
/// session (random per pass over a change set), so a new session never reuses an old id.
int64_t session_id(const std::string& session, delivery_op op) {
  auto digest = sha256_hex(session + "/" + to_string(op));
  return static_cast<int64_t>(std::stoull(digest.substr(0, 13), nullptr, 16));  // < 2^52
}

bool all_empty(const std::vector<std::string>& row) {
  return std::all_of(row.begin(), row.end(), [](const std::string& v) { return v.empty(); });
}

}  // namespace

destination_type meta_audience_destination::type() {
  destination_type t;
  t.name = "meta_audience";
  t.summary = "Meta Custom Audiences: members added and removed, identifiers normalised and hashed";
  t.modes = {sync_mode::audience};
  t.max_wait = std::chrono::hours(6);  // ad-account throttling regains access within hours
  t.options = {
    option("endpoint", option_type::url, "Graph API base URL").defaults_to("https://graph.facebook.com"),
    option("api_version", option_type::string, "Graph API version")
        .defaults_to("v19.0").looks_like(R"(v\d+\.\d)", "v19.0"),
    option("audience_id", option_type::string, "the custom audience to maintain").mandatory()
        .shapes_payload(),
    option("token", option_type::string, "access token, e.g. \"${META_TOKEN}\"").mandatory()
        .secret_value(),
    option("batch_size", option_type::integer, "rows per request (Meta allows 10,000)")
        .defaults_to(10000).between(1, 10000),
    option("rate_limit", option_type::object, "the ad account's budget")
        .with({option("per_hour", option_type::integer, "requests per hour (0 = unlimited)")
                   .defaults_to(0).at_least(0)}),
  };
  t.make = [](const destination_context& ctx) {
    return std::make_unique<meta_audience_destination>(ctx);
  };
  t.check = [](const destination_context& ctx, const std::string& path, config_errors& errors) {
    std::string known;
    for (const auto& n : meta_key_names())
      known += (known.empty() ? "" : ", ") + n;
    if (ctx.mapped_fields.empty())
      errors.add("mapping", "meta_audience needs a mapping from columns to Meta keys (" + known + ")");
    for (size_t i = 0; i < ctx.mapped_fields.size(); ++i)
      if (!parse_meta_key(ctx.mapped_fields[i]))
        errors.add("mapping[" + std::to_string(i) + "].to",
                   "\"" + ctx.mapped_fields[i] + "\" is not a Meta key (" + known + ")");
  };
  return t;
}

meta_audience_destination::meta_audience_destination(const destination_context& ctx)
    : endpoint_(ctx.options.value("endpoint", "https://graph.facebook.com")),
      api_version_(ctx.options.value("api_version", "v19.0")),
      audience_id_(ctx.options.value("audience_id", "")),
      token_(ctx.options.value("token", "")),
      batch_size_(std::min<size_t>(ctx.options.value("batch_size", max_rows), max_rows)),
      per_hour_(ctx.options.value("rate_limit", nlohmann::json::object()).value("per_hour", 0.0)) {}

std::vector<meta_key> meta_audience_destination::schema_of(
    const std::vector<std::string>& field_names) {
  std::vector<meta_key> schema;
  for (const auto& name : field_names)
    schema.push_back(parse_meta_key(name).value_or(meta_key::extern_id));
  return schema;
}

std::vector<std::string> meta_audience_destination::identifier_row(
    const std::vector<meta_key>& schema, std::string_view fields) {
  std::vector<std::string> row;
  row_reader reader{fields};
  cell c;
  for (auto key : schema)
    row.push_back(reader.next(c) ? meta_identifier(key, c) : std::string());
  return row;
}

std::string meta_audience_destination::identity_of(const std::vector<meta_key>& schema,
                                                   const std::vector<std::string>& row) {
  nlohmann::json identity = nlohmann::json::object();  // keys sorted: one text per member
  for (size_t i = 0; i < schema.size() && i < row.size(); ++i)
    if (!row[i].empty())
      identity[meta_key_name(schema[i])] = row[i];
  return identity.dump();
}

std::optional<std::string> meta_audience_destination::identity(
    const std::vector<std::string>& field_names, std::string_view fields) const {
  auto schema = schema_of(field_names);
  return identity_of(schema, identifier_row(schema, fields));
}

meta_audience_destination::identifier_table meta_audience_destination::identifiers(
    const delivery_batch& batch) const {
  identifier_table out;
  out.schema = schema_of(batch.field_names);
  if (batch.records.empty() || batch.records.front().op != delivery_op::remove) {
    for (const auto& r : batch.records)
      out.rows.push_back(identifier_row(out.schema, r.fields));
    return out;
  }
  // Removes: each member's identity as stored when it was added, by key.
  const auto mapped = out.schema;  // the mapping's keys; the schema grows below
  std::vector<std::map<meta_key, std::string>> identities;
  for (const auto& r : batch.records) {
    std::map<meta_key, std::string> values;
    auto stored = nlohmann::json::parse(r.dest_id, nullptr, false);
    if (stored.is_object()) {
      for (const auto& [name, value] : stored.items())
        if (auto key = parse_meta_key(name); key && value.is_string())
          values[*key] = value.get<std::string>();
    } else if (stored.is_array() && stored.size() == mapped.size()) {
      // Kept by Backflow 0.1: a row in the order of the mapping of the time (assumed current).
      for (size_t i = 0; i < stored.size(); ++i)
        if (stored[i].is_string() && !stored[i].get<std::string>().empty())
          values[mapped[i]] = stored[i].get<std::string>();
    }
    for (const auto& [key, value] : values)
      if (std::find(out.schema.begin(), out.schema.end(), key) == out.schema.end())
        out.schema.push_back(key);
    identities.push_back(std::move(values));
  }
  for (const auto& values : identities) {
    std::vector<std::string> row;
    for (auto key : out.schema) {
      auto it = values.find(key);
      row.push_back(it == values.end() ? std::string() : it->second);
    }
    out.rows.push_back(std::move(row));
  }
  return out;
}

http_request meta_audience_destination::build_request(const delivery_batch& batch) const {
  auto table = identifiers(batch);
  const auto& schema = table.schema;
  nlohmann::json data = nlohmann::json::array();
  for (auto& row : table.rows) {
    if (all_empty(row))
      continue;  // nothing to match on: rejected in interpret()
    if (schema.size() == 1)
      data.push_back(std::move(row.front()));
    else
      data.push_back(std::move(row));
  }
  nlohmann::json schema_json;
  if (schema.size() == 1) {
    auto key = schema.front();
    schema_json = key == meta_key::email   ? "EMAIL_SHA256"
                  : key == meta_key::phone ? "PHONE_SHA256"
                                           : meta_key_name(key);
  } else {
    schema_json = nlohmann::json::array();
    for (auto key : schema)
      schema_json.push_back(meta_key_name(key));
  }
  auto op = batch.records.front().op;
  nlohmann::json body = {{"payload", {{"schema", schema_json}, {"data", std::move(data)}}},
                         {"session",
                          {{"session_id", session_id(batch.session, op)},
                           {"batch_seq", std::max<uint32_t>(batch.sequence, 1)},
                           {"last_batch_flag", batch.last},
                           {"estimated_num_total", std::max<uint64_t>(batch.total, batch.records.size())}}}};
  http_request req;
  req.method = op == delivery_op::remove ? "DELETE" : "POST";
  req.url = join_url(endpoint_, "/" + api_version_ + "/" + audience_id_ + "/users");
  req.headers = {{"Authorization", "Bearer " + token_}, {"Content-Type", "application/json"}};
  req.body = body.dump();
  return req;
}

batch_verdict meta_audience_destination::interpret(const delivery_batch& batch,
                                                   const http_response& response) const {
  const size_t n = batch.records.size();
  auto body = nlohmann::json::parse(response.body, nullptr, false);
  if (classify_status(response.status) == status_class::delivered) {
    if (!body.is_object())
      return batch_verdict::whole(batch_verdict::kind::retry, "Meta answered without JSON");
    // Bad rows do not fail the request; Meta names a few of them by value.
    auto samples = body.value("invalid_entry_samples", nlohmann::json::object());
    batch_verdict v = batch_verdict::all(n, record_outcome::delivered());
    auto table = identifiers(batch);
    for (size_t i = 0; i < n; ++i) {
      const auto& row = table.rows[i];
      if (all_empty(row)) {
        v.outcomes[i] = record_outcome::rejected(
            batch.records[i].op == delivery_op::remove
                ? "the identifiers this member was added with are not known, so it cannot be removed"
                : "no identifier to match: every mapped value is empty");
        continue;
      }
      // The member's identity is its destination id: what removes it once it leaves the model.
      if (batch.records[i].op != delivery_op::remove)
        v.outcomes[i].dest_id = identity_of(table.schema, row);
      if (!samples.is_object())
        continue;
      for (const auto& value : row)
        if (auto it = samples.find(value); !value.empty() && it != samples.end())
          v.outcomes[i] = record_outcome::rejected("Meta: invalid entry (" +
                                                   (it->is_string() ? it->get<std::string>()
                                                                    : it->dump()) + ")");
    }
    v.notes.counters["num_received"] = json_count(body, "num_received");
    v.notes.counters["num_invalid_entries"] = json_count(body, "num_invalid_entries");
    if (samples.is_object())
      for (const auto& [value, reason] : samples.items())
        v.notes.samples.push_back(value + ": " + (reason.is_string() ? reason.get<std::string>()
                                                                      : reason.dump()));
    return v;
  }
  auto verdict = classify_response(response, n);
  auto error = body.is_object() ? body.value("error", nlohmann::json::object()) : nlohmann::json();
  if (!error.is_object() || !error.contains("code"))
    return verdict;
  int code = static_cast<int>(std::min<uint64_t>(json_count(error, "code"), INT32_MAX));
  verdict.reason = "Meta error " + std::to_string(code) + ": " + json_text(error, "message");
  using kind = batch_verdict::kind;
  if (is_throttle(code)) {
    verdict.what = kind::retry;
    verdict.retry_after = std::chrono::minutes(std::max<int64_t>(1, regain_minutes(response)));
  } else if (code == 2650 || code == 1 || code == 2) {
    verdict.what = kind::retry;  // "failed to update the audience", "unknown error": transient
  } else {
    verdict.what = kind::fatal;  // 190 token, 100 parameters or audience, 200/294 permissions
  }
  return verdict;
}

rate_signal meta_audience_destination::read_rate_signal(const http_response& response) const {
  rate_signal s;
  if (auto minutes = regain_minutes(response); minutes > 0)
    s.pause = std::chrono::minutes(minutes);
  return s;
}

std::string meta_audience_destination::account() const {
  return account_id("meta", endpoint_, token_);
}

rate_limit_spec meta_audience_destination::rate_limits() const {
  rate_limit_spec spec;
  spec.requests_per_window = per_hour_;
  spec.window = std::chrono::hours(1);
  return spec;
}

}  // namespace backflow
