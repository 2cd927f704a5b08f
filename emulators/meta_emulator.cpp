// The Meta Marketing API emulator (see meta_emulator.hpp).
#include "emulators/meta_emulator.hpp"

#include <algorithm>
#include <cctype>

#include "emulators/emulator_util.hpp"

namespace backflow::emulators {
namespace {

constexpr auto hour = std::chrono::hours(1);

void fail(api_response& out, const meta_error& e) {
  out.status = 400;
  out.body = meta_error_body(e);
}

bool is_id(const std::string& text) {
  return !text.empty() && text.size() <= 64 && std::all_of(text.begin(), text.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_';
  });
}

bool token_matches(const httplib::Request& req, const meta_envelope& envelope,
                   const std::string& token) {
  if (!envelope.access_token.empty())
    return constant_time_equal(envelope.access_token, token);
  return has_bearer_token(req, token);
}

}  // namespace

meta_emulator::meta_emulator(std::string token, std::vector<std::string> audiences)
    : token_(std::move(token)) {
  if (audiences.empty())
    audiences.emplace_back(default_audience);
  for (auto& id : audiences)
    initial_.emplace_back(std::move(id), default_account);
  audiences_.reset(initial_);
}

emulator_type meta_emulator::type() {
  emulator_type t;
  t.name = "meta";
  t.summary = "Meta Marketing API custom audience users edge (add, remove, sessions)";
  t.destinations = {"meta_audience"};
  t.options = {
      {"--token", "T", std::string("the accepted access token (default ") + default_token + ")"},
      {"--audience", "ID",
       std::string("an existing custom audience (default ") + default_audience + ")", true}};
  t.own_limits = {{"hourly", "calls per ad account per rolling hour; 0 = unlimited"}};
  t.make = [](const emulator_settings& s) -> result<std::unique_ptr<emulator>> {
    static const std::string id_chars =
        "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_";
    auto audiences = s.all("--audience");
    for (const auto& id : audiences)
      if (id.empty() || id.size() > 64 || id.find_first_not_of(id_chars) != std::string::npos)
        return failure{"--audience needs an id of digits (or letters, '_'), got '" + id + "'"};
    return std::unique_ptr<emulator>(
        std::make_unique<meta_emulator>(s.value("--token", default_token), audiences));
  };
  return t;
}

meta_emulator::route meta_emulator::parse_route(const httplib::Request& req) const {
  route r;
  std::vector<std::string> parts;
  std::size_t start = 1;
  while (start < req.path.size()) {
    auto end = std::min(req.path.find('/', start), req.path.size());
    if (end > start)
      parts.push_back(req.path.substr(start, end - start));
    start = end + 1;
  }
  std::string version = "/vXX.X";
  if (!parts.empty() && is_api_version(parts[0])) {
    parts.erase(parts.begin());
  } else {
    version.clear();
  }
  r.object = parts.empty() ? "" : parts[0];
  for (std::size_t i = 1; i < parts.size(); ++i)
    r.edge += (i > 1 ? "/" : "") + parts[i];
  const bool known_edge = r.edge.empty() || r.edge == "users";
  r.endpoint = req.method + " " + version + "/" +
               (is_id(r.object) ? "{audience_id}" : "(invalid)") +
               (r.edge.empty() ? ""
                : known_edge   ? "/users"
                               : "/(unknown)");
  return r;
}

void meta_emulator::describe(const httplib::Request& req, api_response& out) const {
  out.endpoint = parse_route(req).endpoint;
  auto envelope = read_envelope(req);
  auto data = envelope.payload.is_object() ? envelope.payload.find("data") : envelope.payload.end();
  out.inputs = envelope.payload.is_object() && data != envelope.payload.end() && data->is_array()
                   ? data->size()
                   : 0;
}

api_response meta_emulator::handle(const httplib::Request& req, const limits& current) {
  api_response out;
  const auto r = parse_route(req);
  out.endpoint = r.endpoint;
  const auto envelope = read_envelope(req);
  if (!token_matches(req, envelope, token_)) {
    fail(out, meta_error{"Invalid OAuth access token - Cannot parse access token", 190});
    return out;
  }
  const auto method = to_lower(req.method);
  const auto account = is_id(r.object) ? audiences_.account_of(r.object) : std::string();
  if (account.empty()) {
    if (r.object.empty())
      fail(out, meta_error{"(#100) Unknown path components: " + req.path, 100});
    else
      fail(out,
           meta_error{
               "Unsupported " + method + " request. Object with ID '" + r.object +
                   "' does not exist, cannot be loaded due to missing permissions, or does not "
                   "support this operation. Please read the Graph API documentation at "
                   "https://developers.facebook.com/docs/graph-api",
               100, 33, "GraphMethodException"});
    return out;
  }
  if (!r.edge.empty() && r.edge != "users") {
    fail(out, meta_error{"(#100) Unknown path components: /" + r.edge, 100});
    return out;
  }
  if (!admit(account, current, out))
    return out;
  if (r.edge.empty() && method == "get") {
    const auto size = audiences_.size(r.object);
    nlohmann::json body = nlohmann::json::object();
    body["id"] = r.object;
    body["account_id"] = account;
    body["approximate_count_lower_bound"] = size;
    body["approximate_count_upper_bound"] = size;
    out.body = body.dump();
  } else if (r.edge.empty() || (method != "post" && method != "delete")) {
    fail(out, meta_error{"Unsupported " + method + " request. Object with ID '" + r.object +
                             "' does not support this operation.",
                         100, 33, "GraphMethodException"});
  } else {
    users(req, envelope, r, out);
  }
  return out;
}

