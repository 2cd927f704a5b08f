// BigQuery REST API v2 calls (see bigquery_client.hpp).
#include "connectors/sources/bigquery_client.hpp"


#include "connectors/sources/source_text.hpp"
#include "connectors/sources/warehouse_http.hpp"
#include "pipelines/core/redaction.hpp"

namespace backflow {
namespace {

/// A URL part, percent-encoded outside [A-Za-z0-9-_.~].
std::string bq_escaped(const std::string& text) {
  return percent_encoded(text, true, false);
}

/// The string after `"key"` and a colon in `text` (JSON, perhaps cut short), or "".
std::string bq_quoted_field(const std::string& text, const std::string& key) {
  size_t at = text.find("\"" + key + "\"");
  if (at == std::string::npos)
    return {};
  size_t colon = text.find_first_not_of(" ", at + key.size() + 2);
  if (colon == std::string::npos || text[colon] != ':')
    return {};
  size_t open = text.find_first_not_of(" ", colon + 1);
  if (open == std::string::npos || text[open] != '"')
    return {};
  std::string out;
  for (size_t i = open + 1; i < text.size() && text[i] != '"'; ++i) {
    if (text[i] == '\\' && i + 1 < text.size())
      ++i;
    out.push_back(text[i]);
  }
  return out;
}

rest_client_options bq_client_options(const bigquery_target& target) {
  auto o = warehouse_client_options(target.auth->secrets(), target.stop,
                                    std::chrono::milliseconds(target.timeout_ms + 120'000));
  // BigQuery also throttles with 403 rateLimitExceeded (other 403s are permanent).
  o.also_retryable = [](const http_response& r) {
    return r.status == 403 && bq_quoted_field(r.body, "reason") == "rateLimitExceeded";
  };
  return o;
}

bigquery_page bq_page_of(const nlohmann::json& body) {
  bigquery_page out;
  out.complete = body.value("jobComplete", false);
  if (auto ref = body.find("jobReference"); ref != body.end() && ref->is_object()) {
    out.job_id = ref->value("jobId", "");
    out.location = ref->value("location", "");
  }
  out.page_token = body.value("pageToken", "");
  if (auto schema = body.find("schema"); schema != body.end())
    out.schema = *schema;
  if (auto rows = body.find("rows"); rows != body.end() && rows->is_array())
    out.rows = std::move(*rows);
  return out;
}

}  // namespace

result<bigquery_target> bq_target_of(const source_spec& spec, bool write) {
  bigquery_target target;
  target.endpoint = spec.string_option("endpoint");
  if (target.endpoint.empty())
    target.endpoint = "https://bigquery.googleapis.com";
  while (!target.endpoint.empty() && target.endpoint.back() == '/')
    target.endpoint.pop_back();
  target.project = spec.string_option("project");
  if (target.project.empty())
    return failure{"source.project: missing; give the Google Cloud project that runs the query"};
  target.location = spec.string_option("location");
  target.dataset = spec.string_option("dataset");
  if (auto it = spec.options.find("page_rows"); it != spec.options.end() && it->is_number())
    target.max_results = it->get<long>();
  if (auto it = spec.options.find("timeout_ms"); it != spec.options.end() && it->is_number())
    target.timeout_ms = it->get<long>();
  auto auth = bigquery_auth::from_spec(spec, write);
  if (!auth)
    return auth.error();
  target.auth = std::move(*auth);
  return target;
}

failure bigquery_failure(const failure& call, const std::string& credential_option) {
  const std::string& text = call.message;
  if (text.rfind("source.", 0) == 0 || text.rfind("source:", 0) == 0)
    return call;  // already the source's own (a token exchange, a stop)
  const int status = http_status_in(text);
  const size_t body = text.find("{\"error\"");
  const std::string reason = body == std::string::npos ? "" : bq_quoted_field(text.substr(body), "reason");
  const std::string message = body == std::string::npos ? "" : bq_quoted_field(text.substr(body), "message");
  if (reason.empty() && message.empty())
    return failure{"source: BigQuery API: " + one_line(text)};
  std::string said = "BigQuery error " + (reason.empty() ? std::to_string(status) : reason) +
                     ": " + one_line(message);
  static const char* transient[] = {"rateLimitExceeded", "quotaExceeded", "backendError",
                                    "internalError", "jobRateLimitExceeded"};
  for (const char* r : transient)
    if (reason == r)  // past the retries, or a quota: the warehouse cannot be used now
      return failure{"source: BigQuery API: " + said};
  if (status == 401 || status == 403 || reason == "accessDenied")
    return failure{"source." + credential_option + ": BigQuery refused the credentials: " + said};
  if (status == 400 || status == 404 || reason == "invalidQuery" || reason == "notFound")
    return failure{"source.query: " + said};
  return failure{"source: BigQuery API: " + said};
}

bigquery_client::bigquery_client(bigquery_target target)
    : target_(std::move(target)), http_(bq_client_options(target_)) {}

result<nlohmann::json> bigquery_client::send(http_request request) {
  // An expired or revoked token (401): a new one, once.
  return send_authorized(
      std::move(request), target_.auth->can_refresh(),
      [this](bool refresh) -> result<http_header> {
        auto auth = target_.auth->authorization(refresh);
        if (!auth)
          return auth.error();
        return http_header{"Authorization", *auth};
      },
      [this](const http_request& r) { return http_.send_json(r); });
}

result<bigquery_page> bigquery_client::query(const std::string& sql,
                                             const nlohmann::json& parameters) {
  nlohmann::json body = {{"query", sql},
                         {"useLegacySql", false},
                         {"maxResults", target_.max_results},
                         {"timeoutMs", target_.timeout_ms},
                         {"formatOptions", {{"useInt64Timestamp", true}}}};
  if (!target_.location.empty())
    body["location"] = target_.location;
  if (parameters.is_array() && !parameters.empty()) {
    body["parameterMode"] = "NAMED";
    body["queryParameters"] = parameters;
  }
  if (!target_.dataset.empty())
    body["defaultDataset"] = {{"projectId", target_.project}, {"datasetId", target_.dataset}};
  auto answer = send(json_request(
      "POST", target_.endpoint + "/bigquery/v2/projects/" + bq_escaped(target_.project) + "/queries",
      body));
  if (!answer)
    return answer.error();
  auto first = bq_page_of(*answer);
  if (first.complete)
    return first;
  auto done = poll(first.job_id, first.location, "");
  if (!done && target_.stop->load())
    cancel(first.job_id, first.location);
  return done;
}

result<bigquery_page> bigquery_client::poll(const std::string& job_id, const std::string& location,
                                            const std::string& token) {
  if (job_id.empty())
    return failure{"source: BigQuery API: an incomplete job without a jobReference.jobId"};
  std::string url = target_.endpoint + "/bigquery/v2/projects/" + bq_escaped(target_.project) +
                    "/queries/" + bq_escaped(job_id) + "?maxResults=" +
                    std::to_string(target_.max_results) + "&timeoutMs=" +
                    std::to_string(target_.timeout_ms) + "&formatOptions.useInt64Timestamp=true";
  if (!location.empty())
    url += "&location=" + bq_escaped(location);
  if (!token.empty())
    url += "&pageToken=" + bq_escaped(token);
  for (;;) {
    if (target_.stop->load())
      return failure{"source: stopped while BigQuery ran the query"};
    auto answer = send(json_request("GET", url));
    if (!answer)
      return answer.error();
    auto page = bq_page_of(*answer);
    if (page.job_id.empty())
      page.job_id = job_id;
    if (page.location.empty())
      page.location = location;
    if (page.complete)
      return page;
    // getQueryResults itself waits up to timeoutMs for the job; a short pause guards a server
    // that answers at once.
    pause_unless_stopped(std::chrono::milliseconds(20), [stop = target_.stop] { return stop->load(); });
  }
}

result<bigquery_page> bigquery_client::page(const std::string& job_id, const std::string& location,
                                            const std::string& token) {
  return poll(job_id, location, token);
}

void bigquery_client::cancel(const std::string& job_id, const std::string& location) {
  if (job_id.empty())
    return;
  auto auth = target_.auth->authorization();
  if (!auth)
    return;
  std::string url = target_.endpoint + "/bigquery/v2/projects/" + bq_escaped(target_.project) +
                    "/jobs/" + bq_escaped(job_id) + "/cancel";
  if (!location.empty())
    url += "?location=" + bq_escaped(location);
  send_once(json_request("POST", url, nullptr, {{"Authorization", *auth}}));
}

}  // namespace backflow
