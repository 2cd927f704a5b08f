// A Salesforce Bulk API 2.0 ingest job (see salesforce_bulk_job.hpp, docs/connectors/salesforce.md).
#include "connectors/destinations/salesforce_bulk_job.hpp"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "connectors/destinations/salesforce.hpp"
#include "pipelines/core/csv.hpp"
#include "pipelines/core/row_codec.hpp"
#include "pipelines/delivery/payload.hpp"
#include "pipelines/delivery/status_classifier.hpp"

namespace backflow {
namespace {

/// "CODE:message:fields" → "CODE: message".
std::string bulk_error(const std::string& raw) {
  auto first = raw.find(':');
  if (first == std::string::npos)
    return raw;
  auto code = raw.substr(0, first);
  auto rest = raw.substr(first + 1);
  auto last = rest.rfind(':');
  return code + ": " + (last == std::string::npos ? rest : rest.substr(0, last));
}

}  // namespace

salesforce_bulk_job::salesforce_bulk_job(const salesforce_destination& dest,
                                         const delivery_batch& batch, std::string resumed_job_id,
                                         std::chrono::milliseconds poll_initial,
                                         std::chrono::milliseconds poll_max)
    : dest_(dest),
      batch_(batch),
      remove_(batch.records.front().op == delivery_op::remove),
      job_id_(std::move(resumed_job_id)),
      closed_(!job_id_.empty()),
      poll_initial_(poll_initial),
      poll_max_(poll_max),
      outcomes_(batch.records.size(), record_outcome::retryable("missing from the job's results")),
      known_(batch.records.size(), false) {
  for (size_t i = 0; i < batch.records.size(); ++i) {
    const auto& r = batch.records[i];
    index_.emplace(remove_ ? r.dest_id : r.key, i);
  }
}

std::string salesforce_bulk_job::checkpoint() const {
  return closed_ ? job_id_ : std::string();
}

http_request salesforce_bulk_job::request(const std::string& method, const std::string& path,
                                          std::string body, const std::string& content_type) const {
  http_request req;
  req.method = method;
  req.url = dest_.api_base() + path;
  req.body = std::move(body);
  req.headers = {{"Authorization", "Bearer " + dest_.token()},
                 {"Content-Type", content_type},
                 {"Accept", "application/json"}};
  return req;
}

std::string salesforce_bulk_job::upload_csv() const {
  std::string csv;
  std::vector<std::string> fields;
  if (remove_) {
    append_csv_record(csv, {"Id"});
    for (const auto& r : batch_.records)
      if (!r.dest_id.empty())
        append_csv_record(csv, {r.dest_id});
    return csv;
  }
  fields.push_back(dest_.external_id_field());
  for (const auto& name : batch_.field_names)
    if (name != dest_.external_id_field())
      fields.push_back(name);
  append_csv_record(csv, fields);
  for (const auto& r : batch_.records) {
    fields.assign(1, r.key);
    row_reader reader{r.fields};
    cell c;
    for (const auto& name : batch_.field_names) {
      if (!reader.next(c))
        c = cell::null_cell();
      if (name != dest_.external_id_field())
        fields.push_back(salesforce_csv_value(c));
    }
    append_csv_record(csv, fields);
  }
  return csv;
}

job_step salesforce_bulk_job::start() {
  if (closed_)
    return poll(std::chrono::milliseconds(0));  // resumed: the upload is done, only poll
  nlohmann::json spec = {{"object", dest_.object()},
                         {"operation", remove_ ? "delete" : "upsert"},
                         {"contentType", "CSV"},
                         {"lineEnding", "LF"},
                         {"columnDelimiter", "COMMA"}};
  if (!remove_)
    spec["externalIdFieldName"] = dest_.external_id_field();
  phase_ = phase::create;
  return remember(job_step::send(request("POST", "/jobs/ingest", spec.dump())));
}

job_step salesforce_bulk_job::poll(std::chrono::milliseconds after) {
  phase_ = phase::poll;
  return remember(job_step::send(request("GET", "/jobs/ingest/" + job_id_), after));
}

job_step salesforce_bulk_job::fetch(phase p) {
  phase_ = p;
  const char* path = p == phase::successes  ? "/successfulResults/"
                     : p == phase::failures ? "/failedResults/"
                                            : "/unprocessedrecords/";
  auto req = request("GET", "/jobs/ingest/" + job_id_ + path);
  req.headers.push_back({"Accept", "text/csv"});
  return remember(job_step::send(std::move(req)));
}

job_step salesforce_bulk_job::remember(job_step step) {
  if (step.what == job_step::kind::send) {
    last_ = step.request;
    repeated_ = false;
  }
  return step;
}

job_step salesforce_bulk_job::next(const http_response& response) {
  if (classify_status(response.status) != status_class::delivered) {
    // A job takes one upload and is closed once: when a repeat of either is refused (400), the
    // copy whose answer was lost did land. Go on as if that answer had arrived.
    if (repeated_ && response.status == 400 && (phase_ == phase::upload || phase_ == phase::close)) {
      http_response landed;
      landed.status = 200;  // the upload and close answers carry nothing the job reads
      return next(landed);
    }
    auto verdict = dest_.classify_error(response, batch_.records.size());
    if (verdict.what == batch_verdict::kind::retry && verdict.retry_after.count() > 0)
      return job_step::send(last_, verdict.retry_after);  // the org's limit: wait, then go on
    if (phase_ == phase::poll && response.status == 404 && closed_) {
      // The job is gone (deleted, or older than Salesforce keeps jobs): send the records again.
      return job_step::fail(batch_verdict::whole(batch_verdict::kind::retry,
                                                 "Salesforce no longer knows job " + job_id_));
    }
    return job_step::fail(verdict);
  }
  switch (phase_) {
    case phase::create: {
      auto info = nlohmann::json::parse(response.body, nullptr, false);
      job_id_ = json_text(info, "id");
      if (job_id_.empty())
        return job_step::fail(batch_verdict::whole(batch_verdict::kind::retry,
                                                   "Salesforce created a job without an id"));
      phase_ = phase::upload;
      return remember(job_step::send(
          request("PUT", "/jobs/ingest/" + job_id_ + "/batches", upload_csv(), "text/csv")));
    }
    case phase::upload:
      phase_ = phase::close;
      return remember(job_step::send(
          request("PATCH", "/jobs/ingest/" + job_id_, R"({"state":"UploadComplete"})")));
    case phase::close:
      closed_ = true;
      poll_delay_ = poll_initial_;
      return poll(poll_delay_);
    case phase::poll: {
      auto info = nlohmann::json::parse(response.body, nullptr, false);
      auto state = json_text(info, "state");
      if (state == "JobComplete" || state == "Failed" || state == "Aborted") {
        job_error_ = json_text(info, "errorMessage");
        return fetch(phase::successes);
      }
      poll_delay_ = std::min(poll_max_, std::max(poll_initial_, poll_delay_ * 2));
      return poll(poll_delay_);
    }
    case phase::successes:
    case phase::failures:
    case phase::unprocessed:
      if (!read_results(response.body, phase_))
        return job_step::fail(batch_verdict::whole(batch_verdict::kind::retry,
                                                   "job " + job_id_ + " results are not CSV"));
      if (phase_ == phase::successes)
        return fetch(phase::failures);
      if (phase_ == phase::failures)
        return fetch(phase::unprocessed);
      return finish();
  }
  return finish();
}

bool salesforce_bulk_job::read_results(const std::string& csv, phase p) {
  auto rows = parse_csv(csv);
  if (!rows)
    return false;
  if (rows->empty())
    return true;
  const auto& header = rows->front();
  auto column = [&](const std::string& name) -> std::optional<size_t> {
    auto it = std::find(header.begin(), header.end(), name);
    return it == header.end() ? std::nullopt : std::optional<size_t>(it - header.begin());
  };
  // Results repeat the uploaded columns: the key (or Id for deletes) finds the record.
  auto key = column(remove_ ? "Id" : dest_.external_id_field());
  if (remove_ && p == phase::successes)
    key = column("sf__Id");
  auto id = column("sf__Id");
  auto error = column("sf__Error");
  if (!key)
    return p == phase::unprocessed && rows->size() == 1;
  for (size_t i = 1; i < rows->size(); ++i) {
    const auto& row = (*rows)[i];
    if (*key >= row.size())
      continue;
    auto it = index_.find(row[*key]);
    if (it == index_.end())
      continue;
    known_[it->second] = true;
    auto& outcome = outcomes_[it->second];
    if (p == phase::successes) {
      outcome = record_outcome::delivered(id && *id < row.size() ? row[*id] : std::string());
    } else if (p == phase::failures) {
      auto text = error && *error < row.size() ? row[*error] : std::string("failed");
      bool transient = text.rfind("UNABLE_TO_LOCK_ROW", 0) == 0;
      bool gone = remove_ && text.rfind("ENTITY_IS_DELETED", 0) == 0;
      outcome = gone        ? record_outcome::delivered()
                : transient ? record_outcome::retryable(bulk_error(text))
                            : record_outcome::rejected(bulk_error(text));
    } else {
      outcome = record_outcome::retryable("job " + job_id_ + " did not process this record");
    }
  }
  return true;
}

job_step salesforce_bulk_job::finish() {
  for (size_t i = 0; i < outcomes_.size(); ++i) {
    if (remove_ && batch_.records[i].dest_id.empty())
      outcomes_[i] = record_outcome::rejected(
          "no Salesforce id is known for this key, so it cannot be deleted");
    else if (!known_[i] && !job_error_.empty())
      outcomes_[i] = record_outcome::rejected("job " + job_id_ + " failed: " + job_error_);
  }
  return job_step::finished(std::move(outcomes_));
}

}  // namespace backflow
