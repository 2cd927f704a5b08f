// Klaviyo profiles connector, its options and its bulk import job (see klaviyo.hpp,
// docs/connectors/klaviyo.md).
#include "connectors/destinations/klaviyo.hpp"

#include <algorithm>
#include <set>

#include "pipelines/core/redaction.hpp"
#include "pipelines/core/option_spec.hpp"
#include "pipelines/delivery/payload.hpp"
#include "pipelines/delivery/status_classifier.hpp"

namespace backflow {
namespace {

constexpr size_t kl_max_per_job = 10000;     // Bulk Import Profiles: 10,000 profiles per job
constexpr size_t kl_max_per_removal = 100;  // a Get Profiles page (and its filter) holds 100
constexpr const char* kl_jobs = "/api/profile-bulk-import-jobs";
constexpr size_t kl_max_bytes = 5'000'000;    // a job's body: 5 MB (decimal, to be safe)

/// Profile attributes Klaviyo names itself; every other mapped field is a custom property.
const std::set<std::string>& kl_attributes() {
  static const std::set<std::string> names = {
      "email", "phone_number", "external_id", "anonymous_id", "first_name", "last_name",
      "organization", "locale", "title", "image"};
  return names;
}

bool kl_is_identifier(const std::string& name) {
  return name == "email" || name == "phone_number" || name == "external_id";
}

long long kl_duration_ms(const nlohmann::json& options, const char* key, long long fallback) {
  long long ms = fallback;
  if (options.contains(key))
    parse_duration(options[key], ms);
  return ms;
}

std::string kl_lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

/// How an identifier is compared: emails without case, the others exactly.
std::string kl_match_form(const std::string& identifier, const std::string& value) {
  return identifier == "email" ? kl_lower(value) : value;
}

/// The batch's records by their identifier's match form.
std::map<std::string, size_t> kl_positions(const delivery_batch& batch,
                                           const std::string& identifier) {
  std::map<std::string, size_t> out;
  for (size_t i = 0; i < batch.records.size(); ++i)
    out.emplace(kl_match_form(identifier, batch.records[i].key), i);
  return out;
}

/// A string literal of Klaviyo's filter syntax: double-quoted, `"` and `\` escaped.
std::string kl_filter_literal(const std::string& value) {
  std::string out = "\"";
  for (char c : value) {
    if (c == '"' || c == '\\')
      out.push_back('\\');
    out.push_back(c);
  }
  return out + "\"";
}

bool kl_is_remove(const delivery_batch& batch) {
  return batch.records.front().op == delivery_op::remove;
}

/// The profile index in a pointer such as "/data/attributes/profiles/data/3/attributes/email".
std::optional<size_t> kl_pointer_index(const std::string& pointer) {
  const std::string marker = "/profiles/data/";
  auto at = pointer.find(marker);
  if (at == std::string::npos)
    return std::nullopt;
  size_t index = 0, p = at + marker.size();
  if (p >= pointer.size() || !std::isdigit(static_cast<unsigned char>(pointer[p])))
    return std::nullopt;
  for (; p < pointer.size() && std::isdigit(static_cast<unsigned char>(pointer[p])); ++p)
    index = index * 10 + static_cast<size_t>(pointer[p] - '0');
  return index;
}

/// The attributes of an original payload: a profile resource, its attributes, or either under
/// `data`.
const nlohmann::json* kl_payload_attributes(const nlohmann::json& payload) {
  const nlohmann::json* p = &payload;
  if (p->is_object() && p->contains("data") && (*p)["data"].is_object())
    p = &(*p)["data"];
  if (p->is_object() && p->contains("attributes") && (*p)["attributes"].is_object())
    p = &(*p)["attributes"];
  return p->is_object() ? p : nullptr;
}

/// A job over one batch of upserts: each chunk of it (5 MB at most) submitted in turn, polled
/// until complete, its import errors read when it counted failures; then the batch settles.
/// The checkpoint lists the job ids submitted so far: a resumed job polls those (and reads their
/// errors again) and submits only the chunks that have none.
class klaviyo_job final : public delivery_job {
 public:
  klaviyo_job(const klaviyo_destination& dest, const delivery_batch& batch,
              const std::string& checkpoint)
      : dest_(dest), batch_(batch),
        chunks_(klaviyo_chunks(batch, dest.identifier(), dest.list_id(), kl_max_bytes)) {
    for (size_t from = 0; from < checkpoint.size();) {
      auto comma = checkpoint.find(',', from);
      job_ids_.push_back(checkpoint.substr(from, comma == std::string::npos ? comma : comma - from));
      from = comma == std::string::npos ? checkpoint.size() : comma + 1;
    }
  }

