// Snowflake SQL API v2 calls (see snowflake_client.hpp).
#include "connectors/sources/snowflake_client.hpp"

#include <algorithm>
#include <chrono>

#include "connectors/sources/source_text.hpp"
#include "connectors/sources/warehouse_http.hpp"
#include "pipelines/core/crypto.hpp"

namespace backflow {
namespace {

std::string uuid4() {
  std::string h = random_hex(16);
  h[12] = '4';
  return h.substr(0, 8) + "-" + h.substr(8, 4) + "-" + h.substr(12, 4) + "-" + h.substr(16, 4) +
         "-" + h.substr(20);
}

}  // namespace

result<snowflake_target> snowflake_target_of(const source_spec& spec) {
  snowflake_target target;
  target.base_url = spec.string_option("url");
  if (target.base_url.empty())
    target.base_url = "https://" + spec.string_option("account") + ".snowflakecomputing.com";
  while (!target.base_url.empty() && target.base_url.back() == '/')
    target.base_url.pop_back();
  for (const char* key : {"warehouse", "database", "schema", "role"})
    if (auto value = spec.string_option(key); !value.empty())
      target.context[key] = value;
  if (auto it = spec.options.find("timeout"); it != spec.options.end() && it->is_number())
    target.timeout_s = it->get<long>();
  auto auth = snowflake_auth::from_spec(spec);
  if (!auth)
    return auth.error();
  target.auth = std::move(*auth);
  return target;
}

failure snowflake_failure(const failure& call, const std::string& credential_option) {
  const std::string& text = call.message;
  int status = http_status_in(text);
  std::string code = quoted_json_field(text, "code");
  std::string message = quoted_json_field(text, "message");
  std::string state = quoted_json_field(text, "sqlState");
  std::string said = code.empty() ? one_line(text)
                                  : "Snowflake error " + code +
                                        (state.empty() ? "" : " (SQL state " + state + ")") +
                                        ": " + one_line(message);
  if (status == 422 || status == 400)
    return failure{"source.query: " + said};
  if (status == 401 || status == 403)
    return failure{"source." + credential_option + ": Snowflake refused the credentials: " + said};
  return failure{"source: Snowflake SQL API: " + said};
}

snowflake_client::snowflake_client(snowflake_target target)
    : target_(std::move(target)),
      http_(warehouse_client_options(target_.auth->secrets(), target_.stop,
                                     std::chrono::milliseconds(300'000))) {}

result<http_response> snowflake_client::send(http_request request) {
  return send_authorized(
      std::move(request), target_.auth->can_refresh(),
      [this](bool refresh) { return target_.auth->headers(refresh); },
      [this](const http_request& r) { return http_.send(r); });
}

result<snowflake_result> snowflake_client::run(const std::string& statement,
                                               const nlohmann::json& bindings) {
  nlohmann::json body = target_.context;
  body["statement"] = statement;
  if (bindings.is_object() && !bindings.empty())
    body["bindings"] = bindings;
  if (target_.timeout_s > 0)
    body["timeout"] = target_.timeout_s;
  auto submitted = send(json_request("POST", target_.base_url + "/api/v2/statements?requestId=" +
                                                 uuid4() + "&retry=true",
                                     body, {{"Accept-Encoding", "gzip"}}));
  auto wait = std::chrono::milliseconds(50);
  for (;;) {
    if (!submitted)
      return submitted.error();
    auto parsed = nlohmann::json::parse(submitted->body, nullptr, false);
    if (!parsed.is_object())
      return failure{"source: Snowflake SQL API: the answer is not a JSON object: " +
                     submitted->body.substr(0, 200)};
    if (submitted->status != 202)
      return read_result(parsed);
    std::string status_url = parsed.value("statementStatusUrl", "");
    if (status_url.empty())
      status_url = "/api/v2/statements/" + parsed.value("statementHandle", "");
    if (!pause_unless_stopped(wait, [stop = target_.stop] { return stop->load(); })) {
      cancel(parsed.value("statementHandle", ""));
      return failure{"source: stopped while Snowflake ran the statement"};
    }
    wait = std::min(wait * 2, std::chrono::milliseconds(2000));
    submitted = send(json_request("GET", target_.base_url + status_url));
  }
}

result<snowflake_result> snowflake_client::read_result(const nlohmann::json& body) {
  snowflake_result out;
  out.handle = body.value("statementHandle", "");
  const auto meta = body.find("resultSetMetaData");
  if (meta == body.end() || !meta->is_object() || !meta->contains("rowType"))
    return failure{"source.query: Snowflake returned no result set (code " +
                   body.value("code", std::string("?")) + "); a model is one SELECT"};
  for (const auto& type : (*meta)["rowType"]) {
    out.cells.push_back(sf_cell_of(type));
    out.columns.push_back(column{type.value("name", ""), text_cell_kind(out.cells.back())});
  }
  if (auto unique = check_unique_columns(out.columns); !unique)
    return unique.error();
  auto info = meta->find("partitionInfo");
  out.partitions = info != meta->end() && info->is_array() ? std::max<size_t>(info->size(), 1) : 1;
  auto data = body.find("data");
  out.first = data != body.end() && data->is_array() ? *data : nlohmann::json::array();
  return out;
}

result<std::string> snowflake_client::partition(const std::string& handle, size_t n) {
  auto response = send(json_request(
      "GET", target_.base_url + "/api/v2/statements/" + handle + "?partition=" + std::to_string(n),
      nullptr, {{"Accept-Encoding", "gzip"}}));
  if (!response)
    return response.error();
  return std::move(response->body);
}

void snowflake_client::cancel(const std::string& handle) {
  if (handle.empty())
    return;
  auto headers = target_.auth->headers();
  if (!headers)
    return;
  send_once(json_request("POST", target_.base_url + "/api/v2/statements/" + handle + "/cancel",
                         nullptr, *headers));
}

}  // namespace backflow
