// Google Ads Customer Match connector: identifiers, options and the offline user data job (see
// google_ads.hpp and docs/connectors/google_ads.md).
#include "connectors/destinations/google_ads.hpp"

#include <algorithm>
#include <cctype>
#include <map>

#include "pipelines/core/crypto.hpp"
#include "pipelines/core/option_spec.hpp"
#include "pipelines/core/text.hpp"
#include "pipelines/core/unicode_text.hpp"
#include "pipelines/delivery/payload.hpp"
#include "pipelines/delivery/status_classifier.hpp"

namespace backflow {
namespace {

constexpr size_t ga_max_per_request = 100000;  // identifiers per addOperations request

struct ga_named_field {
  const char* name;
  google_ads_field field;
};

constexpr ga_named_field ga_fields[] = {
  {"hashedEmail", google_ads_field::email},          {"hashedPhoneNumber", google_ads_field::phone},
  {"hashedFirstName", google_ads_field::first_name}, {"hashedLastName", google_ads_field::last_name},
  {"countryCode", google_ads_field::country_code},   {"postalCode", google_ads_field::postal_code},
};

bool ga_hashed(google_ads_field f) {
  return f != google_ads_field::country_code && f != google_ads_field::postal_code;
}

bool ga_in_address(google_ads_field f) {
  return f != google_ads_field::email && f != google_ads_field::phone;
}

/// RFC 3986 percent-encoding of a form value.
std::string ga_form_escape(std::string_view text) {
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

std::string ga_digits(std::string_view text) {
  std::string out;
  for (char c : text)
    if (c >= '0' && c <= '9')
      out.push_back(c);
  return out;
}

/// Each whitespace-separated word lowercased without punctuation, joined by one space.
std::string ga_name(std::string_view text) {
  std::string out, word;
  auto flush = [&] {
    auto clean = without_punctuation_or_space(unicode_lower(word));
    if (!clean.empty())
      out += (out.empty() ? "" : " ") + clean;
    word.clear();
  };
  for (char c : text) {
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r')
      flush();
    else
      word.push_back(c);
  }
  flush();
  return out;
}

long long ga_duration_ms(const nlohmann::json& options, const char* key, long long fallback) {
  long long ms = fallback;
  if (options.contains(key))
    parse_duration(options[key], ms);
  return ms;
}

/// "30s" or "1.5s" (a protobuf Duration in JSON) as milliseconds; 0 when unreadable.
std::chrono::milliseconds ga_protobuf_duration(const std::string& text) {
  if (text.size() < 2 || text.back() != 's')
    return std::chrono::milliseconds(0);
  try {
    double seconds = std::stod(text.substr(0, text.size() - 1));
    if (seconds > 0 && seconds < 86400.0 * 365)
      return std::chrono::milliseconds(static_cast<long long>(seconds * 1000));
  } catch (...) {
  }
  return std::chrono::milliseconds(0);
}

}  // namespace

std::optional<google_ads_field> parse_google_ads_field(std::string_view name) {
  for (const auto& f : ga_fields)
    if (name == f.name)
      return f.field;
  return std::nullopt;
}

const char* google_ads_field_name(google_ads_field f) {
  for (const auto& entry : ga_fields)
    if (entry.field == f)
      return entry.name;
  return "?";
}

std::string normalize_google_ads_value(google_ads_field f, std::string_view raw) {
  auto text = trim_view(raw);
  switch (f) {
    case google_ads_field::email: {
      auto email = unicode_lower(text);
      auto at = email.rfind('@');
      if (at != std::string::npos) {
        auto domain = email.substr(at + 1);
        if (domain == "gmail.com" || domain == "googlemail.com") {
          auto local = email.substr(0, at);
          local.erase(std::remove(local.begin(), local.end(), '.'), local.end());
          email = local + "@" + domain;
        }
      }
      return email;
    }
    case google_ads_field::phone: {
      auto digits = ga_digits(text);
      auto first = digits.find_first_not_of('0');
      return first == std::string::npos ? std::string() : "+" + digits.substr(first);
    }
    case google_ads_field::first_name:
    case google_ads_field::last_name:
      return ga_name(text);
    case google_ads_field::country_code: {
      std::string letters;
      for (char c : text)
        if (std::isalpha(static_cast<unsigned char>(c)))
          letters.push_back(static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
      return letters;
    }
    case google_ads_field::postal_code:
      return std::string(text);
  }
  return std::string(text);
}

std::string google_ads_identifier(google_ads_field f, const cell& value) {
  if (value.is_null())
    return {};
  std::string raw = value.is_text_like() ? std::string(value.text) : cell_to_string(value);
  auto trimmed = trim_view(raw);
  if (ga_hashed(f) && is_sha256_hex(trimmed))
    return ascii_lower(trimmed);  // hashed upstream
  auto normal = normalize_google_ads_value(f, raw);
  if (normal.empty() || !ga_hashed(f))
    return normal;
  return sha256_hex(normal);
}

nlohmann::json google_ads_user_identifiers(const std::string& identity) {
  nlohmann::json ids = nlohmann::json::array();
  nlohmann::json address = nlohmann::json::object();
  auto values = nlohmann::json::parse(identity, nullptr, false);
  if (!values.is_object())
    return ids;
  for (const auto& [name, value] : values.items()) {
    auto f = parse_google_ads_field(name);
    if (!f || !value.is_string() || value.get<std::string>().empty())
      continue;
    if (ga_in_address(*f))
      address[name] = value;
    else
      ids.push_back({{name, value}});
  }
  if (!address.empty())
    ids.push_back({{"addressInfo", std::move(address)}});
  return ids;
}

destination_type google_ads_destination::type() {
  destination_type t;
  t.name = "google_ads";
  t.summary = "Google Ads Customer Match: user list members added and removed by offline user "
              "data jobs";
  t.modes = {sync_mode::audience};
  t.max_wait = std::chrono::hours(1);  // RESOURCE_EXHAUSTED asks for seconds to minutes
  t.options = {
    option("endpoint", option_type::url, "Google Ads API base URL")
        .defaults_to("https://googleads.googleapis.com"),
    option("api_version", option_type::string, "Google Ads API version")
        .defaults_to("v26").looks_like(R"(v\d+)", "v26"),
    option("token_url", option_type::url, "OAuth 2.0 token endpoint")
        .defaults_to("https://oauth2.googleapis.com/token"),
    option("customer_id", option_type::string, "the account that owns the user list, e.g. "
                                               "\"123-456-7890\"").mandatory().shapes_payload()
        .looks_like(R"([0-9-]+)", "1234567890"),
    option("login_customer_id", option_type::string, "the manager account, when signing in "
                                                     "through one").looks_like(R"([0-9-]+)", "1234567890"),
    option("user_list_id", option_type::string, "the Customer Match user list").mandatory()
        .shapes_payload().looks_like(R"([0-9]+)", "4000000001"),
    option("developer_token", option_type::string, "developer token, e.g. \"${GOOGLE_ADS_DEVELOPER_TOKEN}\"")
        .mandatory().secret_value(),
    option("client_id", option_type::string, "OAuth client id").mandatory(),
    option("client_secret", option_type::string, "OAuth client secret").mandatory().secret_value(),
    option("refresh_token", option_type::string, "OAuth refresh token").mandatory().secret_value(),
    option("batch_size", option_type::integer, "members per job (Google takes 100,000 "
                                               "identifiers per request)")
        .defaults_to(10000).between(1, 100000),
    option("identifiers_per_request", option_type::integer, "identifiers per addOperations "
           "request (100,000 with Explorer and Basic access); a job takes several requests")
        .defaults_to(100000).between(1, 10000000),
    option("poll_initial", option_type::duration, "first wait before polling a job").defaults_to("1s"),
    option("poll_max", option_type::duration, "longest wait between polls").defaults_to("30s"),
    option("rate_limit", option_type::object, "the account's budget")
        .with({option("per_minute", option_type::integer, "requests per minute (0 = unlimited; "
                                                          "Google throttles with RESOURCE_EXHAUSTED)")
                   .defaults_to(0).at_least(0)}),
  };
  t.make = [](const destination_context& ctx) {
    return std::make_unique<google_ads_destination>(ctx);
  };
  t.check = [](const destination_context& ctx, const std::string&, config_errors& errors) {
    std::string known;
    for (const auto& f : ga_fields)
      known += (known.empty() ? "" : ", ") + std::string(f.name);
    if (ctx.mapped_fields.empty())
      errors.add("mapping", "google_ads needs a mapping from columns to identifiers (" + known + ")");
    for (size_t i = 0; i < ctx.mapped_fields.size(); ++i)
      if (!parse_google_ads_field(ctx.mapped_fields[i]))
        errors.add("mapping[" + std::to_string(i) + "].to",
                   "\"" + ctx.mapped_fields[i] + "\" is not a Customer Match identifier (" + known + ")");
  };
  return t;
}

google_ads_destination::google_ads_destination(const destination_context& ctx)
    : endpoint_(ctx.options.value("endpoint", "https://googleads.googleapis.com")),
      api_version_(ctx.options.value("api_version", "v26")),
      token_url_(ctx.options.value("token_url", "https://oauth2.googleapis.com/token")),
      customer_id_(ga_digits(ctx.options.value("customer_id", ""))),
      login_customer_id_(ga_digits(ctx.options.value("login_customer_id", ""))),
      user_list_id_(ctx.options.value("user_list_id", "")),
      developer_token_(ctx.options.value("developer_token", "")),
      client_id_(ctx.options.value("client_id", "")),
      client_secret_(ctx.options.value("client_secret", "")),
      refresh_token_(ctx.options.value("refresh_token", "")),
      batch_size_(std::min<size_t>(ctx.options.value("batch_size", 10000), ga_max_per_request)),
      identifiers_per_request_(ctx.options.value("identifiers_per_request", ga_max_per_request)),
      poll_initial_(ga_duration_ms(ctx.options, "poll_initial", 1000)),
      poll_max_(ga_duration_ms(ctx.options, "poll_max", 30000)),
      per_minute_(ctx.options.value("rate_limit", nlohmann::json::object()).value("per_minute", 0.0)) {}

std::optional<http_request> google_ads_destination::build_token_request() const {
  http_request req;
  req.method = "POST";
  req.url = token_url_;
  req.headers = {{"Content-Type", "application/x-www-form-urlencoded"}};
  req.body = "grant_type=refresh_token&client_id=" + ga_form_escape(client_id_) +
             "&client_secret=" + ga_form_escape(client_secret_) +
             "&refresh_token=" + ga_form_escape(refresh_token_);
  return req;
}

http_request google_ads_destination::request(const std::string& method, const std::string& path,
                                             std::string body) const {
  http_request req;
  req.method = method;
  req.url = join_url(endpoint_, "/" + api_version_ + "/" + path);
  req.body = std::move(body);
  req.headers = {{"developer-token", developer_token_}, {"Accept", "application/json"}};
  if (!login_customer_id_.empty())
    req.headers.push_back({"login-customer-id", login_customer_id_});
  if (method != "GET")
    req.headers.push_back({"Content-Type", "application/json"});
  return req;
}

std::optional<std::string> google_ads_destination::identity(
    const std::vector<std::string>& field_names, std::string_view fields) const {
  nlohmann::json identity = nlohmann::json::object();  // keys sorted: one text per member
  row_reader reader{fields};
  cell c;
  for (const auto& name : field_names) {
    if (!reader.next(c))
      break;
    auto f = parse_google_ads_field(name);
    if (!f)
      continue;
    auto value = google_ads_identifier(*f, c);
    if (!value.empty())
      identity[name] = value;
  }
  return identity.dump();
}

std::vector<std::string> google_ads_destination::identities(const delivery_batch& batch) const {
  std::vector<std::string> out;
  for (const auto& r : batch.records) {
    if (r.op == delivery_op::remove) {
      auto stored = nlohmann::json::parse(r.dest_id, nullptr, false);
      out.push_back(stored.is_object() ? stored.dump() : "{}");
    } else {
      out.push_back(*identity(batch.field_names, r.fields));
    }
  }
  return out;
}

http_request google_ads_destination::build_request(const delivery_batch&) const {
  nlohmann::json job = {
      {"type", "CUSTOMER_MATCH_USER_LIST"},
      {"customerMatchUserListMetadata",
       {{"userList", "customers/" + customer_id_ + "/userLists/" + user_list_id_}}}};
  return request("POST", "customers/" + customer_id_ + "/offlineUserDataJobs:create",
                 nlohmann::json{{"job", std::move(job)}}.dump());
}

batch_verdict google_ads_destination::interpret(const delivery_batch& batch,
                                                const http_response& response) const {
  if (classify_status(response.status) != status_class::delivered)
    return classify_error(response, batch.records.size());
  // Only a job delivers members: a job created outside one is left pending and expires.
  return batch_verdict::whole(batch_verdict::kind::retry,
                              "Google Ads members are delivered by offline user data jobs only");
}

batch_verdict google_ads_destination::classify_error(const http_response& response, size_t n) const {
  using kind = batch_verdict::kind;
  auto verdict = classify_response(response, n);
  auto body = nlohmann::json::parse(response.body, nullptr, false);
  auto error = body.is_object() ? body.value("error", nlohmann::json()) : nlohmann::json();
  std::string detail;
  std::chrono::milliseconds delay{0};
  if (error.is_object() && error.contains("details") && error["details"].is_array())
    for (const auto& d : error["details"])
      if (d.is_object() && d.contains("errors") && d["errors"].is_array())
        for (const auto& e : d["errors"]) {
          if (detail.empty() && e.is_object() && e.contains("errorCode") &&
              e["errorCode"].is_object() && !e["errorCode"].empty())
            detail = e["errorCode"].begin().key() + "." +
                     (e["errorCode"].begin()->is_string() ? e["errorCode"].begin()->get<std::string>()
                                                          : e["errorCode"].begin()->dump());
          auto retry = e.is_object() ? e.value("details", nlohmann::json()) : nlohmann::json();
          retry = retry.is_object() ? retry.value("quotaErrorDetails", nlohmann::json()) : retry;
          delay = std::max(delay, ga_protobuf_duration(json_text(retry, "retryDelay")));
        }
  if (error.is_object())
    verdict.reason = "Google Ads " + std::to_string(response.status) + " " +
                     json_text(error, "status") + (detail.empty() ? "" : " " + detail) + ": " +
                     json_text(error, "message");
  if (response.status == 401) {
    verdict.what = kind::retry;  // the access token expired or was revoked: fetch another
    verdict.token_rejected = true;
  } else if (response.status == 429 || json_text(error, "status") == "RESOURCE_EXHAUSTED") {
    verdict.what = kind::retry;
    verdict.retry_after = std::max(verdict.retry_after, delay);
  } else if (json_text(error, "status") == "ABORTED" ||
             detail == "databaseError.CONCURRENT_MODIFICATION") {
    // Another job is changing the same list: the same request again, a little later.
    verdict.what = kind::retry;
    verdict.retry_after = std::max(verdict.retry_after, std::chrono::milliseconds(2000));
  } else if (verdict.what == kind::split || verdict.what == kind::reject) {
    // Identifiers are judged one by one (partial failure): a whole request refused is the
    // sync's fault (list, account, access), not a member's.
    verdict.what = kind::fatal;
  }
  return verdict;
}

rate_signal google_ads_destination::read_rate_signal(const http_response& response) const {
  rate_signal s;
  if (response.status != 429)
    return s;
  auto verdict = classify_error(response, 1);
  if (verdict.retry_after.count() > 0)
    s.pause = verdict.retry_after;
  return s;
}

std::string google_ads_destination::account() const {
  return account_id("google_ads", endpoint_ + "/customers/" + customer_id_, developer_token_);
}

rate_limit_spec google_ads_destination::rate_limits() const {
  rate_limit_spec spec;
  spec.requests_per_window = per_minute_;
  spec.window = std::chrono::minutes(1);
  return spec;
}

size_t google_ads_destination::job_size(delivery_op, uint64_t) const {
  return batch_size_;  // every batch is a job: Customer Match has no synchronous upload
}

namespace {

/// One offline user data job over one batch. Phases: create → add (the members, partial
/// failure on) → run → poll the long-running operation until done. The checkpoint (JSON: the
/// job's resource name, the members addOperations refused, and the operation once run) exists
/// from the moment Google acknowledged the operations: a resumed job runs or polls, never adds.
class google_ads_job final : public delivery_job {
 public:
  google_ads_job(const google_ads_destination& dest, const delivery_batch& batch,
                 const std::string& checkpoint)
      : dest_(dest), batch_(batch), identities_(dest.identities(batch)) {
    auto saved = nlohmann::json::parse(checkpoint, nullptr, false);
    if (saved.is_object()) {
      job_ = json_text(saved, "job");
      operation_ = json_text(saved, "operation");
      if (saved.contains("rejected") && saved["rejected"].is_object())
        for (const auto& [key, why] : saved["rejected"].items())
          rejected_[key] = why.is_string() ? why.get<std::string>() : why.dump();
      resumed_ = !job_.empty();
    }
  }

  job_step start() override {
    if (resumed_ && !operation_.empty())
      return poll(std::chrono::milliseconds(0));
    if (resumed_)
      return run();
    if (sent_positions().empty())
      return finish();
    phase_ = phase::create;
    return remember(job_step::send(dest_.build_request(batch_)));
  }

  job_step next(const http_response& response) override {
    if (classify_status(response.status) != status_class::delivered) {
      if (phase_ == phase::run && response.status == 400 && (repeated_ || resumed_))
        return finish();  // a run repeated after its answer was lost: the job runs already
      if (phase_ == phase::poll && response.status == 404)
        return again("Google Ads no longer knows operation " + operation_);
      auto verdict = dest_.classify_error(response, batch_.records.size());
      if (verdict.what == batch_verdict::kind::retry && verdict.retry_after.count() > 0 &&
          !verdict.token_rejected)
        return remember(job_step::send(last_, verdict.retry_after));
      if (verdict.what == batch_verdict::kind::retry && !verdict.token_rejected)
        return again(verdict.reason);
      return job_step::fail(verdict);  // a refused token sends this request again
    }
    auto body = nlohmann::json::parse(response.body, nullptr, false);
    switch (phase_) {
      case phase::create:
        job_ = json_text(body, "resourceName");
        if (job_.empty())
          return again("Google Ads created a job without a resourceName");
        sent_ = sent_positions();
        chunk_begin_ = 0;
        return add();
      case phase::add:
        read_partial_failure(body);
        chunk_begin_ = chunk_end_;
        if (chunk_begin_ < sent_.size())
          return add();
        added_ = true;
        return run();
      case phase::run:
      case phase::poll:
        return read_operation(body);
    }
    return finish();
  }

  void resending() override { repeated_ = true; }

  [[nodiscard]] std::string checkpoint() const override {
    if (!added_ && !resumed_)
      return {};
    nlohmann::json saved = {{"job", job_}, {"rejected", rejected_}};
    if (!operation_.empty())
      saved["operation"] = operation_;
    return saved.dump();
  }

 private:
  enum class phase { create, add, run, poll };

  /// Positions (in the batch) of the records that have an identifier to send.
  [[nodiscard]] std::vector<size_t> sent_positions() const {
    std::vector<size_t> out;
    for (size_t i = 0; i < identities_.size(); ++i)
      if (identities_[i] != "{}")
        out.push_back(i);
    return out;
  }

  /// The next addOperations request: the members from `chunk_begin_` on, as many as fit in
  /// `identifiers_per_request` (a job takes several requests).
  job_step add() {
    phase_ = phase::add;
    const bool remove = batch_.records.front().op == delivery_op::remove;
    nlohmann::json operations = nlohmann::json::array();
    size_t identifiers = 0;
    for (chunk_end_ = chunk_begin_; chunk_end_ < sent_.size(); ++chunk_end_) {
      auto ids = google_ads_user_identifiers(identities_[sent_[chunk_end_]]);
      if (identifiers + ids.size() > dest_.identifiers_per_request() && chunk_end_ > chunk_begin_)
        break;
      identifiers += ids.size();
      operations.push_back({{remove ? "remove" : "create", {{"userIdentifiers", std::move(ids)}}}});
    }
    nlohmann::json body = {{"enablePartialFailure", true}, {"operations", std::move(operations)}};
    return remember(job_step::send(dest_.request("POST", job_ + ":addOperations", body.dump())));
  }

  job_step run() {
    phase_ = phase::run;
    added_ = true;
    return remember(job_step::send(dest_.request("POST", job_ + ":run", "{}")));
  }

  job_step poll(std::chrono::milliseconds after) {
    phase_ = phase::poll;
    return remember(job_step::send(dest_.request("GET", operation_), after));
  }

  /// partialFailureError.details[].errors[]: location.fieldPathElements names the operation (an
  /// index into the request in flight).
  void read_partial_failure(const nlohmann::json& body) {
    auto failure = body.is_object() ? body.value("partialFailureError", nlohmann::json())
                                    : nlohmann::json();
    auto details = failure.is_object() ? failure.value("details", nlohmann::json()) : nlohmann::json();
    if (!details.is_array())
      return;
    for (const auto& d : details) {
      auto errors = d.is_object() ? d.value("errors", nlohmann::json()) : nlohmann::json();
      if (!errors.is_array())
        continue;
      for (const auto& e : errors) {
        auto location = e.is_object() ? e.value("location", nlohmann::json()) : nlohmann::json();
        auto path = location.is_object() ? location.value("fieldPathElements", nlohmann::json())
                                         : nlohmann::json();
        if (!path.is_array())
          continue;
        for (const auto& element : path)
          if (json_text(element, "fieldName") == "operations" && element.contains("index") &&
              element["index"].is_number_unsigned() &&
              chunk_begin_ + element["index"].get<size_t>() < chunk_end_) {
            auto code = e.value("errorCode", nlohmann::json::object());
            std::string name = code.is_object() && !code.empty() && code.begin()->is_string()
                                   ? " (" + code.begin()->get<std::string>() + ")"
                                   : "";
            auto at = sent_[chunk_begin_ + element["index"].get<size_t>()];
            auto& why = rejected_[batch_.records[at].key];
            if (why.empty())
              why = "Google Ads: " + json_text(e, "message", "operation failed") + name;
          }
      }
    }
  }

  job_step read_operation(const nlohmann::json& body) {
    if (phase_ == phase::run) {
      operation_ = json_text(body, "name");
      if (operation_.empty())
        return again("Google Ads ran job " + job_ + " without naming its operation");
    }
    if (!body.is_object() || !body.value("done", false)) {
      delay_ = delay_.count() == 0 ? dest_.poll_initial() : std::min(dest_.poll_max(), delay_ * 2);
      return poll(delay_);
    }
    if (body.contains("error") && body["error"].is_object())
      return again("Google Ads job " + job_ + " failed: " + json_text(body["error"], "message"));
    return finish();
  }

  /// The batch goes again as a new job: adds and removes are idempotent on a list.
  job_step again(std::string why) {
    added_ = false;
    resumed_ = false;
    return job_step::fail(batch_verdict::whole(batch_verdict::kind::retry, std::move(why)));
  }

  job_step finish() {
    std::vector<record_outcome> outcomes;
    const bool remove = batch_.records.front().op == delivery_op::remove;
    for (size_t i = 0; i < batch_.records.size(); ++i) {
      const auto& r = batch_.records[i];
      if (identities_[i] == "{}")
        outcomes.push_back(record_outcome::rejected(
            remove ? "the identifiers this member was added with are not known, so it cannot be "
                     "removed"
                   : "no identifier to match: every mapped value is empty"));
      else if (auto it = rejected_.find(r.key); it != rejected_.end())
        outcomes.push_back(record_outcome::rejected(it->second));
      else
        outcomes.push_back(record_outcome::delivered(remove ? std::string() : identities_[i]));
    }
    return job_step::finished(std::move(outcomes));
  }

  job_step remember(job_step step) {
    if (step.what == job_step::kind::send) {
      last_ = step.request;
      repeated_ = false;
    }
    return step;
  }

  google_ads_destination dest_;  ///< a copy: a job may outlive the run's connector object
  delivery_batch batch_;         ///< a copy: the job outlives moves of the work item
  std::vector<std::string> identities_;
  std::vector<size_t> sent_;
  size_t chunk_begin_ = 0;  ///< the first of sent_ in the addOperations request in flight
  size_t chunk_end_ = 0;    ///< one past its last
  std::map<std::string, std::string> rejected_;  ///< record key → why addOperations refused it
  std::string job_;
  std::string operation_;
  phase phase_ = phase::create;
  bool added_ = false;
  bool resumed_ = false;
  bool repeated_ = false;
  http_request last_;
  std::chrono::milliseconds delay_{0};
};

}  // namespace

std::unique_ptr<delivery_job> google_ads_destination::make_job(const delivery_batch& batch) const {
  return std::make_unique<google_ads_job>(*this, batch, std::string());
}

std::unique_ptr<delivery_job> google_ads_destination::resume_job(const delivery_batch& batch,
                                                                 const std::string& checkpoint) const {
  return std::make_unique<google_ads_job>(*this, batch, checkpoint);
}

}  // namespace backflow