  job_step start() override { return begin_chunk(); }

  job_step next(const http_response& response) override {
    if (classify_status(response.status) != status_class::delivered) {
      if (phase_ != phase::submit && response.status == 404)
        return again("Klaviyo no longer knows import job " + job_id() + ": the profiles are sent again");
      return job_step::fail(dest_.classify_error(response, batch_.records.size()));
    }
    if (phase_ != phase::errors)
      return read_job(response);
    size_t unmatched = 0;
    auto more = read_klaviyo_errors(chunk_batch_, dest_.identifier(), response.body, chunk_rejected_,
                                    unmatched);
    unmatched_ += unmatched;
    return more.empty() ? end_chunk() : job_step::send(dest_.request("GET", more));
  }

  [[nodiscard]] std::string checkpoint() const override {
    std::string out;
    if (!done_)
      for (const auto& id : job_ids_)
        out += (out.empty() ? "" : ",") + id;
    return out;
  }

 private:
  enum class phase : uint8_t { submit, poll, errors };

  [[nodiscard]] const std::string& job_id() const { return job_ids_[chunk_]; }

  /// Submits the current chunk, or polls its job when one was submitted before a crash.
  job_step begin_chunk() {
    const auto [from, to] = chunks_[chunk_];
    chunk_batch_ = batch_;
    chunk_batch_.records.assign(batch_.records.begin() + static_cast<std::ptrdiff_t>(from),
                                batch_.records.begin() + static_cast<std::ptrdiff_t>(to));
    chunk_rejected_.clear();
    delay_ = std::chrono::milliseconds(0);
    if (chunk_ < job_ids_.size())
      return poll(std::chrono::milliseconds(0));  // resumed: never submitted again
    phase_ = phase::submit;
    return job_step::send(dest_.build_request(chunk_batch_));
  }

  job_step end_chunk() {
    for (auto& [at, why] : chunk_rejected_)
      rejected_[chunks_[chunk_].first + at] = std::move(why);
    if (++chunk_ < chunks_.size())
      return begin_chunk();
    return finish();
  }

  job_step read_job(const http_response& response) {
    auto state = read_klaviyo_job(response.body);
    if (phase_ == phase::submit) {
      if (state.id.empty())
        return again("Klaviyo answered without a job id: " + describe_http_failure(response));
      job_ids_.push_back(state.id);
    }
    if (state.status == "complete") {
      failed_count_ += state.failed_count;
      if (state.failed_count == 0)
        return end_chunk();
      phase_ = phase::errors;
      return job_step::send(dest_.request("GET", std::string(kl_jobs) + "/" + job_id() + "/import-errors"));
    }
    if (state.status == "cancelled" || state.status == "failed")
      return again("Klaviyo import job " + job_id() + " ended " + state.status);
    if (state.status != "queued" && state.status != "processing")
      return again("Klaviyo answered without a readable job status: " + describe_http_failure(response));
    delay_ = delay_.count() == 0 ? dest_.poll_initial() : std::min(dest_.poll_max(), delay_ * 2);
    return poll(delay_);
  }

  job_step poll(std::chrono::milliseconds after) {
    phase_ = phase::poll;
    return job_step::send(dest_.request("GET", std::string(kl_jobs) + "/" + job_id()), after);
  }

  /// The whole batch goes again as new jobs (an import is an upsert): no checkpoint any more.
  job_step again(std::string why) {
    done_ = true;
    return job_step::fail(batch_verdict::whole(batch_verdict::kind::retry, std::move(why)));
  }

