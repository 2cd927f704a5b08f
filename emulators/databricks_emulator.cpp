// The Databricks SQL Statement Execution API 2.0 emulator (see databricks_emulator.hpp).
#include "emulators/databricks_emulator.hpp"

#include "emulators/emulator_util.hpp"
#include "pipelines/core/crypto.hpp"

namespace backflow::emulators {
namespace {

constexpr std::string_view dbx_statements_path = "/api/2.0/sql/statements";
constexpr std::string_view dbx_links_path = "/presigned/";

api_response dbx_reply(int status, std::string body) {
  api_response out;
  out.status = status;
  out.body = std::move(body);
  return out;
}

/// Databricks' REST error body.
api_response dbx_api_error(int status, const std::string& code, const std::string& message) {
  return dbx_reply(status, nlohmann::json{{"error_code", code}, {"message", message}}.dump());
}

/// A cloud store's XML error, as S3 answers a presigned URL it will not serve.
api_response dbx_store_error(int status, const std::string& code, const std::string& message) {
  api_response out = dbx_reply(status, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>" +
                                       code + "</Code><Message>" + message + "</Message></Error>");
  out.headers.emplace("Content-Type", "application/xml");
  return out;
}

/// The parts of /api/2.0/sql/statements[/{id}[/rest]].
void dbx_split_path(const std::string& path, std::string& id, std::string& rest) {
  std::string tail = path.substr(dbx_statements_path.size());
  if (!tail.empty() && tail[0] == '/')
    tail.erase(0, 1);
  size_t slash = tail.find('/');
  id = tail.substr(0, slash);
  rest = slash == std::string::npos ? "" : tail.substr(slash + 1);
}

/// "10s" → 10; -1 when malformed or outside Databricks' range (0, or 5 to 50 seconds).
int dbx_wait_seconds(const std::string& text) {
  if (text.size() < 2 || text.back() != 's')
    return -1;
  int n = 0;
  for (size_t i = 0; i + 1 < text.size(); ++i) {
    if (!std::isdigit(static_cast<unsigned char>(text[i])))
      return -1;
    n = n * 10 + (text[i] - '0');
  }
  return n == 0 || (n >= 5 && n <= 50) ? n : -1;
}

}  // namespace

databricks_emulator::databricks_emulator(settings s)
    : settings_(std::move(s)), signing_key_(random_hex(32)) {}

emulator_type databricks_emulator::type() {
  emulator_type t;
  t.name = "databricks";
  t.summary = "the Databricks SQL Statement Execution API 2.0, on a SQLite file";
  t.sources = {"databricks"};
  t.options = {
      {"--database", "FILE", "the SQLite file statements run on (default :memory:); a created schema is the file FILE.SCHEMA"},
      {"--token", "T", "an accepted personal access token", true},
      {"--client-id", "ID", "OAuth M2M client id accepted by /oidc/v1/token"},
      {"--client-secret", "S", "its secret"},
      {"--warehouse-id", "W", "the only warehouse_id accepted (default: any)"},
      {"--chunk-rows", "N", "rows per result chunk (default 10000)"},
      {"--pending-polls", "N", "answer PENDING/RUNNING to the first N polls (default 0)"},
      {"--link-ttl", "S", "seconds an external link stays valid (default 900)"},
      {"--token-ttl", "S", "expires_in of issued OAuth tokens (default 3600)"},
  };
  t.make = [](const emulator_settings& s) -> result<std::unique_ptr<emulator>> {
    settings out;
    out.database = s.value("--database", ":memory:");
    out.tokens = s.all("--token");
    out.client_id = s.value("--client-id", "");
    out.client_secret = s.value("--client-secret", "");
    out.warehouse_id = s.value("--warehouse-id", "");
    try {
      out.chunk_rows = std::stoul(s.value("--chunk-rows", "10000"));
      out.pending_polls = std::stoi(s.value("--pending-polls", "0"));
      out.link_ttl_s = std::stoll(s.value("--link-ttl", "900"));
      out.token_ttl_s = std::stoll(s.value("--token-ttl", "3600"));
    } catch (const std::exception&) {
      return failure{"--chunk-rows, --pending-polls, --link-ttl, --token-ttl: give whole numbers"};
    }
    if (out.chunk_rows == 0)
      return failure{"--chunk-rows: must be at least 1"};
    return std::unique_ptr<emulator>(std::make_unique<databricks_emulator>(std::move(out)));
  };
  return t;
}

void databricks_emulator::describe(const httplib::Request& req, api_response& out) const {
  out.inputs = 1;
  if (req.path.rfind(dbx_links_path, 0) == 0) {
    out.endpoint = "GET /presigned/{id}/{chunk}";
    return;
  }
  if (req.path.rfind(dbx_statements_path, 0) != 0) {
    out.endpoint = req.method + " " + req.path;
    return;
  }
  std::string id;
  std::string rest;
  dbx_split_path(req.path, id, rest);
  if (rest.rfind("result/chunks/", 0) == 0)
    rest = "result/chunks/{n}";
  out.endpoint = req.method + " " + std::string(dbx_statements_path) + (id.empty() ? "" : "/{id}") +
                 (rest.empty() ? "" : "/" + rest);
}

std::string databricks_emulator::check_auth(const httplib::Request& req, std::string& kind) const {
  const std::string header = req.get_header_value("Authorization");
  const std::string refused =
      nlohmann::json{{"error_code", "401"},
                     {"message", "Credential was not sent or was of an unsupported type for this "
                                 "API. [ReqId: " + correlation_id() + "]"}}.dump();
  if (header.rfind("Bearer ", 0) != 0)
    return refused;
  const std::string token = header.substr(7);
  for (const auto& t : settings_.tokens)
    if (constant_time_equal(t, token)) {
      kind = "PAT";
      return {};
    }
  std::lock_guard lock(mutex_);
  auto it = issued_.find(token);
  if (it == issued_.end())
    return nlohmann::json{{"error_code", "401"}, {"message", "Invalid access token."}}.dump();
  if (it->second <= now_ms())
    return nlohmann::json{{"error_code", "401"}, {"message", "Token expired."}}.dump();
  kind = "OAUTH";
  return {};
}

api_response databricks_emulator::token(const httplib::Request& req) {
  const std::string header = req.get_header_value("Authorization");
  auto decoded = header.rfind("Basic ", 0) == 0 ? base64_decode(header.substr(6)) : std::nullopt;
  const std::string expected = settings_.client_id + ":" + settings_.client_secret;
  if (settings_.client_id.empty() || !decoded || !constant_time_equal(*decoded, expected))
    return dbx_reply(401, R"({"error":"invalid_client","error_description":"Client authentication failed"})");
  if (req.get_param_value("grant_type") != "client_credentials")
    return dbx_reply(400, R"({"error":"unsupported_grant_type","error_description":"grant_type must be client_credentials"})");
  if (req.get_param_value("scope") != "all-apis")
    return dbx_reply(400, R"({"error":"invalid_scope","error_description":"scope must be all-apis"})");
  std::string access = "dbxoauth-" + random_hex(24);
  {
    std::lock_guard lock(mutex_);
    issued_[access] = now_ms() + settings_.token_ttl_s * 1000;
  }
  return dbx_reply(200, nlohmann::json{{"access_token", access},
                                   {"token_type", "Bearer"},
                                   {"scope", "all-apis"},
                                   {"expires_in", settings_.token_ttl_s}}.dump());
}

api_response databricks_emulator::handle(const httplib::Request& req, const limits&) {
  api_response out;
  describe(req, out);
  api_response answer;
  if (req.path == "/oidc/v1/token" && req.method == "POST") {
    answer = token(req);
  } else if (req.path.rfind(dbx_links_path, 0) == 0 && req.method == "GET") {
    answer = link(req);
  } else if (req.path.rfind(dbx_statements_path, 0) != 0) {
    answer = dbx_api_error(404, "ENDPOINT_NOT_FOUND", "No API found for '" + req.method + " " + req.path + "'");
  } else if (std::string kind, refused = check_auth(req, kind); !refused.empty()) {
    answer = dbx_reply(401, refused);
  } else {
    std::string id;
    std::string rest;
    dbx_split_path(req.path, id, rest);
    std::shared_ptr<statement> s;
    if (!id.empty()) {
      std::lock_guard lock(mutex_);
      auto it = statements_.find(id);
      s = it == statements_.end() ? nullptr : it->second;
    }
    if (id.empty() && req.method == "POST") {
      answer = submit(req, kind);
    } else if (!s) {
      answer = dbx_api_error(404, "RESOURCE_DOES_NOT_EXIST", "Statement " + id + " not found");
    } else if (rest == "cancel" && req.method == "POST") {
      std::lock_guard lock(mutex_);
      if (s->state == "PENDING" || s->state == "RUNNING" || s->state == "SUCCEEDED")
        s->state = "CANCELED";
      answer = dbx_reply(200, "{}");
    } else if (rest.empty() && req.method == "DELETE") {
      std::lock_guard lock(mutex_);
      s->state = "CLOSED";
      answer = dbx_reply(200, "{}");
    } else if (rest.empty() && req.method == "GET") {
      answer = status_of(*s, req);
    } else if (rest.rfind("result/chunks/", 0) == 0 && req.method == "GET") {
      answer = chunk(*s, std::strtoul(rest.c_str() + 14, nullptr, 10), req);
    } else {
      answer = dbx_api_error(405, "BAD_REQUEST", "Method not allowed");
    }
  }
  answer.endpoint = out.endpoint;
  answer.inputs = out.inputs;
  return answer;
}

api_response databricks_emulator::submit(const httplib::Request& req, const std::string& auth) {
  auto body = nlohmann::json::parse(req.body, nullptr, false);
  if (!body.is_object() || !body.contains("statement") || !body["statement"].is_string())
    return dbx_api_error(400, "INVALID_PARAMETER_VALUE", "statement is required");
  if (!body.contains("warehouse_id") || !body["warehouse_id"].is_string())
    return dbx_api_error(400, "INVALID_PARAMETER_VALUE", "warehouse_id is required");
  std::string warehouse = body["warehouse_id"].get<std::string>();
  if (!settings_.warehouse_id.empty() && warehouse != settings_.warehouse_id)
    return dbx_api_error(404, "RESOURCE_DOES_NOT_EXIST",
                     "Warehouse " + warehouse + " does not exist or you have no access to it.");
  std::string disposition = body.value("disposition", "INLINE");
  std::string format = body.value("format", "JSON_ARRAY");
  int wait = dbx_wait_seconds(body.value("wait_timeout", "10s"));
  std::string on_timeout = body.value("on_wait_timeout", "CONTINUE");
  if (disposition != "INLINE" && disposition != "EXTERNAL_LINKS")
    return dbx_api_error(400, "INVALID_PARAMETER_VALUE", "disposition must be INLINE or EXTERNAL_LINKS");
  if (format != "JSON_ARRAY")
    return dbx_api_error(400, "NOT_IMPLEMENTED", "the emulator serves format JSON_ARRAY only");
  if (wait < 0)
    return dbx_api_error(400, "INVALID_PARAMETER_VALUE",
                     "wait_timeout must be 0s or between 5s and 50s");
  if (on_timeout != "CONTINUE" && on_timeout != "CANCEL")
    return dbx_api_error(400, "INVALID_PARAMETER_VALUE", "on_wait_timeout must be CONTINUE or CANCEL");
  auto s = std::make_shared<statement>();
  s->id = correlation_id();
  s->text = body["statement"].get<std::string>();
  s->auth = auth;
  s->disposition = disposition;
  bool ok = run_dbx_statement(settings_.database, s->text,
                              body.value("parameters", nlohmann::json::array()),
                              settings_.chunk_rows, s->result, s->error);
  s->served.assign(s->result.chunks.size(), 0);
  s->links.assign(s->result.chunks.size(), 0);
  // The warehouse "runs" for --pending-polls status calls; the submit waited wait_timeout.
  s->polls_left = settings_.pending_polls;
  s->state = !ok ? "FAILED" : s->polls_left > 0 ? "PENDING" : "SUCCEEDED";
  if (s->state == "PENDING" && on_timeout == "CANCEL")
    s->state = "CANCELED";
  {
    std::lock_guard lock(mutex_);
    statements_[s->id] = s;
    order_.push_back(s->id);
  }
  return status_of(*s, req);
}

std::string databricks_emulator::signature(const std::string& path, std::int64_t expires) const {
  return hex_encode(hmac_sha256(signing_key_, path + "\n" + std::to_string(expires)));
}

nlohmann::json databricks_emulator::result_data(statement& s, std::size_t n,
                                                const httplib::Request& req) {
  const auto& r = s.result;
  std::size_t offset = 0;
  for (std::size_t i = 0; i < n; ++i)
    offset += r.chunk_rows[i];
  nlohmann::json data = {{"chunk_index", n}, {"row_offset", offset}, {"row_count", r.chunk_rows[n]}};
  if (n + 1 < r.chunks.size()) {
    data["next_chunk_index"] = n + 1;
    data["next_chunk_internal_link"] =
        std::string(dbx_statements_path) + "/" + s.id + "/result/chunks/" + std::to_string(n + 1);
  }
  if (s.disposition == "INLINE") {
    data["data_array"] = nlohmann::json::parse(r.chunks[n]);
    return data;
  }
  const std::string path = std::string(dbx_links_path) + s.id + "/" + std::to_string(n);
  const std::int64_t expires = now_ms() + settings_.link_ttl_s * 1000;
  data["byte_count"] = r.chunks[n].size();
  data["external_link"] = "http://" + req.get_header_value("Host") + path + "?X-Expires=" +
                          std::to_string(expires) + "&X-Signature=" + signature(path, expires);
  data["expiration"] = format_iso(expires);
  return {{"external_links", nlohmann::json::array({data})}};
}

api_response databricks_emulator::status_of(statement& s, const httplib::Request& req) {
  std::lock_guard lock(mutex_);
  if (req.method == "GET" && (s.state == "PENDING" || s.state == "RUNNING")) {
    s.state = s.polls_left > 0 ? "RUNNING" : "SUCCEEDED";
    --s.polls_left;
  }
  nlohmann::json body = {{"statement_id", s.id}, {"status", {{"state", s.state}}}};
  if (s.state == "FAILED")
    body["status"]["error"] = {{"error_code", s.error.code}, {"message", s.error.message}};
  if (s.state != "SUCCEEDED")
    return dbx_reply(200, body.dump());
  const auto& r = s.result;
  nlohmann::json chunks = nlohmann::json::array();
  std::size_t offset = 0;
  for (std::size_t i = 0; i < r.chunks.size() && r.rows > 0; ++i) {
    chunks.push_back({{"chunk_index", i}, {"row_offset", offset}, {"row_count", r.chunk_rows[i]}});
    offset += r.chunk_rows[i];
  }
  body["manifest"] = {{"format", "JSON_ARRAY"},
                      {"schema", {{"column_count", r.columns.size()}, {"columns", r.columns}}},
                      {"total_chunk_count", chunks.size()},
                      {"chunks", chunks},
                      {"total_row_count", r.rows},
                      {"truncated", false}};
  if (r.rows > 0) {
    body["result"] = result_data(s, 0, req);
    ++s.served[0];
  }
  return dbx_reply(200, body.dump());
}

api_response databricks_emulator::chunk(statement& s, std::size_t n, const httplib::Request& req) {
  std::lock_guard lock(mutex_);
  if (s.state != "SUCCEEDED")
    return dbx_api_error(400, "BAD_REQUEST", "Statement " + s.id + " is " + s.state +
                                             "; its result cannot be fetched");
  if (n >= s.result.chunks.size() || s.result.rows == 0)
    return dbx_api_error(400, "INVALID_PARAMETER_VALUE", "chunk_index " + std::to_string(n) +
                                                         " is out of range");
  ++s.served[n];
  return dbx_reply(200, result_data(s, n, req).dump());
}

api_response databricks_emulator::link(const httplib::Request& req) {
  if (req.has_header("Authorization"))
    return dbx_store_error(400, "InvalidArgument",
                       "Only one auth mechanism allowed; only the X-Amz-Algorithm query "
                       "parameter, Signature query string parameter or the Authorization header "
                       "should be specified");
  const std::string expires_text = req.get_param_value("X-Expires");
  const std::int64_t expires = std::strtoll(expires_text.c_str(), nullptr, 10);
  if (expires_text.empty() ||
      !constant_time_equal(req.get_param_value("X-Signature"), signature(req.path, expires)))
    return dbx_store_error(403, "SignatureDoesNotMatch",
                       "The request signature we calculated does not match the signature you "
                       "provided.");
  if (now_ms() >= expires)
    return dbx_store_error(403, "AccessDenied", "Request has expired");
  std::string rest = req.path.substr(dbx_links_path.size());
  std::string id = rest.substr(0, rest.find('/'));
  std::size_t n = std::strtoul(rest.c_str() + id.size() + 1, nullptr, 10);
  std::lock_guard lock(mutex_);
  auto it = statements_.find(id);
  if (it == statements_.end() || n >= it->second->result.chunks.size())
    return dbx_store_error(404, "NoSuchKey", "The specified key does not exist.");
  ++it->second->links[n];
  return dbx_reply(200, it->second->result.chunks[n]);
}

nlohmann::json databricks_emulator::records(const httplib::Request&) const {
  std::lock_guard lock(mutex_);
  nlohmann::json list = nlohmann::json::array();
  for (const auto& id : order_) {
    const auto& s = *statements_.at(id);
    list.push_back({{"statement_id", s.id},
                    {"statement", s.text},
                    {"auth", s.auth},
                    {"disposition", s.disposition},
                    {"state", s.state},
                    {"rows", s.result.rows},
                    {"chunks", s.result.rows == 0 ? 0 : s.result.chunks.size()},
                    {"served", s.served},
                    {"links", s.links}});
  }
  return {{"records", list}};
}

void databricks_emulator::reset() {
  std::lock_guard lock(mutex_);
  statements_.clear();
  order_.clear();
  issued_.clear();
}

}  // namespace backflow::emulators
