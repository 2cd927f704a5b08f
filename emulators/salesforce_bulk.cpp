// Salesforce Bulk API 2.0 ingest jobs (see salesforce_bulk.hpp).
#include "emulators/salesforce_bulk.hpp"

#include <algorithm>
#include <cstdio>
#include <cstdlib>

#include "emulators/emulator_util.hpp"
#include "emulators/salesforce_bulk_csv.hpp"
#include "emulators/salesforce_route.hpp"
#include "emulators/salesforce_validation.hpp"

namespace backflow::emulators {
namespace {

constexpr const char* created_by = "005000000000001AAA";

/// Salesforce's timestamp form: "2024-05-01T12:00:00.000+0000".
std::string sf_time(std::int64_t ms) {
  auto text = format_iso(ms);
  text.pop_back();  // 'Z'
  return text + "+0000";
}

sf_bulk_reply error(int status, const std::string& code, const std::string& message) {
  return {status, sf_error_body(code, message), false};
}

sf_bulk_reply not_found() {
  return error(404, "NOT_FOUND", "The requested resource does not exist");
}

sf_bulk_reply json_reply(int status, const nlohmann::json& body) {
  return {status, body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace), false};
}

/// The string member `key` of `spec`; "" when absent, `nullopt` when it has another type.
std::optional<std::string> text_member(const nlohmann::json& spec, const char* key) {
  auto it = spec.find(key);
  if (it == spec.end() || it->is_null())
    return std::string();
  if (!it->is_string())
    return std::nullopt;
  return it->get<std::string>();
}

sf_operation operation_of(const std::string& name) {
  if (name == "insert")
    return sf_operation::insert;
  if (name == "update")
    return sf_operation::update;
  if (name == "upsert")
    return sf_operation::upsert;
  return sf_operation::remove;
}

}  // namespace

sf_bulk_reply salesforce_bulk::create(const std::string& body, const std::string& version) {
  auto spec = nlohmann::json::parse(body, nullptr, false);
  if (spec.is_discarded() || !spec.is_object())
    return error(400, "JSON_PARSER_ERROR", "The request body must be a JSON object");
  job j;
  auto object = text_member(spec, "object");
  auto operation = text_member(spec, "operation");
  auto ext = text_member(spec, "externalIdFieldName");
  auto content = text_member(spec, "contentType");
  auto line_ending = text_member(spec, "lineEnding");
  auto delimiter = text_member(spec, "columnDelimiter");
  if (!object || !operation || !ext || !content || !line_ending || !delimiter)
    return error(400, "INVALIDJOB", "InvalidJob : Job properties must be strings");
  static const std::vector<std::string> operations = {"insert", "update", "upsert", "delete",
                                                      "hardDelete"};
  if (object->empty())
    return error(400, "INVALIDJOB", "InvalidJob : Required field is missing: object");
  if (!is_sf_name(*object))
    return error(400, "INVALIDJOB", "InvalidJob : Unable to find object: " + *object);
  if (std::find(operations.begin(), operations.end(), *operation) == operations.end())
    return error(400, "INVALIDJOB",
                 operation->empty() ? "InvalidJob : Required field is missing: operation"
                                    : "InvalidJob : Invalid operation: " + *operation);
  if (*operation == "upsert" && ext->empty())
    return error(400, "INVALIDJOB",
                 "InvalidJob : External ID was blank for " + *object +
                     ". An External ID is required on upsert.");
  if (!ext->empty() && !is_sf_name(*ext))
    return error(400, "INVALIDJOB", "InvalidJob : Invalid externalIdFieldName: " + *ext);
  if (!content->empty() && *content != "CSV")
    return error(400, "INVALIDJOB", "InvalidJob : Unsupported contentType: " + *content);
  if (!line_ending->empty() && *line_ending != "LF" && *line_ending != "CRLF")
    return error(400, "INVALIDJOB", "InvalidJob : Invalid lineEnding: " + *line_ending);
  if (!delimiter->empty() && *delimiter != "COMMA")
    return error(400, "INVALIDJOB",
                 "InvalidJob : columnDelimiter " + *delimiter +
                     " is not supported by the emulator (COMMA only)");
  std::lock_guard lock(mutex_);
  char id[32];
  std::snprintf(id, sizeof id, "750%012lluAAA", static_cast<unsigned long long>(next_job_++));
  j.id = id;
  j.object = *object;
  j.operation = *operation;
  j.ext_field = *operation == "upsert" ? *ext : "";
  j.line_ending = line_ending->empty() ? "LF" : *line_ending;
  j.version = version.size() > 1 ? version.substr(1) : "59.0";
  j.created_ms = j.modified_ms = now_ms();
  auto& stored = jobs_[j.id] = std::move(j);
  return json_reply(200, info(stored, false, clock::now()));
}