  job_step finish() {
    done_ = true;
    // Failures the errors did not name: which records they are is unknown, so the unnamed ones
    // are imported again (an upsert) rather than delivered, unless every failure was named.
    const bool all_named = rejected_.size() >= failed_count_ && unmatched_ == 0;
    std::vector<record_outcome> outcomes;
    outcomes.reserve(batch_.records.size());
    for (size_t i = 0; i < batch_.records.size(); ++i) {
      if (auto r = rejected_.find(i); r != rejected_.end())
        outcomes.push_back(record_outcome::rejected(r->second));
      else if (!all_named)
        outcomes.push_back(record_outcome::retryable(
            "Klaviyo counted " + std::to_string(failed_count_) + " failed profiles but named " +
            std::to_string(rejected_.size()) + ": imported again"));
      else
        outcomes.push_back(record_outcome::delivered());
    }
    return job_step::finished(std::move(outcomes));
  }

  klaviyo_destination dest_;  ///< a copy: a job may outlive the run's connector object
  delivery_batch batch_;      ///< a copy: the job outlives moves of the work item that holds it
  std::vector<std::pair<size_t, size_t>> chunks_;
  std::vector<std::string> job_ids_;  ///< one per chunk submitted so far
  size_t chunk_ = 0;
  delivery_batch chunk_batch_;
  phase phase_ = phase::submit;
  bool done_ = false;
  std::chrono::milliseconds delay_{0};
  uint64_t failed_count_ = 0;
  size_t unmatched_ = 0;
  std::map<size_t, std::string> chunk_rejected_;  ///< chunk position → Klaviyo's detail
  std::map<size_t, std::string> rejected_;        ///< batch position → Klaviyo's detail
};

/// A removal from the list: the members' profile ids are looked up by identifier (Klaviyo's
/// list relationships take ids only), then removed; a record no profile has is no member.
class klaviyo_removal final : public delivery_job {
 public:
  klaviyo_removal(const klaviyo_destination& dest, const delivery_batch& batch)
      : dest_(dest), batch_(batch) {}

  job_step start() override { return job_step::send(dest_.build_request(batch_)); }

  job_step next(const http_response& response) override {
    if (classify_status(response.status) != status_class::delivered)
      return job_step::fail(dest_.classify_error(response, batch_.records.size()));
    if (removing_)
      return finish();
    auto more = read_klaviyo_profiles(batch_, dest_.identifier(), response.body, ids_);
    if (!more.empty())
      return job_step::send(dest_.request("GET", more));
    if (ids_.empty())
      return finish();
    removing_ = true;
    nlohmann::json data = nlohmann::json::array();
    for (const auto& [at, id] : ids_)
      data.push_back({{"type", "profile"}, {"id", id}});
    return job_step::send(dest_.request("DELETE",
                                        "/api/lists/" + dest_.list_id() + "/relationships/profiles",
                                        nlohmann::json{{"data", std::move(data)}}.dump()));
  }

  [[nodiscard]] std::string checkpoint() const override { return {}; }  // starting over is harmless

 private:
  job_step finish() {
    std::vector<record_outcome> outcomes;
    for (size_t i = 0; i < batch_.records.size(); ++i) {
      auto id = ids_.find(i);
      outcomes.push_back(record_outcome::delivered(id == ids_.end() ? std::string() : id->second));
    }
    return job_step::finished(std::move(outcomes));
  }

