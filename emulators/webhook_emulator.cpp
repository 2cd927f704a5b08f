// The generic webhook receiver emulator (see webhook_emulator.hpp).
#include "emulators/webhook_emulator.hpp"

#include <cstdlib>
#include <ctime>

#include "emulators/emulator_util.hpp"
#include "emulators/webhook_signature.hpp"
#include "pipelines/core/crypto.hpp"

namespace backflow::emulators {
namespace {

constexpr std::int64_t timestamp_tolerance_s = 5 * 60;

void fail(api_response& out, int status, const std::string& message) {
  out.status = status;
  out.body = nlohmann::json{{"error", message}}.dump();
}

/// What is wrong with a batch body, or "" when every record is well formed.
std::string validate(const nlohmann::json& batch) {
  if (!batch.is_object())
    return "body must be a JSON object";
  auto records = batch.find("records");
  if (records == batch.end() || !records->is_array())
    return "records must be an array";
  for (std::size_t i = 0; i < records->size(); ++i) {
    const auto& r = (*records)[i];
    const auto where = "record " + std::to_string(i);
    if (!r.is_object())
      return where + ": must be an object";
    auto key = r.find("key");
    if (key == r.end() || !key->is_string() || key->get_ref<const std::string&>().empty())
      return where + ": key must be a non-empty string";
    const auto named = where + " (key \"" + key->get<std::string>() + "\")";
    auto op = r.find("op");
    if (op == r.end() || !op->is_string() || (*op != "upsert" && *op != "delete"))
      return named + ": op must be \"upsert\" or \"delete\"";
    auto fields = r.find("fields");
    if (*op == "upsert" && (fields == r.end() || !fields->is_object()))
      return named + ": fields must be an object";
  }
  return {};
}

}  // namespace

std::string webhook_emulator::default_secret() {
  return "whsec_" + base64_encode("emulator-secret");
}

webhook_emulator::webhook_emulator(std::string key) : key_(std::move(key)) {}

emulator_type webhook_emulator::type() {
  emulator_type t;
  t.name = "webhook";
  t.summary = "a receiver of Standard Webhooks signed batches, applied by key";
  t.destinations = {"webhook"};
  t.options = {{"--secret", "S",
                "the signing secret (default whsec_ + base64 of \"emulator-secret\")"}};
  t.own_limits = {{"per_second", "requests per rolling second; 0 = unlimited"},
                  {"max_batch", "records per request; 0 = unlimited"}};
  t.make = [](const emulator_settings& s) -> result<std::unique_ptr<emulator>> {
    auto key = signing_key(s.value("--secret", default_secret()));
    if (!key)
      return failure{"--secret: " + key.error().message};
    return std::unique_ptr<emulator>(std::make_unique<webhook_emulator>(*key));
  };
  return t;
}

void webhook_emulator::describe(const httplib::Request& req, api_response& out) const {
  out.endpoint = req.method + " " + req.path;
  auto batch = nlohmann::json::parse(req.body, nullptr, false);
  auto records = batch.is_object() ? batch.find("records") : batch.end();
  out.inputs =
      batch.is_object() && records != batch.end() && records->is_array() ? records->size() : 0;
}

api_response webhook_emulator::handle(const httplib::Request& req, const limits& current) {
  api_response out;
  describe(req, out);
  if (req.method != "POST") {
    fail(out, 405, "method not allowed: webhooks are delivered with POST");
    return out;
  }
  {
    std::lock_guard lock(quota_mutex_);
    if (!per_second_.try_admit(rate_window::clock::now(), current.per_second)) {
      out.headers.emplace("Retry-After", "1");
      fail(
          out, 429,
          "rate limited: more than " + std::to_string(current.per_second) + " requests per second");
      return out;
    }
  }
  if (auto [status, message] = check_signature(req); status != 0) {
    fail(out, status, message);
    return out;
  }
  nlohmann::json batch;
  try {
    batch = nlohmann::json::parse(req.body);
  } catch (const nlohmann::json::parse_error& e) {
    fail(out, 400, std::string("malformed JSON: ") + e.what());
    return out;
  }
  if (auto problem = validate(batch); !problem.empty()) {
    fail(out, 400, problem);
    return out;
  }
  {
    std::lock_guard lock(mutex_);
    bodies_.push_back(req.body);
    if (bodies_.size() > max_bodies)
      bodies_.pop_front();
  }
  deliver(req.get_header_value("webhook-id"), batch, current, out);
  return out;
}

std::pair<int, std::string> webhook_emulator::check_signature(const httplib::Request& req) const {
  const auto& id = req.get_header_value("webhook-id");
  const auto& timestamp = req.get_header_value("webhook-timestamp");
  const auto& signature = req.get_header_value("webhook-signature");
  if (id.empty())
    return {400, "missing webhook-id header"};
  char* end = nullptr;
  const long long sent = std::strtoll(timestamp.c_str(), &end, 10);
  if (timestamp.empty() || *end != '\0')
    return {400, "missing or malformed webhook-timestamp header"};
  if (std::llabs(static_cast<long long>(std::time(nullptr)) - sent) > timestamp_tolerance_s)
    return {400, "webhook-timestamp is more than 5 minutes away from now"};
  if (signature.empty() || !signature_matches(key_, signature, id, timestamp, req.body))
    return {401, "invalid signature"};
  return {0, {}};
}

void webhook_emulator::deliver(const std::string& webhook_id, const nlohmann::json& batch,
                               const limits& current, api_response& out) {
  const auto& records = batch["records"];
  std::lock_guard lock(mutex_);
  if (auto seen = applied_.find(webhook_id); seen != applied_.end()) {
    ++duplicates_;
    out.body = nlohmann::json{{"received", seen->second}}.dump();
    return;
  }
  if (current.max_batch > 0 && static_cast<std::int64_t>(records.size()) > current.max_batch)
    return fail(out, 413,
                "batch of " + std::to_string(records.size()) + " records exceeds max_batch " +
                    std::to_string(current.max_batch));
  for (const auto& r : records) {
    if (r["op"] != "upsert")
      continue;
    for (const auto& rule : rules_) {
      auto value = r["fields"].find(rule.field);
      if (value != r["fields"].end() &&
          scalar_text(*value).find(rule.contains) != std::string::npos)
        return fail(
            out, 422,
            "record " + r["key"].get<std::string>() + ": field " + rule.field + " is invalid");
    }
  }
  for (const auto& r : records) {
    auto& entry = records_[r["key"].get<std::string>()];
    if (r["op"] == "upsert") {
      entry.fields = r["fields"];
      entry.deleted = false;
      ++entry.upserts;
    } else {
      entry.deleted = true;
      ++entry.deletes;
    }
  }
  applied_.emplace(webhook_id, records.size());
  ++batches_;
  out.body = nlohmann::json{{"received", records.size()}}.dump();
}

nlohmann::json webhook_emulator::records(const httplib::Request&) const {
  std::lock_guard lock(mutex_);
  nlohmann::json list = nlohmann::json::array();
  for (const auto& [key, r] : records_)
    list.push_back({{"key", key},
                    {"fields", r.fields},
                    {"deleted", r.deleted},
                    {"upserts", r.upserts},
                    {"deletes", r.deletes}});
  return {{"records", list}, {"duplicates", duplicates_}, {"batches", batches_}};
}

void webhook_emulator::reset() {
  {
    std::lock_guard lock(quota_mutex_);
    per_second_.clear();
  }
  std::lock_guard lock(mutex_);
  records_.clear();
  applied_.clear();
  duplicates_ = 0;
  batches_ = 0;
  rules_.clear();
  bodies_.clear();
}

bool webhook_emulator::control(const std::string& name, const httplib::Request& req,
                               httplib::Response& res) {
  if (name == "bodies") {
    std::lock_guard lock(mutex_);
    reply_json(res, 200, {{"bodies", nlohmann::json(bodies_)}});
    return true;
  }
  if (name != "rules")
    return false;
  std::lock_guard lock(mutex_);
  if (req.method == "POST") {
    auto spec = nlohmann::json::parse(req.body, nullptr, false);
    auto rule = spec.is_object() ? spec.find("reject_if") : spec.end();
    if (!spec.is_object() || rule == spec.end() || !rule->is_object() || !rule->contains("field") ||
        !(*rule)["field"].is_string() || !rule->contains("contains") ||
        !(*rule)["contains"].is_string()) {
      reply_json(res, 400,
                 {{"error", R"(expected {"reject_if":{"field":"...","contains":"..."}})"}});
      return true;
    }
    rules_.push_back({(*rule)["field"].get<std::string>(), (*rule)["contains"].get<std::string>()});
  } else if (req.method == "DELETE") {
    rules_.clear();
  }
  nlohmann::json list = nlohmann::json::array();
  for (const auto& r : rules_)
    list.push_back({{"reject_if", {{"field", r.field}, {"contains", r.contains}}}});
  reply_json(res, 200, {{"rules", list}});
  return true;
}

}  // namespace backflow::emulators
