// The Snowflake SQL API v2 emulator (see snowflake_emulator.hpp).
#include "emulators/snowflake_emulator.hpp"

#include <zlib.h>

#include <chrono>
#include <thread>

#include "emulators/emulator_util.hpp"
#include "pipelines/core/file_bytes.hpp"

namespace backflow::emulators {
namespace {

constexpr std::string_view statements_path = "/api/v2/statements";

std::string snowflake_error_body(const std::string& code, const std::string& message,
                       const std::string& sql_state = "", const std::string& handle = "") {
  nlohmann::json body = {{"code", code}, {"message", message}};
  if (!sql_state.empty())
    body["sqlState"] = sql_state;
  if (!handle.empty())
    body["statementHandle"] = handle;
  return body.dump(2);  // Snowflake pretty-prints its error bodies
}

/// 202: the statement runs on; its status URL is to be polled.
api_response accepted(const std::string& handle) {
  api_response out;
  out.status = 202;
  out.body = nlohmann::json{{"code", "333334"},
                            {"message", "Asynchronous execution in progress. Use provided query "
                                        "id to perform query monitoring and management."},
                            {"statementHandle", handle},
                            {"statementStatusUrl", std::string(statements_path) + "/" + handle}}
                 .dump();
  return out;
}

api_response reply(int status, std::string body) {
  api_response out;
  out.status = status;
  out.body = std::move(body);
  return out;
}

std::string gzip(const std::string& text) {
  z_stream z{};
  deflateInit2(&z, Z_BEST_SPEED, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
  std::string out(deflateBound(&z, text.size()), '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(text.data()));
  z.avail_in = static_cast<uInt>(text.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  deflate(&z, Z_FINISH);
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}

/// Compresses the answer when the client said it accepts gzip, as Snowflake does for results.
void maybe_gzip(const httplib::Request& req, api_response& out) {
  if (out.body.size() < 1024 ||
      to_lower(req.get_header_value("Accept-Encoding")).find("gzip") == std::string::npos)
    return;
  out.body = gzip(out.body);
  out.headers.emplace("Content-Encoding", "gzip");
}

/// The handle and action of /api/v2/statements/{handle}[/cancel]; empty handle for the root.
void split_path(const std::string& path, std::string& handle, std::string& action) {
  std::string rest = path.substr(statements_path.size());
  if (!rest.empty() && rest[0] == '/')
    rest.erase(0, 1);
  size_t slash = rest.find('/');
  handle = rest.substr(0, slash);
  action = slash == std::string::npos ? "" : rest.substr(slash + 1);
}

std::string upper_ascii(std::string text) {
  for (auto& c : text)
    c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return text;
}

}  // namespace

emulator_type snowflake_emulator::type() {
  emulator_type t;
  t.name = "snowflake";
  t.summary = "the Snowflake SQL API v2, running statements on a SQLite file";
  t.sources = {"snowflake"};
  t.options = {
      {"--database", "FILE", "the SQLite file statements run on (default :memory:); a created schema is the file FILE.SCHEMA"},
      {"--public-key", "FILE", "PEM public key that KEYPAIR_JWT tokens must verify against"},
      {"--account", "A", "account in the JWT's iss and sub (default EMULATOR)"},
      {"--user", "U", "user in the JWT's iss and sub (default BACKFLOW)"},
      {"--token", "T", "an accepted OAuth / programmatic access token", true},
      {"--partition-rows", "N", "rows per result partition (default 10000)"},
      {"--async-after", "MS", "answer 202 when a statement runs longer (default 45000)"},
  };
  t.make = [](const emulator_settings& s) -> result<std::unique_ptr<emulator>> {
    settings out;
    out.database = s.value("--database", ":memory:");
    if (auto file = s.value("--public-key", ""); !file.empty()) {
      auto pem = file_bytes(file);
      if (!pem)
        return failure{"--public-key: cannot read " + file};
      auto key = rsa_public_key::from_pem(*pem);
      if (!key)
        return failure{"--public-key: " + key.error().message};
      out.public_key = std::move(*key);
    }
    out.account = upper_ascii(s.value("--account", out.account));
    out.user = upper_ascii(s.value("--user", out.user));
    out.tokens = s.all("--token");
    out.partition_rows = std::stoul(s.value("--partition-rows", "10000"));
    out.async_after_ms = std::stoll(s.value("--async-after", "45000"));
    if (out.partition_rows == 0)
      return failure{"--partition-rows: must be at least 1"};
    return std::unique_ptr<emulator>(std::make_unique<snowflake_emulator>(std::move(out)));
  };
  return t;
}

void snowflake_emulator::describe(const httplib::Request& req, api_response& out) const {
  std::string handle;
  std::string action;
  if (req.path.rfind(statements_path, 0) == 0)
    split_path(req.path, handle, action);
  out.endpoint = req.method + " " + std::string(statements_path) +
                 (handle.empty() ? "" : "/{handle}") + (action.empty() ? "" : "/" + action);
  out.inputs = 1;
}

std::string snowflake_emulator::check_auth(const httplib::Request& req, std::string& kind) const {
  const std::string header = req.get_header_value("Authorization");
  kind = upper_ascii(req.get_header_value("X-Snowflake-Authorization-Token-Type"));
  if (header.rfind("Bearer ", 0) != 0)
    return snowflake_error_body("390101", "Authorization header is missing or not a Bearer token.");
  const std::string token = header.substr(7);
  if (kind.empty())
    kind = std::count(token.begin(), token.end(), '.') == 2 ? "KEYPAIR_JWT" : "OAUTH";
  if (kind == "OAUTH" || kind == "PROGRAMMATIC_ACCESS_TOKEN") {
    for (const auto& t : settings_.tokens)
      if (constant_time_equal(t, token))
        return {};
    return snowflake_error_body("390303", "Invalid OAuth access token. [" + correlation_id() + "]");
  }
  const std::string invalid = snowflake_error_body("390144", "JWT token is invalid. [" + correlation_id() + "]");
  if (kind != "KEYPAIR_JWT" || !settings_.public_key)
    return invalid;
  auto claims = verify_rs256_jwt(token, *settings_.public_key);
  if (!claims)
    return invalid;
  const std::string qualified = settings_.account + "." + settings_.user;
  const auto now = now_ms() / 1000;
  const auto& c = *claims;
  if (!c.contains("exp") || !c["exp"].is_number_integer() || !c.contains("iat") ||
      !c["iat"].is_number_integer())
    return invalid;
  const auto exp = c["exp"].get<std::int64_t>();
  const auto iat = c["iat"].get<std::int64_t>();
  if (exp <= now)
    return snowflake_error_body("390198", "Keypair access token expired. [" + correlation_id() + "]");
  if (c.value("iss", "") != qualified + "." + settings_.public_key->fingerprint() ||
      c.value("sub", "") != qualified || iat > now + 60 || exp - iat > 3600)
    return invalid;
  return {};
}

api_response snowflake_emulator::handle(const httplib::Request& req, const limits&) {
  api_response out;
  describe(req, out);
  if (req.path.rfind(statements_path, 0) != 0) {
    out.status = 404;
    out.body = snowflake_error_body("000404", "No such endpoint " + req.path);
    return out;
  }
  std::string kind;
  if (auto refused = check_auth(req, kind); !refused.empty()) {
    out.status = 401;
    out.body = refused;
    return out;
  }
  std::string handle;
  std::string action;
  split_path(req.path, handle, action);
  api_response answer;
  if (handle.empty() && req.method == "POST") {
    answer = submit(req, kind);
  } else if (auto s = handle.empty() ? nullptr : find(handle); !s) {
    answer = reply(handle.empty() ? 405 : 404,
                   snowflake_error_body("000709", "Statement " + handle + " not found"));
  } else if (action == "cancel" && req.method == "POST") {
    answer = cancel(s);
  } else if (action.empty() && req.method == "GET") {
    answer = status_of(s, req);
  } else {
    answer = reply(405, snowflake_error_body("000405", "Method not allowed"));
  }
  answer.endpoint = out.endpoint;
  answer.inputs = out.inputs;
  return answer;
}

api_response snowflake_emulator::submit(const httplib::Request& req, const std::string& auth) {
  auto body = nlohmann::json::parse(req.body, nullptr, false);
  if (!body.is_object() || !body.contains("statement") || !body["statement"].is_string())
    return reply(400, snowflake_error_body("391903", "The request body must be a JSON object with a "
                                           "string \"statement\"."));
  const std::string request_id = req.get_param_value("requestId");
  std::shared_ptr<statement> s;
  {
    std::lock_guard lock(mutex_);
    if (auto seen = by_request_id_.find(request_id);
        !request_id.empty() && seen != by_request_id_.end())
      s = statements_.at(seen->second);  // a retried submit: the same statement, not run again
  }
  const bool fresh = !s;
  if (fresh) {
    s = std::make_shared<statement>();
    s->handle = correlation_id();
    s->text = body["statement"].get<std::string>();
    s->request_id = request_id;
    s->auth = auth;
    s->created_ms = now_ms();
    {
      std::lock_guard lock(mutex_);
      statements_[s->handle] = s;
      order_.push_back(s->handle);
      if (!request_id.empty())
        by_request_id_[request_id] = s->handle;
    }
    nlohmann::json bindings = body.value("bindings", nlohmann::json::object());
    std::thread([this, s, bindings] {
      snow_result rendered;
      snow_error error;
      bool ok = run_snow_statement(settings_.database, s->text, bindings, settings_.partition_rows,
                                 s->cancel, rendered, error);
      {
        std::lock_guard lock(mutex_);
        if (s->status == state::running) {
          s->status = ok ? state::succeeded : s->cancel ? state::cancelled : state::failed;
          s->result = std::move(rendered);
          s->error = std::move(error);
          s->served.assign(s->result.partitions.size(), 0);
        }
      }
      finished_.notify_all();
    }).detach();
  }
  if (settings_.async_after_ms == 0 && fresh)
    return accepted(s->handle);  // --async-after 0: every new statement answers 202 first
  wait_for(s, settings_.async_after_ms);
  return status_of(s, req);
}

bool snowflake_emulator::wait_for(const std::shared_ptr<statement>& s, std::int64_t ms) {
  std::unique_lock lock(mutex_);
  return finished_.wait_for(lock, std::chrono::milliseconds(ms),
                            [&s] { return s->status != state::running; });
}

api_response snowflake_emulator::status_of(const std::shared_ptr<statement>& s,
                                           const httplib::Request& req) {
  std::unique_lock lock(mutex_);
  const std::string status_url = std::string(statements_path) + "/" + s->handle;
  switch (s->status) {
    case state::running:
      return accepted(s->handle);
    case state::failed:
      return reply(422, snowflake_error_body(s->error.code, s->error.message, s->error.sql_state, s->handle));
    case state::cancelled:
      return reply(422, snowflake_error_body("000604", "SQL execution canceled", "57014", s->handle));
    case state::succeeded:
      break;
  }
  const auto& r = s->result;
  api_response out;
  if (req.has_param("partition")) {
    size_t n = std::strtoul(req.get_param_value("partition").c_str(), nullptr, 10);
    if (n >= r.partitions.size())
      return reply(422, snowflake_error_body("000712", "Partition " + std::to_string(n) +
                                                 " does not exist; the result has " +
                                                 std::to_string(r.partitions.size())));
    ++s->served[n];
    out.body = "{\"data\":" + r.partitions[n] + "}";
  } else {
    nlohmann::json info = nlohmann::json::array();
    for (size_t i = 0; i < r.partitions.size(); ++i)
      info.push_back({{"rowCount", r.partition_rows[i]}, {"uncompressedSize", r.partitions[i].size()}});
    nlohmann::json meta = {{"numRows", r.rows},
                           {"format", "jsonv2"},
                           {"rowType", r.row_type},
                           {"partitionInfo", info}};
    nlohmann::json rest = {{"code", "090001"},
                           {"statementStatusUrl", status_url},
                           {"requestId", s->request_id},
                           {"sqlState", "00000"},
                           {"statementHandle", s->handle},
                           {"message", "Statement executed successfully."},
                           {"createdOn", s->created_ms}};
    ++s->served[0];
    out.body = "{\"resultSetMetaData\":" + meta.dump() + ",\"data\":" + r.partitions[0] + "," +
               rest.dump().substr(1);
  }
  lock.unlock();
  maybe_gzip(req, out);
  return out;
}

api_response snowflake_emulator::cancel(const std::shared_ptr<statement>& s) {
  {
    std::lock_guard lock(mutex_);
    s->cancel = true;
    if (s->status == state::running || s->status == state::succeeded)
      s->status = state::cancelled;
  }
  return reply(200, nlohmann::json{{"code", "000000"},
                                   {"sqlState", "00000"},
                                   {"message", "successfully executed"},
                                   {"statementHandle", s->handle},
                                   {"statementStatusUrl",
                                    std::string(statements_path) + "/" + s->handle}}
                        .dump());
}

std::shared_ptr<snowflake_emulator::statement> snowflake_emulator::find(
    const std::string& handle) const {
  std::lock_guard lock(mutex_);
  auto it = statements_.find(handle);
  return it == statements_.end() ? nullptr : it->second;
}

nlohmann::json snowflake_emulator::records(const httplib::Request&) const {
  static const char* names[] = {"running", "succeeded", "failed", "cancelled"};
  std::lock_guard lock(mutex_);
  nlohmann::json list = nlohmann::json::array();
  for (const auto& handle : order_) {
    const auto& s = *statements_.at(handle);
    list.push_back({{"handle", s.handle},
                    {"statement", s.text},
                    {"request_id", s.request_id},
                    {"auth", s.auth},
                    {"state", names[static_cast<int>(s.status)]},
                    {"rows", s.result.rows},
                    {"partitions", s.result.partitions.size()},
                    {"served", s.served}});
  }
  return {{"records", list}};
}

void snowflake_emulator::reset() {
  std::lock_guard lock(mutex_);
  statements_.clear();
  by_request_id_.clear();
  order_.clear();
}

}  // namespace backflow::emulators
