// A generic JSON API for the http destination: records stored by a key from the URL path or the
// body, per-record results at a configurable pointer, bearer/basic/HMAC auth, a per-second limit.
#include <map>
#include <mutex>
#include <vector>

#include "emulators/emulator_util.hpp"
#include "emulators/rate_window.hpp"
#include "emulators/registry.hpp"
#include "pipelines/core/crypto.hpp"

namespace backflow::emulators {
namespace http_api {

using nlohmann::json;

/// How the API finds keys, answers, and checks callers (the command line's flags).
struct api_shape {
  std::string key = "/key";  ///< "path": the URL's last segment; else a pointer into each record
  std::string records_at = "/records";
  std::string results_at = "/results";
  std::string success_field = "success";
  std::string error_field = "error";
  int partial_status = 207;
  std::string bearer, basic;
  std::string hmac_secret, hmac_header = "X-Signature", hmac_encoding = "hex", hmac_prefix;
};

std::string percent_decode(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() &&
        hex_digit_value(s[i + 1]) >= 0 && hex_digit_value(s[i + 2]) >= 0) {
      out += static_cast<char>(hex_digit_value(s[i + 1]) * 16 + hex_digit_value(s[i + 2]));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

/// The raw path's segments, each percent-decoded (a key may hold an encoded '/').
std::vector<std::string> segments(const httplib::Request& req) {
  std::string raw = req.target.empty() ? req.path : req.target;
  raw = raw.substr(0, raw.find('?'));
  std::vector<std::string> out;
  size_t at = 0;
  while (at < raw.size()) {
    size_t next = raw.find('/', at + 1);
    auto part = raw.substr(at + 1, (next == std::string::npos ? raw.size() : next) - at - 1);
    if (!part.empty())
      out.push_back(percent_decode(part));
    at = next == std::string::npos ? raw.size() : next;
  }
  return out;
}

const json* at(const json& doc, const std::string& pointer) {
  try {
    json::json_pointer p(pointer);
    return doc.contains(p) ? &doc.at(p) : nullptr;
  } catch (const json::exception&) {
    return nullptr;
  }
}

class http_emulator final : public emulator {
 public:
  explicit http_emulator(api_shape shape) : shape_(std::move(shape)) {}

  [[nodiscard]] std::string name() const override { return "http"; }
  api_response handle(const httplib::Request& req, const limits& current) override;
  void describe(const httplib::Request& req, api_response& out) const override;
  [[nodiscard]] json records(const httplib::Request& req) const override;
  void reset() override;
  bool control(const std::string& name, const httplib::Request& req,
               httplib::Response& res) override;

 private:
  struct stored {
    json fields = json::object();
    std::string id;
    bool deleted = false;
    int64_t writes = 0, creates = 0, deletes = 0;
  };
  struct item_result {
    json answer;
    bool ok = true;
    bool created = false;
  };

  [[nodiscard]] std::string auth_problem(const httplib::Request& req) const;
  /// The records of a request body: a batch, or the one record of a single request.
  [[nodiscard]] std::pair<json, bool> items_of(const json& body) const;
  item_result apply(const json& item, const std::string& path_key, bool remove);
  [[nodiscard]] bool is_delete(const httplib::Request& req) const;

  api_shape shape_;
  std::mutex quota_mutex_;
  rate_window per_second_{std::chrono::seconds(1)};
  mutable std::mutex mutex_;  ///< guards everything below
  std::map<std::string, stored> records_;
  std::vector<std::pair<std::string, std::string>> rules_;  ///< reject_if field contains
  int64_t next_id_ = 1;
};

bool http_emulator::is_delete(const httplib::Request& req) const {
  auto parts = segments(req);
  return req.method == "DELETE" || (!parts.empty() && parts.back() == "delete");
}

void http_emulator::describe(const httplib::Request& req, api_response& out) const {
  auto parts = segments(req);
  std::string path;
  for (size_t i = 0; i < parts.size(); ++i)
    path += "/" + (shape_.key == "path" && i + 1 == parts.size() && parts.size() > 1 ? "{key}"
                                                                                 : parts[i]);
  out.endpoint = req.method + " " + (path.empty() ? "/" : path);
  auto body = json::parse(req.body, nullptr, false);
  auto [items, batch] = items_of(body);
  out.inputs = batch ? items.size() : (req.body.empty() && req.method != "DELETE" ? 0 : 1);
}

std::pair<json, bool> http_emulator::items_of(const json& body) const {
  if (body.is_array())
    return {body, true};
  if (const json* list = at(body, shape_.records_at); list != nullptr && list->is_array())
    return {*list, true};
  return {json::array({body}), false};
}

std::string http_emulator::auth_problem(const httplib::Request& req) const {
  if (!shape_.bearer.empty() && !has_bearer_token(req, shape_.bearer))
    return "missing or wrong bearer token";
  if (!shape_.basic.empty() &&
      !constant_time_equal(req.get_header_value("Authorization"),
                           "Basic " + base64_encode(shape_.basic)))
    return "missing or wrong basic credentials";
  if (!shape_.hmac_secret.empty()) {
    auto mac = hmac_sha256(shape_.hmac_secret, req.body);
    auto want = shape_.hmac_prefix +
                (shape_.hmac_encoding == "base64" ? base64_encode(mac) : hex_encode(mac));
    if (!constant_time_equal(req.get_header_value(shape_.hmac_header), want))
      return "invalid signature in " + shape_.hmac_header;
  }
  return {};
}

api_response http_emulator::handle(const httplib::Request& req, const limits& current) {
  api_response out;
  describe(req, out);
  auto fail = [&](int status, const std::string& message) {
    out.status = status;
    out.body = json{{shape_.error_field, message}}.dump();
    return out;
  };
  {
    std::lock_guard lock(quota_mutex_);
    if (!per_second_.try_admit(rate_window::clock::now(), current.per_second)) {
      out.headers.emplace("Retry-After", "1");
      return fail(429, "rate limited: more than " + std::to_string(current.per_second) +
                           " requests per second");
    }
  }
  if (auto problem = auth_problem(req); !problem.empty())
    return fail(401, problem);
  json body = req.body.empty() ? json() : json::parse(req.body, nullptr, false);
  if (body.is_discarded())
    return fail(400, "malformed JSON");
  const bool remove = is_delete(req);
  auto [items, batch] = items_of(body);
  if (batch && current.max_batch > 0 && static_cast<int64_t>(items.size()) > current.max_batch)
    return fail(413, "batch of " + std::to_string(items.size()) + " records exceeds max_batch " +
                         std::to_string(current.max_batch));
  auto parts = segments(req);
  std::string path_key = shape_.key == "path" && !batch && parts.size() > 1 ? parts.back() : "";
  std::lock_guard lock(mutex_);
  if (!batch) {
    auto r = apply(items[0], path_key, remove);
    if (!r.ok)
      return fail(422, r.answer[shape_.error_field].get<std::string>());
    out.status = remove ? 204 : r.created ? 201 : 200;
    out.body = remove ? std::string() : r.answer.dump();
    return out;
  }
  json results = json::array();
  bool all_ok = true;
  for (const auto& item : items) {
    auto r = apply(item, "", remove);
    all_ok = all_ok && r.ok;
    results.push_back(std::move(r.answer));
  }
  json answer = json::object();
  answer[json::json_pointer(shape_.results_at)] = std::move(results);
  out.status = all_ok ? 200 : shape_.partial_status;
  out.body = answer.dump();
  return out;
}

http_emulator::item_result http_emulator::apply(const json& item, const std::string& path_key,
                                                bool remove) {
  item_result r;
  auto failed = [&](const std::string& why) {
    r.ok = false;
    r.answer = {{shape_.success_field, false}, {shape_.error_field, why}};
    return r;
  };
  std::string key = path_key;
  if (key.empty() && remove && (item.is_string() || item.is_number_integer()))
    key = scalar_text(item);
  if (key.empty() && shape_.key != "path")
    if (const json* k = at(item, shape_.key); k != nullptr && (k->is_string() || k->is_number()))
      key = scalar_text(*k);
  if (key.empty())
    return failed(shape_.key == "path" ? "no key in the URL path"
                                       : "no key at " + shape_.key + " in the record");
  if (!remove && !item.is_object())
    return failed("record " + key + ": must be a JSON object");
  for (const auto& [field, contains] : rules_)
    if (const json* v = item.is_object() ? at(item, "/" + field) : nullptr;
        v != nullptr && scalar_text(*v).find(contains) != std::string::npos)
      return failed("record " + key + ": field " + field + " is invalid");
  auto& s = records_[key];
  if (s.id.empty())
    s.id = "rec_" + std::to_string(next_id_++);
  if (remove) {
    s.deleted = true;
    ++s.deletes;
  } else {
    r.created = s.writes == 0 || s.deleted;
    s.creates += r.created ? 1 : 0;
    s.fields = item;
    s.deleted = false;
    ++s.writes;
  }
  r.answer = {{"id", s.id}, {"key", key}, {shape_.success_field, true}};
  return r;
}

json http_emulator::records(const httplib::Request&) const {
  std::lock_guard lock(mutex_);
  json list = json::array();
  for (const auto& [key, s] : records_)
    list.push_back({{"key", key}, {"id", s.id}, {"fields", s.fields}, {"deleted", s.deleted},
                    {"writes", s.writes}, {"creates", s.creates}, {"deletes", s.deletes}});
  return {{"records", list}};
}

void http_emulator::reset() {
  {
    std::lock_guard lock(quota_mutex_);
    per_second_.clear();
  }
  std::lock_guard lock(mutex_);
  records_.clear();
  rules_.clear();
  next_id_ = 1;
}

bool http_emulator::control(const std::string& name, const httplib::Request& req,
                            httplib::Response& res) {
  if (name != "rules")
    return false;
  std::lock_guard lock(mutex_);
  if (req.method == "POST") {
    auto spec = json::parse(req.body, nullptr, false);
    const json* field = at(spec, "/reject_if/field");
    const json* contains = at(spec, "/reject_if/contains");
    if (field == nullptr || contains == nullptr || !field->is_string() || !contains->is_string()) {
      reply_json(res, 400, {{"error", R"(expected {"reject_if":{"field":"...","contains":"..."}})"}});
      return true;
    }
    rules_.emplace_back(field->get<std::string>(), contains->get<std::string>());
  } else if (req.method == "DELETE") {
    rules_.clear();
  }
  json list = json::array();
  for (const auto& [field, contains] : rules_)
    list.push_back({{"reject_if", {{"field", field}, {"contains", contains}}}});
  reply_json(res, 200, {{"rules", list}});
  return true;
}

}  // namespace http_api

emulator_type http_emulator_type() {
  emulator_type t;
  t.name = "http";
  t.summary = "a generic JSON API: records by key (URL path or body), per-record results";
  t.destinations = {"http"};
  t.options = {
    {"--key", "SPEC", "\"path\" (the URL's last segment) or a JSON pointer into each record "
                      "(default /key)"},
    {"--records-at", "P", "JSON pointer of a batch body's records array (default /records)"},
    {"--results-at", "P", "JSON pointer of a batch answer's results array (default /results)"},
    {"--success-field", "F", "a result's success flag (default success)"},
    {"--error-field", "F", "a result's and an error answer's message (default error)"},
    {"--partial-status", "N", "a batch answer's status when a record failed (default 207)"},
    {"--bearer", "T", "require Authorization: Bearer T"},
    {"--basic", "USER:PASS", "require HTTP Basic credentials"},
    {"--hmac-secret", "S", "require an HMAC-SHA256 signature of the body"},
    {"--hmac-header", "H", "the signature's header (default X-Signature)"},
    {"--hmac-encoding", "E", "hex or base64 (default hex)"},
    {"--hmac-prefix", "P", "text before the signature (e.g. sha256=)"},
  };
  t.own_limits = {{"per_second", "requests per rolling second (429 + Retry-After: 1); 0 = none"},
                  {"max_batch", "records per request (413 above); 0 = unlimited"}};
  t.initial.per_second = 10;
  t.make = [](const emulator_settings& s) -> result<std::unique_ptr<emulator>> {
    http_api::api_shape shape;
    shape.key = s.value("--key", shape.key);
    shape.records_at = s.value("--records-at", shape.records_at);
    shape.results_at = s.value("--results-at", shape.results_at);
    shape.success_field = s.value("--success-field", shape.success_field);
    shape.error_field = s.value("--error-field", shape.error_field);
    shape.bearer = s.value("--bearer", "");
    shape.basic = s.value("--basic", "");
    shape.hmac_secret = s.value("--hmac-secret", "");
    shape.hmac_header = s.value("--hmac-header", shape.hmac_header);
    shape.hmac_encoding = s.value("--hmac-encoding", shape.hmac_encoding);
    shape.hmac_prefix = s.value("--hmac-prefix", "");
    for (const auto* p : {&shape.records_at, &shape.results_at})
      try {
        nlohmann::json::json_pointer check(*p);
      } catch (const nlohmann::json::exception&) {
        return failure{"not a JSON pointer: " + *p};
      }
    try {
      shape.partial_status = std::stoi(s.value("--partial-status", "207"));
    } catch (const std::exception&) {
      return failure{"--partial-status: expected an HTTP status"};
    }
    if (shape.hmac_encoding != "hex" && shape.hmac_encoding != "base64")
      return failure{"--hmac-encoding: hex or base64"};
    return std::unique_ptr<emulator>(std::make_unique<http_api::http_emulator>(std::move(shape)));
  };
  return t;
}

}  // namespace backflow::emulators
