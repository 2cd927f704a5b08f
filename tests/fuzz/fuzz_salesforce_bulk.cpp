// Fuzzes a Salesforce Bulk API 2.0 job driven through start()/next() by fuzz-written answers.
#include "tests/fuzz/fuzz_support.hpp"
#include "pipelines/delivery/status_classifier.hpp"

using namespace backflow;

// Input: answers separated by "~~~" lines (see fuzz_support.hpp). The first answer's words pick
// the op ("remove") and whether the job is resumed from its checkpoint ("resume").
extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const auto salesforce = fuzz::make_destination(
      "salesforce",
      {{"instance_url", "https://acme.my.salesforce.com"}, {"token", "00Dfuzz!token"},
       {"object", "Contact"}, {"external_id_field", "Ext_Id__c"}, {"bulk_threshold", 2},
       {"bulk_poll_initial", "1s"}, {"bulk_poll_max", "30s"}},
      sync_mode::mirror);
  auto parts = fuzz::split_answers({reinterpret_cast<const char*>(data), size});
  auto first = fuzz::parse_answer(parts.front());
  auto batch = fuzz::contact_batch(fuzz::op_from(first, delivery_op::upsert));
  for (auto& r : batch.records)
    r.key = "A-" + std::to_string(&r - batch.records.data() + 1);  // external ids as in the docs
  batch.as_job = true;
  const size_t n = batch.records.size();
  bool resumed = first.has("resume");
  auto job = resumed ? salesforce->resume_job(batch, "750R0000000fUzZIAU") : salesforce->make_job(batch);
  fuzz::require(job != nullptr, "salesforce offers a job API");
  auto step = job->start();
  fuzz::require(step.what == job_step::kind::send, "a job's first step is a request");
  for (const auto& part : parts) {
    if (step.what != job_step::kind::send)
      break;
    fuzz::require(step.delay.count() >= 0, "a job never asks for a negative delay");
    fuzz::require(!resumed || !job->checkpoint().empty(), "a resumed job keeps its checkpoint");
    auto a = fuzz::parse_answer(part);
    fuzz::check_signal(salesforce->read_rate_signal(a.response));
    // The delivery layer repeats the request itself on transient statuses (deliver_jobs.cpp).
    if (classify_status(a.response.status) == status_class::retryable) {
      fuzz::check_verdict(classify_response(a.response, n), n);
      continue;
    }
    step = job->next(a.response);
  }
  if (step.what == job_step::kind::done)
    fuzz::require(step.outcomes.size() == n, "a finished job has one outcome per record");
  if (step.what == job_step::kind::failed)
    fuzz::check_verdict(step.verdict, n);
  return 0;
}