  klaviyo_destination dest_;
  delivery_batch batch_;
  std::map<size_t, std::string> ids_;  ///< batch position → profile id
  bool removing_ = false;
};

}  // namespace

destination_type klaviyo_destination::type() {
  destination_type t;
  t.name = "klaviyo";
  t.summary = "Klaviyo profiles: Bulk Import Profiles jobs; audience = list membership";
  t.modes = {sync_mode::upsert, sync_mode::audience};
  t.max_wait = std::chrono::hours(1);  // Retry-After is seconds (1 s and 1 min windows)
  t.options = {
    option("url", option_type::url, "the API's base URL").defaults_to("https://a.klaviyo.com"),
    option("api_key", option_type::string, "private API key, e.g. \"${KLAVIYO_API_KEY}\"")
        .mandatory().secret_value(),
    option("revision", option_type::string, "the API revision header")
        .defaults_to("2025-01-15").looks_like("[0-9]{4}-[0-9]{2}-[0-9]{2}(\\.[a-z]+)?", "2025-01-15"),
    option("identifier", option_type::string, "the profile attribute the sync key fills")
        .defaults_to("email").one_of({"email", "phone_number", "external_id"}).shapes_payload(),
    option("list_id", option_type::string,
           "the list the profiles join (audience: whose members the rows are, removed when "
           "their row leaves)")
        .shapes_payload(),
    option("batch_size", option_type::integer, "profiles per import job (Klaviyo allows 10,000)")
        .defaults_to(10000).between(1, 10000),
    option("poll_initial", option_type::duration, "first wait before polling a job")
        .defaults_to("1s"),
    option("poll_max", option_type::duration, "longest wait between polls").defaults_to("10s"),
    option("rate_limit", option_type::object, "the account's limit (Klaviyo's steady window)")
        .with({
          option("per_minute", option_type::integer,
                 "requests per minute (bulk import endpoints: 150; 0 = unlimited)")
              .defaults_to(150).between(0, 1e6),
        }),
  };
  t.make = [](const destination_context& ctx) {
    return std::make_unique<klaviyo_destination>(ctx);
  };
  t.check = [](const destination_context& ctx, const std::string& path, config_errors& errors) {
    const bool audience = ctx.mode == sync_mode::audience;
    if (audience && !ctx.options.contains("list_id"))
      errors.add(join_path(path, "list_id"), "is required in audience mode");
    if (ctx.key_columns.size() != 1)
      errors.add("source.key", "klaviyo needs exactly one key column: its value is the profile's " +
                                   ctx.options.value("identifier", std::string("email")));
  };
  return t;
}

klaviyo_destination::klaviyo_destination(const destination_context& ctx)
    : url_(ctx.options.value("url", "https://a.klaviyo.com")),
      api_key_(ctx.options.value("api_key", "")),
      revision_(ctx.options.value("revision", "2025-01-15")),
      identifier_(ctx.options.value("identifier", "email")),
      list_id_(ctx.options.value("list_id", "")),
      batch_size_(std::min<size_t>(ctx.options.value("batch_size", kl_max_per_job), kl_max_per_job)),
      poll_initial_(kl_duration_ms(ctx.options, "poll_initial", 1000)),
      poll_max_(kl_duration_ms(ctx.options, "poll_max", 10000)) {
  per_minute_ = ctx.options.value("rate_limit", nlohmann::json::object()).value("per_minute", 150);
}

size_t klaviyo_destination::batch_size(delivery_op op) const {
  return op == delivery_op::remove ? std::min(batch_size_, kl_max_per_removal) : batch_size_;
}

http_request klaviyo_destination::request(const std::string& method, const std::string& target,
                                          std::string body) const {
  http_request req;
  req.method = method;
  req.url = target.rfind("http", 0) == 0 ? target : join_url(url_, target);
  req.body = std::move(body);
  req.headers = {{"Authorization", "Klaviyo-API-Key " + api_key_},
                 {"revision", revision_},
                 {"Accept", "application/vnd.api+json"}};
  if (!req.body.empty())
    req.headers.push_back({"Content-Type", "application/vnd.api+json"});
  return req;
}

http_request klaviyo_destination::build_request(const delivery_batch& batch) const {
  if (!kl_is_remove(batch))
    return request("POST", kl_jobs, klaviyo_import_body(batch, identifier_, list_id_));
  std::string values;
  for (const auto& r : batch.records)
    values += (values.empty() ? "" : ",") + kl_filter_literal(r.key);
  const auto filter = "any(" + identifier_ + ",[" + values + "])";
  return request("GET", "/api/profiles?filter=" + percent_encoded(filter, true, false) +
                            "&page%5Bsize%5D=100&fields%5Bprofile%5D=" + identifier_);
}

batch_verdict klaviyo_destination::classify_error(const http_response& response, size_t n) const {
  auto verdict = classify_response(response, n);
  auto body = nlohmann::json::parse(response.body, nullptr, false);
  if (body.is_object() && body.contains("errors") && body["errors"].is_array() &&
      !body["errors"].empty()) {
    const auto& e = body["errors"][0];
    auto detail = json_text(e, "detail", json_text(e, "title"));
    verdict.reason = "Klaviyo " + std::to_string(response.status) + " " + json_text(e, "code") +
                     (detail.empty() ? "" : ": " + detail);
  }
  if (verdict.what == batch_verdict::kind::split)
    verdict.what = batch_verdict::kind::reject;  // a job is refused whole: no record to isolate
  return verdict;
}

batch_verdict klaviyo_destination::interpret(const delivery_batch& batch,
                                             const http_response& response) const {
  const size_t n = batch.records.size();
  if (classify_status(response.status) != status_class::delivered)
    return classify_error(response, n);
  if (kl_is_remove(batch))
    return batch_verdict::whole(batch_verdict::kind::retry,
                                "Klaviyo list removals are read as a job only");
  auto state = read_klaviyo_job(response.body);
  if (state.status != "complete" || state.failed_count > 0)
    return batch_verdict::whole(batch_verdict::kind::retry,
                                "Klaviyo queued import job " + state.id + "; it is read as a job only");
  return batch_verdict::all(n, record_outcome::delivered());
}

std::string klaviyo_destination::account() const {
  return account_id("klaviyo", url_, api_key_);
}

rate_limit_spec klaviyo_destination::rate_limits() const {
  rate_limit_spec spec;
  // The shared limiter lets a burst of 5% of the window through on top of its steady rate;
  // Klaviyo counts each fixed minute strictly, so the burst is kept out of the steady rate.
  spec.requests_per_window = per_minute_ * 0.95;
  spec.window = std::chrono::minutes(1);
  return spec;
}

size_t klaviyo_destination::job_size(delivery_op op, uint64_t) const {
  return op == delivery_op::upsert || op == delivery_op::remove ? batch_size(op) : 0;
}

std::unique_ptr<delivery_job> klaviyo_destination::make_job(const delivery_batch& batch) const {
  if (kl_is_remove(batch))
    return std::make_unique<klaviyo_removal>(*this, batch);
  return std::make_unique<klaviyo_job>(*this, batch, std::string());
}

std::unique_ptr<delivery_job> klaviyo_destination::resume_job(const delivery_batch& batch,
                                                              const std::string& checkpoint) const {
  if (kl_is_remove(batch))
    return std::make_unique<klaviyo_removal>(*this, batch);
  return std::make_unique<klaviyo_job>(*this, batch, checkpoint);
}

namespace {

/// One record as a profile resource of the import body.
nlohmann::json kl_profile(const delivery_batch& batch, const outbound_record& r,
                          const std::string& identifier) {
  auto fields = fields_to_json(batch.field_names, r.fields, "", number_style::exact);
  nlohmann::json attributes = nlohmann::json::object();
  for (auto& [name, value] : fields.items()) {
    if (name == identifier)
      continue;  // the key fills it
    if (kl_is_identifier(name) && value == "")
      continue;  // an empty identifier is no identifier: left as it is
    if (kl_attributes().count(name))
      attributes[name] = std::move(value);
    else if (name.rfind("location.", 0) == 0)
      attributes["location"][name.substr(9)] = std::move(value);
    else if (name.rfind("properties.", 0) == 0)
      attributes["properties"][name.substr(11)] = std::move(value);
    else
      attributes["properties"][name] = std::move(value);
  }
  attributes[identifier] = r.key;
  return {{"type", "profile"}, {"attributes", std::move(attributes)}};
}

/// The import body around `profiles`.
std::string kl_import_document(nlohmann::json profiles, const std::string& list_id) {
  nlohmann::json job = {{"type", "profile-bulk-import-job"},
                        {"attributes", {{"profiles", {{"data", std::move(profiles)}}}}}};
  if (!list_id.empty())
    job["relationships"] = {{"lists", {{"data", {{{"type", "list"}, {"id", list_id}}}}}}};
  return dump_exact(nlohmann::json{{"data", std::move(job)}});
}

}  // namespace

std::string klaviyo_import_body(const delivery_batch& batch, const std::string& identifier,
                                const std::string& list_id) {
  nlohmann::json profiles = nlohmann::json::array();
  for (const auto& r : batch.records)
    profiles.push_back(kl_profile(batch, r, identifier));
  return kl_import_document(std::move(profiles), list_id);
}

std::vector<std::pair<size_t, size_t>> klaviyo_chunks(const delivery_batch& batch,
                                                      const std::string& identifier,
                                                      const std::string& list_id,
                                                      size_t max_bytes) {
  const size_t envelope = kl_import_document(nlohmann::json::array(), list_id).size();
  std::vector<std::pair<size_t, size_t>> chunks;
  size_t from = 0, bytes = envelope;
  for (size_t i = 0; i < batch.records.size(); ++i) {
    const size_t size = dump_exact(kl_profile(batch, batch.records[i], identifier)).size() + 1;
    if (i > from && bytes + size > max_bytes) {
      chunks.emplace_back(from, i);
      from = i;
      bytes = envelope;
    }
    bytes += size;
  }
  chunks.emplace_back(from, batch.records.size());
  return chunks;
}

klaviyo_job_state read_klaviyo_job(const std::string& body) {
  klaviyo_job_state state;
  auto doc = nlohmann::json::parse(body, nullptr, false);
  if (!doc.is_object() || !doc.contains("data") || !doc["data"].is_object())
    return state;
  const auto& data = doc["data"];
  state.id = json_text(data, "id");
  auto attributes = data.contains("attributes") ? data["attributes"] : nlohmann::json();
  state.status = kl_lower(json_text(attributes, "status"));
  state.failed_count = json_count(attributes, "failed_count");
  return state;
}

namespace {

std::string kl_next_link(const nlohmann::json& doc) {
  if (!doc.contains("links") || !doc["links"].is_object())
    return {};
  return json_text(doc["links"], "next");
}

}  // namespace

std::string read_klaviyo_errors(const delivery_batch& batch, const std::string& identifier,
                                const std::string& body, std::map<size_t, std::string>& rejected,
                                size_t& unmatched) {
  auto doc = nlohmann::json::parse(body, nullptr, false);
  if (!doc.is_object() || !doc.contains("data") || !doc["data"].is_array())
    return {};
  const auto positions = kl_positions(batch, identifier);
  for (const auto& e : doc["data"]) {
    auto attributes = e.is_object() && e.contains("attributes") ? e["attributes"] : nlohmann::json();
    std::optional<size_t> at;
    if (attributes.is_object() && attributes.contains("original_payload"))
      if (auto* p = kl_payload_attributes(attributes["original_payload"])) {
        auto value = json_text(*p, identifier.c_str());
        if (auto it = positions.find(kl_match_form(identifier, value)); it != positions.end())
          at = it->second;
      }
    if (!at && attributes.is_object() && attributes.contains("source") &&
        attributes["source"].is_object())
      if (auto i = kl_pointer_index(json_text(attributes["source"], "pointer"));
          i && *i < batch.records.size())
        at = *i;
    if (!at) {
      ++unmatched;
      continue;
    }
    auto detail = json_text(attributes, "detail", json_text(attributes, "title", "import error"));
    auto code = json_text(attributes, "code");
    rejected[*at] = "Klaviyo " + (code.empty() ? std::string() : code + ": ") + detail;
  }
  return kl_next_link(doc);
}

std::string read_klaviyo_profiles(const delivery_batch& batch, const std::string& identifier,
                                  const std::string& body, std::map<size_t, std::string>& ids) {
  auto doc = nlohmann::json::parse(body, nullptr, false);
  if (!doc.is_object() || !doc.contains("data") || !doc["data"].is_array())
    return {};
  const auto positions = kl_positions(batch, identifier);
  for (const auto& p : doc["data"]) {
    auto id = json_text(p, "id");
    auto* attributes = kl_payload_attributes(p);
    if (id.empty() || !attributes)
      continue;
    auto value = json_text(*attributes, identifier.c_str());
    if (auto it = positions.find(kl_match_form(identifier, value)); it != positions.end())
      ids[it->second] = id;
  }
  return kl_next_link(doc);
}

}  // namespace backflow