sf_bulk_reply salesforce_bulk::upload(const std::string& id, std::string body) {
  std::lock_guard lock(mutex_);
  auto* j = find(id);
  if (j == nullptr)
    return not_found();
  if (j->state != phase::open)
    return error(400, "INVALIDJOB",
                 "InvalidJob : Job " + id + " is " + state_name(*j, clock::now()) +
                     "; data can be uploaded only while it is Open");
  if (j->uploaded)
    return error(
        400, "INVALIDJOB",
        "InvalidJob : Data was already uploaded for job " + id + "; a job takes one upload");
  j->uploaded = true;
  j->upload = std::move(body);
  j->modified_ms = now_ms();
  return {201, {}, false};
}

sf_bulk_reply salesforce_bulk::patch(const std::string& id, const std::string& body,
                                     std::int64_t delay_ms) {
  auto spec = nlohmann::json::parse(body, nullptr, false);
  std::lock_guard lock(mutex_);
  const auto now = clock::now();
  advance_locked(now);
  auto* j = find(id);
  if (j == nullptr)
    return not_found();
  auto state = spec.is_object() ? spec.find("state") : spec.end();
  if (!spec.is_object() || state == spec.end() || !state->is_string())
    return error(400, "INVALIDJOB",
                 "InvalidJob : Expected {\"state\":\"UploadComplete\"} or "
                 "{\"state\":\"Aborted\"}");
  const auto target = state->get<std::string>();
  const auto current = state_name(*j, now);
  if (target == "UploadComplete" && j->state == phase::open) {
    j->modified_ms = now_ms();
    if (!j->uploaded) {
      fail(*j, "InvalidBatch : No data was uploaded for this job");
    } else {
      j->state = phase::closed;
      j->closed_at = now;
      j->delay_ms = delay_ms;
    }
  } else if (target == "Aborted" && (j->state == phase::open || j->state == phase::closed)) {
    j->state = phase::aborted;
    j->modified_ms = now_ms();
  } else if (target == "UploadComplete" || target == "Aborted") {
    return error(
        400, "INVALIDJOB",
        "InvalidJob : Cannot change the state of job " + id + " from " + current + " to " + target);
  } else {
    return error(400, "INVALIDJOB", "InvalidJob : Invalid state: " + target);
  }
  return json_reply(200, info(*j, false, now));
}

sf_bulk_reply salesforce_bulk::get(const std::string& id) {
  std::lock_guard lock(mutex_);
  const auto now = clock::now();
  advance_locked(now);
  auto* j = find(id);
  return j == nullptr ? not_found() : json_reply(200, info(*j, true, now));
}

sf_bulk_reply salesforce_bulk::list() {
  std::lock_guard lock(mutex_);
  const auto now = clock::now();
  advance_locked(now);
  nlohmann::json records = nlohmann::json::array();
  for (const auto& [id, j] : jobs_)
    if (!j.deleted)
      records.push_back(info(j, false, now));
  nlohmann::json out = nlohmann::json::object();
  out["done"] = true;
  out["records"] = std::move(records);
  out["nextRecordsUrl"] = nullptr;
  return json_reply(200, out);
}

sf_bulk_reply salesforce_bulk::remove(const std::string& id) {
  std::lock_guard lock(mutex_);
  const auto now = clock::now();
  advance_locked(now);
  auto* j = find(id);
  if (j == nullptr)
    return not_found();
  if (j->state == phase::open)
    return error(400, "INVALIDJOB",
                 "InvalidJob : Job " + id + " is Open; close or abort it before deleting it");
  j->deleted = true;
  j->upload.clear();
  return {204, {}, false};
}

sf_bulk_reply salesforce_bulk::results(const std::string& id, const std::string& kind) {
  std::lock_guard lock(mutex_);
  advance_locked(clock::now());
  auto* j = find(id);
  if (j == nullptr)
    return not_found();
  const bool final_state = j->state != phase::open && j->state != phase::closed;
  if (kind == "unprocessedrecords" ? !final_state : j->state != phase::complete)
    return error(400, "INVALIDJOB",
                 "InvalidJob : job not complete (state " + state_name(*j, clock::now()) + ")");
  ++j->fetched[kind];
  if (kind == "unprocessedrecords" && j->rows.empty())
    return {200, j->upload, true};  // never parsed: the upload as it came
  return {200, bulk_result_csv(j->rows, j->outcomes, kind, j->line_ending), true};
}

