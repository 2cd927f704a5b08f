// The templated HTTP destination (see http.hpp and docs/connectors/http.md).
#include "connectors/destinations/http.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "pipelines/core/crypto.hpp"
#include "pipelines/delivery/payload.hpp"
#include "pipelines/delivery/status_classifier.hpp"

namespace backflow {
namespace {

using nlohmann::json;

option_spec operation_option(const std::string& name) {
  return option(name, option_type::object, "how a record is sent for " + name)
      .with({
        option("method", option_type::string, "HTTP method")
            .defaults_to(name == "delete" ? "DELETE" : "POST")
            .one_of({"POST", "PUT", "PATCH", "DELETE"}),
        option("url", option_type::string,
               "URL template under base_url (\"/contacts/{{key}}\"); {{var}} is percent-encoded")
            .mandatory(),
        option("body", option_type::custom,
               "JSON template of one record (\"{{score}}\" alone is the typed value); default: "
               "\"{{fields}}\", for delete none (batch mode: \"{{key}}\")"),
      });
}

/// The value at pointer `p` in `doc`, or nullptr.
const json* at_pointer(const json& doc, const std::string& p) {
  try {
    json::json_pointer ptr(p);
    return doc.contains(ptr) ? &doc.at(ptr) : nullptr;
  } catch (const json::exception&) {
    return nullptr;
  }
}

std::string scalar(const json& v) { return v.is_string() ? v.get<std::string>() : v.dump(); }

}  // namespace

destination_type http_destination::type() {
  destination_type t;
  t.name = "http";
  t.summary = "any JSON API: method, URL and body templates per operation, batched or one by one";
  t.modes = {sync_mode::upsert, sync_mode::update, sync_mode::insert, sync_mode::mirror};
  t.options = {
    option("base_url", option_type::url, "the API's base URL; operation URLs are under it")
        .mandatory(),
    option("operations", option_type::object, "upsert, update, insert, delete: how each is sent")
        .mandatory().shapes_payload()
        .with({operation_option("upsert"), operation_option("update"), operation_option("insert"),
               operation_option("delete")}),
    option("batch", option_type::object, "batch mode: many records per request (else one)")
        .shapes_payload()
        .with({
          option("path", option_type::string,
                 "JSON pointer of the records' array in the body (default \"\": the body is "
                 "the array)"),
          option("envelope", option_type::custom, "JSON template of the rest of the body"),
        }),
    option("batch_size", option_type::integer, "records per request in batch mode")
        .defaults_to(100).between(1, 10000),
    option("headers", option_type::custom, "header name → text template"),
    option("auth", option_type::object, "credentials (tokens, passwords, keys and header values redacted)")
        .with({
          option("type", option_type::string, "how requests are authenticated")
              .defaults_to("none").one_of({"none", "bearer", "basic", "hmac", "header"}),
          option("token", option_type::string, "bearer: the token").secret_value(),
          option("username", option_type::string, "basic: the user name"),
          option("password", option_type::string, "basic: the password").secret_value(),
          option("secret", option_type::string, "hmac: the key").secret_value(),
          option("header", option_type::string, "hmac or header: the header's name")
              .defaults_to("X-Signature"),
          option("value", option_type::string, "header: the header's value (an API key)")
              .secret_value(),
          option("algorithm", option_type::string, "hmac: the digest")
              .defaults_to("sha256").one_of({"sha256", "sha1", "sha512"}),
          option("encoding", option_type::string, "hmac: the signature's text form")
              .defaults_to("hex").one_of({"hex", "base64"}),
          option("prefix", option_type::string, "hmac: text before the signature (\"sha256=\")")
              .defaults_to(""),
        }),
    option("results", option_type::object, "per-record results in a 2xx answer, by JSON pointer")
        .with({
          option("items", option_type::string,
                 "the array of results, one per record in order (one record: the item); "
                 "default \"\", the answer itself"),
          option("success", option_type::string, "in an item: true when it was applied"),
          option("error", option_type::string, "in an item: the error message"),
          option("id", option_type::string, "in an item: the record's id"),
          option("status", option_type::string, "in an item: an HTTP status for it"),
        }),
    option("rate_limit", option_type::object, "requests the API accepts")
        .with({
          option("per_second", option_type::number, "requests per second (0 = unlimited)")
              .defaults_to(0).between(0, 1e6),
          option("per_minute", option_type::number, "requests per minute (0 = unlimited)")
              .defaults_to(0).between(0, 1e8),
        }),
  };
  t.make = [](const destination_context& ctx) { return std::make_unique<http_destination>(ctx); };
  t.check = check_http_options;
  return t;
}

http_destination::http_destination(const destination_context& ctx)
    : base_url_(ctx.options.value("base_url", "")),
      sync_name_(ctx.sync_name),
      run_id_(ctx.run_id),
      batched_(ctx.options.contains("batch") && ctx.options["batch"].is_object()),
      batch_size_(batched_ ? ctx.options.value("batch_size", size_t{100}) : 1),
      auth_(ctx.options.value("auth", json::object())) {
  if (batched_) {
    const auto& b = ctx.options["batch"];
    batch_path_ = b.value("path", "");
    if (b.contains("envelope"))
      if (auto src = template_source(b["envelope"], "", nullptr))
        envelope_.emplace(*src);
  }
  read_operations(ctx.options.value("operations", json::object()));
  auto headers = ctx.options.value("headers", json::object());
  if (headers.is_object())
    for (const auto& [name, value] : headers.items())
      if (value.is_string())
        headers_.emplace_back(name, text_template(value.get<std::string>(),
                                                  text_template::escaping::header));
  if (auto r = ctx.options.find("results"); r != ctx.options.end() && r->is_object())
    results_ = result_pointers{r->value("items", ""), r->value("success", ""),
                               r->value("error", ""), r->value("id", ""), r->value("status", "")};
  auto rate = ctx.options.value("rate_limit", json::object());
  double per_second = rate.value("per_second", 0.0);
  double per_minute = rate.value("per_minute", 0.0);
  if (per_second > 0) {
    limits_.requests_per_window = per_second;
  } else if (per_minute > 0) {
    limits_.requests_per_window = per_minute;
    limits_.window = std::chrono::minutes(1);
  }
}

void http_destination::read_operations(const json& ops) {
  for (int i = 0; i < 4; ++i) {
    auto spec = ops.is_object() ? ops.value(http_op_names[i], json()) : json();
    auto& op = ops_[i];
    if (!spec.is_object())
      continue;
    op.method = spec.value("method", i == 3 ? "DELETE" : "POST");
    op.url.emplace(spec.value("url", ""), text_template::escaping::url);
    if (spec.contains("body"))
      if (auto src = template_source(spec["body"], "", nullptr))
        op.body.emplace(*src);
  }
  for (int i = 0; i < 4; ++i) {  // defaults, also for an operation the mode never sends
    auto& op = ops_[i];
    if (op.method.empty())
      op.method = i == 3 ? "DELETE" : "POST";
    if (!op.body && i != 3)
      op.body.emplace(json("{{fields}}"));
    else if (!op.body && batched_)
      op.body.emplace(json("{{key}}"));
  }
}

const http_destination::operation& http_destination::operation_for(delivery_op op) const {
  return ops_[static_cast<int>(op)];
}

template_values http_destination::request_values(const delivery_batch& batch) const {
  template_values v;
  const char* op = http_op_names[static_cast<int>(batch.records.front().op)];
  for (auto* doc : {&v.typed, &v.plain}) {
    (*doc)["sync_name"] = sync_name_;
    (*doc)["run_id"] = std::to_string(run_id_);
    (*doc)["batch_id"] = batch.batch_id;
    (*doc)["op"] = op;
  }
  return v;
}

template_values http_destination::record_values(const delivery_batch& batch,
                                                const outbound_record& record) const {
  template_values v;
  v.typed = fields_to_json(batch.field_names, record.fields, nullptr, number_style::exact);
  v.plain = fields_to_json(batch.field_names, record.fields, nullptr, number_style::plain);
  auto reserved = request_values(batch);
  for (auto [doc, top] : {std::pair{&v.typed, &reserved.typed}, {&v.plain, &reserved.plain}}) {
    auto fields = *doc;
    for (const auto& [name, value] : top->items())
      (*doc)[name] = value;
    (*doc)["key"] = record.key;
    (*doc)["fields"] = std::move(fields);
  }
  return v;
}

http_request http_destination::build_request(const delivery_batch& batch) const {
  const auto& op = operation_for(batch.records.front().op);
  http_request req;
  req.method = op.method;
  auto scope = batched_ ? request_values(batch) : record_values(batch, batch.records.front());
  req.url = join_url(base_url_, op.url ? op.url->render(scope) : std::string());
  if (batched_) {
    auto items = json::array();
    for (const auto& r : batch.records)
      items.push_back(op.body->render(record_values(batch, r)));
    auto body = envelope_ ? envelope_->render(scope) : json::object();
    if (batch_path_.empty())
      body = std::move(items);
    else
      body[json::json_pointer(batch_path_)] = std::move(items);
    req.body = dump_exact(body);
  } else if (op.body) {
    req.body = dump_exact(op.body->render(scope));
  }
  bool typed = false;
  for (const auto& [name, value] : headers_) {
    req.headers.push_back({name, value.render(scope)});
    typed = typed || iequals(name, "Content-Type");
  }
  if (!req.body.empty() && !typed)
    req.headers.push_back({"Content-Type", "application/json"});
  sign(req);
  return req;
}

void http_destination::sign(http_request& req) const {
  const auto kind = auth_.value("type", "none");
  if (kind == "bearer") {
    req.headers.push_back({"Authorization", "Bearer " + auth_.value("token", "")});
  } else if (kind == "basic") {
    auto pair = auth_.value("username", "") + ":" + auth_.value("password", "");
    req.headers.push_back({"Authorization", "Basic " + base64_encode(pair)});
  } else if (kind == "header") {
    req.headers.push_back({auth_.value("header", "X-Signature"), auth_.value("value", "")});
  } else if (kind == "hmac") {
    const auto algorithm = auth_.value("algorithm", "sha256");
    const EVP_MD* md = algorithm == "sha1"     ? EVP_sha1()
                       : algorithm == "sha512" ? EVP_sha512()
                                               : EVP_sha256();
    const auto key = auth_.value("secret", "");
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    HMAC(md, key.data(), static_cast<int>(key.size()),
         reinterpret_cast<const unsigned char*>(req.body.data()), req.body.size(), mac, &length);
    std::string raw(reinterpret_cast<const char*>(mac), length);
    auto text = auth_.value("encoding", "hex") == "base64" ? base64_encode(raw) : hex_encode(raw);
    req.headers.push_back({auth_.value("header", "X-Signature"), auth_.value("prefix", "") + text});
  }
}

batch_verdict http_destination::interpret(const delivery_batch& batch,
                                          const http_response& response) const {
  const size_t n = batch.records.size();
  auto verdict = classify_response(response, n);
  if (!results_ || response.status < 200 || response.status > 299)
    return verdict;
  if (response.status == 204 || response.body.find_first_not_of(" \t\r\n") == std::string::npos)
    return verdict;  // No Content (a DELETE's usual answer): nothing to read, all delivered
  auto unreadable = [&](const std::string& why) {
    return batch_verdict::all(n, record_outcome::retryable(why));
  };
  auto body = json::parse(response.body, nullptr, false);
  if (body.is_discarded())
    return unreadable("the answer is not JSON: no record's result can be read");
  const json* items = at_pointer(body, results_->items);
  if (items == nullptr)
    return unreadable("the answer has no results at \"" + results_->items + "\"");
  batch_verdict out;
  if (items->is_array() && items->size() == n) {
    for (const auto& item : *items)
      out.outcomes.push_back(item_outcome(item));
  } else if (items->is_object() && n == 1) {  // one record per request: the item itself
    out.outcomes.push_back(item_outcome(*items));
  } else {
    return unreadable("the answer's \"" + results_->items + "\" is not an array of " +
                      std::to_string(n) + " results");
  }
  return out;
}

record_outcome http_destination::item_outcome(const json& item) const {
  auto field = [&](const std::string& p) { return p.empty() ? nullptr : at_pointer(item, p); };
  const json* error = field(results_->error);
  std::string reason = error != nullptr && !error->is_null() ? scalar(*error) : std::string();
  std::string id;
  if (const json* v = field(results_->id); v != nullptr && !v->is_null())
    id = scalar(*v);
  if (const json* status = field(results_->status); status != nullptr && status->is_number_integer()) {
    const long code = status->get<long>();
    if (reason.empty())
      reason = "item status " + std::to_string(code);
    switch (classify_status(code)) {
      case status_class::delivered:
        return record_outcome::delivered(id);
      case status_class::retryable:
        return record_outcome::retryable(reason);
      default:
        return record_outcome::rejected(reason);
    }
  }
  if (!results_->success.empty()) {
    const json* ok = field(results_->success);
    bool success = ok != nullptr && (*ok == true || *ok == "true" || *ok == 1);
    if (success)
      return record_outcome::delivered(id);
    return record_outcome::rejected(reason.empty() ? "the answer says the record failed" : reason);
  }
  bool failed = error != nullptr && !error->is_null() && *error != false && *error != "";
  return failed ? record_outcome::rejected(reason) : record_outcome::delivered(id);
}

std::string http_destination::account() const {
  return account_id("http", base_url_,
                    auth_.value("token", "") + auth_.value("password", "") +
                        auth_.value("secret", "") + auth_.value("value", ""));
}

rate_limit_spec http_destination::rate_limits() const { return limits_; }

}  // namespace backflow