bool meta_emulator::admit(const std::string& account, const limits& current, api_response& out) {
  const auto now = clock::now();
  std::int64_t percent = 0;
  std::int64_t regain_minutes = 0;
  bool over = false;
  {
    std::lock_guard lock(quota_mutex_);
    auto& calls = calls_[account];
    while (!calls.empty() && now - calls.front() >= hour)
      calls.pop_front();
    if (current.hourly <= 0) {
      calls.clear();
    } else {
      over = static_cast<std::int64_t>(calls.size()) >= current.hourly;
      if (!over)
        calls.push_back(now);
      percent = static_cast<std::int64_t>(calls.size()) * 100 / current.hourly;
      if (over) {
        const auto wait = calls.front() + hour - now;
        regain_minutes = std::max<std::int64_t>(
            1, (std::chrono::duration_cast<std::chrono::seconds>(wait).count() + 59) / 60);
      }
    }
  }
  nlohmann::json usage = nlohmann::json::object();
  usage["type"] = "CUSTOM_AUDIENCE";
  usage["call_count"] = percent;
  usage["total_cputime"] = percent;
  usage["total_time"] = percent;
  usage["estimated_time_to_regain_access"] = regain_minutes;
  nlohmann::json header = nlohmann::json::object();
  header[account] = nlohmann::json::array({usage});
  out.headers.emplace("X-Business-Use-Case-Usage", header.dump());
  if (over)
    fail(out, meta_error{
                  "(#80003) There have been too many calls to this ad-account. Wait a bit and try "
                  "again. For more info, please refer to "
                  "https://developers.facebook.com/docs/graph-api/overview/rate-limiting.",
                  80003, 2446079});
  return !over;
}

void meta_emulator::users(const httplib::Request& req, const meta_envelope& envelope,
                          const route& r, api_response& out) {
  auto batch = validate_batch(envelope);
  out.inputs = batch.received;
  if (batch.error)
    return fail(out, *batch.error);
  const bool add = req.method == "POST";
  audiences_.apply(r.object, add, batch.identities);
  const auto session_id = audiences_.track_session(r.object, add, batch);
  nlohmann::json body = nlohmann::json::object();
  body["audience_id"] = r.object;
  body["session_id"] = session_id;
  body["num_received"] = batch.received;
  body["num_invalid_entries"] = batch.invalid;
  body["invalid_entry_samples"] = std::move(batch.samples);
  out.body = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

nlohmann::json meta_emulator::records(const httplib::Request& req) const {
  return nlohmann::json::parse(records_text(req));
}

std::string meta_emulator::records_text(const httplib::Request& req) const {
  return audiences_.records_text(req.get_param_value("audience"),
                                 req.get_param_value("members") != "false");
}

void meta_emulator::reset() {
  audiences_.reset(initial_);
  std::lock_guard lock(quota_mutex_);
  calls_.clear();
}

bool meta_emulator::control(const std::string& name, const httplib::Request& req,
                            httplib::Response& res) {
  if (name == "sessions" && req.method == "GET") {
    reply_json(res, 200, audiences_.sessions_json());
    return true;
  }
  if (name != "audiences")
    return false;
  if (req.method == "POST")
    create_audience(req, res);
  else
    reply_json(res, 200, audiences_.audiences_json());
  return true;
}

void meta_emulator::create_audience(const httplib::Request& req, httplib::Response& res) {
  auto spec = nlohmann::json::parse(req.body, nullptr, false);
  auto text = [&](const char* key) {
    auto it = spec.is_object() ? spec.find(key) : spec.end();
    return it != spec.end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  const auto id = text("id");
  auto account = text("account");
  if (account.rfind("act_", 0) == 0)
    account.erase(0, 4);
  if (!is_id(id) || (spec.contains("account") && !is_id(account))) {
    reply_json(res, 400, {{"error", R"(expected {"id":"<digits>","account":"<ad account id>"})"}});
    return;
  }
  audiences_.create(
      id, account.empty() && audiences_.account_of(id).empty() ? default_account : account);
  reply_json(res, 200, audiences_.audiences_json());
}

}  // namespace backflow::emulators