void salesforce_bulk::advance() {
  std::lock_guard lock(mutex_);
  advance_locked(clock::now());
}

nlohmann::json salesforce_bulk::jobs_json() {
  std::lock_guard lock(mutex_);
  const auto now = clock::now();
  advance_locked(now);
  nlohmann::json list = nlohmann::json::array();
  for (const auto& [id, j] : jobs_) {
    auto entry = info(j, true, now);
    entry["deleted"] = j.deleted;
    entry["uploadBytes"] = j.upload.size();
    entry["resultsFetched"] = j.fetched;
    list.push_back(std::move(entry));
  }
  nlohmann::json out = nlohmann::json::object();
  out["jobs"] = std::move(list);
  return out;
}

void salesforce_bulk::clear() {
  std::lock_guard lock(mutex_);
  jobs_.clear();  // job ids keep counting: a stale id from before a reset stays unknown
}

salesforce_bulk::job* salesforce_bulk::find(const std::string& id) {
  auto it = jobs_.find(id.size() == 15 ? id + "AAA" : id);
  return it == jobs_.end() || it->second.deleted ? nullptr : &it->second;
}

std::string salesforce_bulk::state_name(const job& j, clock::time_point now) const {
  switch (j.state) {
    case phase::open:
      return "Open";
    case phase::closed:
      return now - j.closed_at < std::chrono::milliseconds(j.delay_ms / 2) ? "UploadComplete"
                                                                           : "InProgress";
    case phase::complete:
      return "JobComplete";
    case phase::failed:
      return "Failed";
    case phase::aborted:
      return "Aborted";
  }
  return "Open";
}

nlohmann::json salesforce_bulk::info(const job& j, bool detail, clock::time_point now) const {
  nlohmann::json out = nlohmann::json::object();
  out["id"] = j.id;
  out["operation"] = j.operation;
  out["object"] = j.object;
  out["createdById"] = created_by;
  out["createdDate"] = sf_time(j.created_ms);
  out["systemModstamp"] = sf_time(j.modified_ms);
  out["state"] = state_name(j, now);
  if (!j.ext_field.empty())
    out["externalIdFieldName"] = j.ext_field;
  out["concurrencyMode"] = "Parallel";
  out["contentType"] = "CSV";
  out["apiVersion"] = std::strtod(j.version.c_str(), nullptr);
  out["jobType"] = "V2Ingest";
  out["contentUrl"] = "services/data/v" + j.version + "/jobs/ingest/" + j.id + "/batches";
  out["lineEnding"] = j.line_ending;
  out["columnDelimiter"] = j.delimiter;
  if (!detail)
    return out;
  out["numberRecordsProcessed"] = j.outcomes.size();
  out["numberRecordsFailed"] = j.failed;
  out["retries"] = 0;
  out["totalProcessingTime"] = j.processing_ms;
  out["apiActiveProcessingTime"] = j.processing_ms;
  out["apexProcessingTime"] = 0;
  if (!j.error_message.empty())
    out["errorMessage"] = j.error_message;
  return out;
}

void salesforce_bulk::advance_locked(clock::time_point now) {
  for (auto& [id, j] : jobs_)
    if (j.state == phase::closed && now - j.closed_at >= std::chrono::milliseconds(j.delay_ms))
      process(j);
}

void salesforce_bulk::process(job& j) {
  const auto started = clock::now();
  j.modified_ms = now_ms();
  if (!is_valid_utf8(j.upload))
    return fail(j, "InvalidBatch : The upload is not valid UTF-8");
  auto parsed = parse_csv(j.upload);
  if (!parsed)
    return fail(j, "InvalidBatch : ClientInputError : " + parsed.error().message);
  const auto op = operation_of(j.operation);
  std::vector<sf_write_row> rows;
  if (auto problem =
          bulk_write_rows(*parsed, op, j.object, j.ext_field, store_.rules(j.object), rows)) {
    j.rows = std::move(*parsed);
    return fail(j, *problem);
  }
  j.rows = std::move(*parsed);
  j.upload.clear();
  j.upload.shrink_to_fit();
  j.outcomes = store_.write(j.object, op, j.ext_field, rows, false);
  j.failed = std::count_if(j.outcomes.begin(), j.outcomes.end(),
                           [](const auto& o) { return o.error.has_value(); });
  j.state = phase::complete;
  j.processing_ms =
      j.delay_ms +
      std::chrono::duration_cast<std::chrono::milliseconds>(clock::now() - started).count();
}

void salesforce_bulk::fail(job& j, const std::string& message) {
  j.state = phase::failed;
  j.error_message = message;
  j.modified_ms = now_ms();
}

}  // namespace backflow::emulators
