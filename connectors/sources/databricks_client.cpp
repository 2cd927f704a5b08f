// Databricks SQL Statement Execution API 2.0 calls (see databricks_client.hpp).
#include "connectors/sources/databricks_client.hpp"

#include <algorithm>
#include <chrono>

#include "connectors/sources/source_text.hpp"
#include "connectors/sources/warehouse_http.hpp"

namespace backflow {
namespace {

constexpr const char* dbx_statements_path = "/api/2.0/sql/statements";
constexpr std::chrono::milliseconds dbx_call_timeout{300'000};

failure dbx_statement_failure(const nlohmann::json& status) {
  std::string state = status.value("state", "?");
  auto error = status.value("error", nlohmann::json::object());
  std::string code = error.is_object() ? error.value("error_code", "") : "";
  std::string message = error.is_object() ? error.value("message", "") : "";
  // Failures of the warehouse rather than of the statement: the next run may well succeed.
  static const char* transient[] = {"TEMPORARILY_UNAVAILABLE", "INTERNAL_ERROR",
                                    "RESOURCE_EXHAUSTED", "DEADLINE_EXCEEDED", "ABORTED"};
  for (const char* t : transient)
    if (code == t)
      return failure{"source: Databricks error " + code + ": " + one_line(message)};
  if (state == "FAILED")
    return failure{"source.query: Databricks error " + (code.empty() ? "?" : code) + ": " +
                   one_line(message)};
  return failure{"source: Databricks statement " + state +
                 (code.empty() ? "" : " (" + code + "): " + one_line(message))};
}

/// `message` with the presigned `url`'s query (its signature: a credential for the chunk) cut.
std::string dbx_without_signature(std::string message, const std::string& url) {
  size_t query = url.find('?');
  if (query == std::string::npos)
    return message;
  for (size_t at = message.find(url); at != std::string::npos; at = message.find(url, at))
    message.replace(at, url.size(), url.substr(0, query) + "?<signature>");
  return message;
}

}  // namespace

result<databricks_target> databricks_target_of(const source_spec& spec) {
  databricks_target target;
  target.base_url = spec.string_option("host");
  if (target.base_url.find("://") == std::string::npos)
    target.base_url = "https://" + target.base_url;
  while (!target.base_url.empty() && target.base_url.back() == '/')
    target.base_url.pop_back();
  for (const char* key : {"warehouse_id", "catalog", "schema"})
    if (auto value = spec.string_option(key); !value.empty())
      target.context[key] = value;
  if (auto d = spec.string_option("disposition"); !d.empty())
    target.disposition = d;
  if (auto w = spec.string_option("wait_timeout"); !w.empty())
    target.wait_timeout = w;
  auto auth = databricks_auth::from_spec(spec, target.base_url);
  if (!auth)
    return auth.error();
  target.auth = std::move(*auth);
  return target;
}

failure databricks_failure(const failure& call, const std::string& credential_option) {
  const std::string& text = call.message;
  if (text.rfind("source", 0) == 0)
    return call;  // already ours (a FAILED statement, a token endpoint refusal)
  int status = http_status_in(text);
  std::string code = quoted_json_field(text, "error_code");
  std::string message = quoted_json_field(text, "message");
  std::string said = code.empty() ? one_line(text) : "Databricks error " + code + ": " + one_line(message);
  if (status == 400 || status == 404)
    return failure{"source.query: " + said};
  if (status == 401 || status == 403)
    return failure{"source." + credential_option + ": Databricks refused the credentials: " + said};
  return failure{"source: Databricks SQL API: " + said};
}

result<packed_rows> encode_db_rows(const nlohmann::json& data, const std::vector<text_cell>& cells) {
  packed_rows rows;
  std::string scratch;
  if (!data.is_array())
    return failure{"source: Databricks SQL API: a chunk's data is not an array"};
  for (const auto& row : data) {
    if (!row.is_array() || row.size() != cells.size())
      return failure{"source: Databricks SQL API: row " + std::to_string(rows.size()) +
                     " of a chunk does not have one value per column"};
    row_writer writer(rows.bytes);
    for (size_t c = 0; c < cells.size(); ++c) {
      const auto& value = row[c];
      if (value.is_string())
        write_db_value(writer, cells[c], value.get_ref<const std::string&>(), scratch);
      else if (value.is_null())
        writer.null();
      else
        write_db_value(writer, cells[c], value.dump(), scratch);
    }
    rows.finish_row();
  }
  return rows;
}

databricks_client::databricks_client(databricks_target target)
    : target_(std::move(target)),
      http_(warehouse_client_options(target_.auth->secrets(), target_.stop, dbx_call_timeout)),
      links_(warehouse_client_options(target_.auth->secrets(), target_.stop, dbx_call_timeout)) {}

result<nlohmann::json> databricks_client::send(http_request request) {
  return send_authorized(
      std::move(request), target_.auth->can_refresh(),
      [this](bool refresh) { return target_.auth->header(refresh); },
      [this](const http_request& r) { return http_.send_json(r); });
}

result<databricks_result> databricks_client::run(const std::string& statement,
                                                 const nlohmann::json& parameters) {
  nlohmann::json body = target_.context;
  body["statement"] = statement;
  if (parameters.is_array() && !parameters.empty())
    body["parameters"] = parameters;
  body["wait_timeout"] = target_.wait_timeout;
  body["on_wait_timeout"] = "CONTINUE";
  body["disposition"] = target_.disposition;
  body["format"] = "JSON_ARRAY";
  auto answer = send(json_request("POST", target_.base_url + dbx_statements_path, body));
  auto wait = std::chrono::milliseconds(50);
  for (;;) {
    if (!answer)
      return answer.error();
    if (!answer->is_object())
      return failure{"source: Databricks SQL API: the answer is not a JSON object"};
    std::string id = answer->value("statement_id", "");
    auto status = answer->value("status", nlohmann::json::object());
    std::string state = status.is_object() ? status.value("state", "") : "";
    if (state == "SUCCEEDED")
      return read_result(*answer);
    if (state != "PENDING" && state != "RUNNING")
      return dbx_statement_failure(status);
    if (!pause_unless_stopped(wait, [stop = target_.stop] { return stop->load(); })) {
      cancel(id);
      return failure{"source: stopped while Databricks ran the statement"};
    }
    wait = std::min(wait * 2, std::chrono::milliseconds(2000));
    answer = send(json_request("GET", target_.base_url + dbx_statements_path + "/" + id));
  }
}

result<databricks_result> databricks_client::read_result(const nlohmann::json& body) {
  databricks_result out;
  out.statement_id = body.value("statement_id", "");
  auto manifest = body.value("manifest", nlohmann::json::object());
  auto columns = manifest.is_object() ? manifest.value("schema", nlohmann::json::object())
                                            .value("columns", nlohmann::json::array())
                                      : nlohmann::json::array();
  if (!manifest.is_object() || !columns.is_array())
    return failure{"source.query: Databricks returned no result manifest; a model is one SELECT"};
  for (const auto& c : columns) {
    out.cells.push_back(db_cell_of(c));
    out.columns.push_back(column{c.value("name", ""), text_cell_kind(out.cells.back())});
  }
  if (auto unique = check_unique_columns(out.columns); !unique)
    return unique.error();
  out.chunks = std::max<size_t>(manifest.value("total_chunk_count", size_t{1}), 1);
  auto result = body.value("result", nlohmann::json::object());
  auto rows = rows_of(out.statement_id, result, out.cells, 0);
  if (!rows)
    return rows.error();
  out.first = std::move(*rows);
  return out;
}

result<packed_rows> databricks_client::rows_of(const std::string& statement_id,
                                               const nlohmann::json& data,
                                               const std::vector<text_cell>& cells, size_t n) {
  if (!data.is_object())
    return packed_rows{};
  if (auto inline_rows = data.find("data_array"); inline_rows != data.end())
    return encode_db_rows(*inline_rows, cells);
  auto links = data.value("external_links", nlohmann::json::array());
  if (!links.is_array() || links.empty())
    return packed_rows{};  // an empty result has neither
  for (int attempt = 1;; ++attempt) {
    std::string url = links[0].value("external_link", "");
    http_request get;
    get.method = "GET";
    get.url = url;  // presigned: no Authorization header (the store would refuse or misread it)
    auto content = links_.send_json(get);
    if (content)
      return encode_db_rows(*content, cells);
    if (attempt >= 3)
      return failure{"source: Databricks SQL API: chunk " + std::to_string(n) +
                     "'s external link failed 3 times: " +
                     one_line(dbx_without_signature(content.error().message, url))};
    // Expired (or refused) link: ask for the chunk again, which signs a fresh one.
    auto again = send(json_request("GET", target_.base_url + dbx_statements_path + "/" +
                                              statement_id + "/result/chunks/" + std::to_string(n)));
    if (!again)
      return again.error();
    auto fresh = again->find("external_links");
    if (fresh == again->end() || !fresh->is_array() || fresh->empty())
      return failure{"source: Databricks SQL API: chunk " + std::to_string(n) + " has no link"};
    links = *fresh;
  }
}

result<packed_rows> databricks_client::chunk(const std::string& statement_id, size_t n,
                                             const std::vector<text_cell>& cells) {
  auto answer = send(json_request("GET", target_.base_url + dbx_statements_path + "/" +
                                             statement_id + "/result/chunks/" + std::to_string(n)));
  if (!answer)
    return answer.error();
  return rows_of(statement_id, *answer, cells, n);
}

void databricks_client::cancel(const std::string& statement_id) {
  if (statement_id.empty())
    return;
  auto header = target_.auth->header();
  if (!header)
    return;
  send_once(json_request("POST", target_.base_url + dbx_statements_path + "/" + statement_id +
                                     "/cancel",
                         nullptr, {*header}));
}

}  // namespace backflow
