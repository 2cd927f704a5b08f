// Typed messages and actor interfaces of the sync pipeline, with CAF 0.17 inspect overloads.
//
//  plan:   extract ──planned_batch──► diff ──► change set (LMDB) ──plan_result──► coordinator
//            ▲        credit        │
//            └──────────────────────┘
//  apply:  read ──change_batch──► map ──record_batch──► batch ──delivery_batch──► deliver ──► HTTP
//            ▲       credit        │ ▲     credit        │ ▲       credit           │  ▲ tokens
//            └─────────────────────┘ └───────────────────┘ └────────────────────────┘  rate limit
//                                   └──settle_batch──► commit (LMDB) ◄──settle_batch──┘
//
// Every edge carries batches, and an upstream sends at most as many as its downstream granted
// (initial window + one credit back per batch consumed), so memory stays flat at any table size.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <caf/all.hpp>

#include "pipelines/core/field_count.hpp"

#include "pipelines/core/row_codec.hpp"
#include "pipelines/diff/plan_counts.hpp"
#include "pipelines/diff/value_inspector.hpp"
#include "pipelines/delivery/delivery_effects.hpp"
#include "pipelines/delivery/http.hpp"
#include "pipelines/delivery/outcome_counts.hpp"
#include "pipelines/delivery/rate_limit_spec.hpp"
#include "pipelines/delivery/record.hpp"
#include "pipelines/diff/row_preparer.hpp"
#include "state/change_set_builder.hpp"
#include "state/sync_state.hpp"

namespace backflow {

/// Rows from the warehouse, in the canonical encoding.
struct row_batch {
  packed_rows rows;
};

/// Entries of the change set, as read back for apply.
struct change_batch {
  std::vector<state::pending_change> changes;
};

/// Mapped records ready to be grouped into requests.
struct record_batch {
  std::vector<std::string> field_names;
  std::vector<outbound_record> records;
};

/// Records whose journey ended, for the commit actor; `api_calls` counts toward the daily quota.
struct settle_batch {
  std::vector<state::settled_record> records;
  int64_t api_calls = 0;
  std::string account;
  std::string finished_job;     ///< checkpoint of a job these records complete (forget it)
  int64_t pause_until_ms = 0;   ///< the destination asked to pause the account until then
  std::string quota_day;        ///< the account's quota day the calls count toward
};

/// An asynchronous job to remember until its records settle (resumed after a crash).
struct job_record {
  std::string checkpoint;
  std::string batch_id;
  std::vector<std::string> keys;
  std::string replaces;  ///< an earlier checkpoint for the same records, to forget
};

/// The rate limiter's answer to an acquire: granted, or why not (e.g. the daily quota is spent).
struct acquire_result {
  bool granted = true;
  std::string reason;
  int64_t retry_at_ms = 0;  ///< refused: when calls may be made again (unix ms), if known
};

/// How delivery ended, from the deliver actor to the coordinator. Outcome counts come from the
/// commit actor (outcome_counts, summed in run_progress), which sees every settlement.
using apply_report = delivery::delivery_report;

/// The plan's outcome, from the diff actor to the coordinator.
struct plan_result {
  state::diff_tally tally;
  value_findings values;  ///< bad values and the kinds each column held
  std::string error;  ///< the source or state failed: nothing was planned
  bool damaged = false;  ///< the failure was a damaged state directory
};

// -- inspect overloads (CAF 0.17) -------------------------------------------------------------
// Each overload lists every field by hand; these fail the build when a struct gains a field that
// its overload leaves out (update both).
static_assert(field_count<hash128>() == 2, "inspect(hash128) must list every field");
static_assert(field_count<http_header>() == 2, "inspect(http_header) must list every field");
static_assert(field_count<http_response>() == 6, "inspect(http_response) must list every field");
static_assert(field_count<packed_rows>() == 2, "inspect(packed_rows) must list every field");
static_assert(field_count<row_batch>() == 1, "inspect(row_batch) must list every field");
static_assert(field_count<span_tag>() == 3, "inspect(span_tag) must list every field");
static_assert(field_count<known_span>() == 2, "inspect(known_span) must list every field");
static_assert(field_count<planned_rows>() == 6, "inspect(planned_rows) must list every field");
static_assert(field_count<planned_batch>() == 3, "inspect(planned_batch) must list every field");
static_assert(field_count<change_batch>() == 1, "inspect(change_batch) must list every field");
static_assert(field_count<outbound_record>() == 6, "inspect(outbound_record) must list every field");
static_assert(field_count<record_batch>() == 2, "inspect(record_batch) must list every field");
static_assert(field_count<delivery_batch>() == 8, "inspect(delivery_batch) must list every field");
static_assert(field_count<settle_batch>() == 6, "inspect(settle_batch) must list every field");
static_assert(field_count<job_record>() == 4, "inspect(job_record) must list every field");
static_assert(field_count<destination_notes>() == 2, "inspect(destination_notes) must list every field");
static_assert(field_count<outcome_counts>() == 5, "inspect(outcome_counts) must list every field");
static_assert(field_count<acquire_result>() == 3, "inspect(acquire_result) must list every field");
static_assert(field_count<rate_limit_spec>() == 5, "inspect(rate_limit_spec) must list every field");
static_assert(field_count<apply_report>() == 9, "inspect(apply_report) must list every field");
static_assert(field_count<plan_result>() == 4, "inspect(plan_result) must list every field");
static_assert(field_count<plan_counts>() == 9, "inspect(plan_result) must list every plan count");
// diff_tally is its plan_counts base (one member here) and the key scan's count, the bad keys and samples.
static_assert(field_count<state::diff_tally>() == 1 + 8, "inspect(plan_result) must list every tally field");
static_assert(field_count<value_findings>() == 4, "inspect(plan_result) must list every finding");
static_assert(field_count<state::pending_change>() == 2, "inspect(pending_change) must list every field");
static_assert(field_count<state::change_record>() == 8, "inspect(pending_change) must list every change field");
static_assert(field_count<state::settled_record>() == 6, "inspect(settled_record) must list every field");

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, hash128& x) {
  return f(caf::meta::type_name("hash128"), x.low, x.high);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, http_header& x) {
  return f(caf::meta::type_name("http_header"), x.name, x.value);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, http_response& x) {
  return f(caf::meta::type_name("http_response"), x.status, x.body, x.headers, x.transport_error,
           x.request_sent, x.elapsed_seconds);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, packed_rows& x) {
  return f(caf::meta::type_name("packed_rows"), x.bytes, x.ends);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, row_batch& x) {
  return f(caf::meta::type_name("row_batch"), x.rows);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, span_tag& x) {
  return f(caf::meta::type_name("span_tag"), x.digest, x.rows, x.recordable);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, known_span& x) {
  return f(caf::meta::type_name("known_span"), x.digest, x.rows);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, planned_rows& x) {
  return f(caf::meta::type_name("planned_rows"), x.keys, x.payloads, x.hashes, x.mapping_failed,
           x.identities, x.spans);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, planned_batch& x) {
  return f(caf::meta::type_name("planned_batch"), x.rows, x.null_key_rows, x.known);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, value_findings& x) {
  return f(caf::meta::type_name("value_findings"), x.bad_values, x.samples, x.kinds,
           x.uninspected_rows);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, change_batch& x) {
  return f(caf::meta::type_name("change_batch"), x.changes);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, outbound_record& x) {
  return f(caf::meta::type_name("outbound_record"), x.key, x.op, x.hash, x.dest_id, x.fields,
           x.retire);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, record_batch& x) {
  return f(caf::meta::type_name("record_batch"), x.field_names, x.records);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, delivery_batch& x) {
  return f(caf::meta::type_name("delivery_batch"), x.batch_id, x.session, x.field_names,
           x.records, x.sequence, x.last, x.total, x.as_job);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, settle_batch& x) {
  return f(caf::meta::type_name("settle_batch"), x.records, x.api_calls, x.account,
           x.finished_job, x.pause_until_ms, x.quota_day);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, job_record& x) {
  return f(caf::meta::type_name("job_record"), x.checkpoint, x.batch_id, x.keys, x.replaces);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, destination_notes& x) {
  return f(caf::meta::type_name("destination_notes"), x.counters, x.samples);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, outcome_counts& x) {
  return f(caf::meta::type_name("outcome_counts"), x.delivered, x.rejected, x.skipped, x.failed,
           x.retried);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, acquire_result& x) {
  return f(caf::meta::type_name("acquire_result"), x.granted, x.reason, x.retry_at_ms);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, rate_limit_spec& x) {
  return f(caf::meta::type_name("rate_limit_spec"), x.requests_per_window, x.window, x.daily,
           x.daily_budget, x.day_offset);
}

namespace delivery {  // beside the type, where CAF's lookup finds it

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, delivery_report& x) {
  return f(caf::meta::type_name("apply_report"), x.failed, x.retried, x.api_calls, x.splits,
           x.jobs, x.rate_limit_wait_ms, x.fatal, x.notes, x.unanswered_at_ms);
}

}  // namespace delivery

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, plan_result& x) {
  auto& t = x.tally;
  return f(caf::meta::type_name("plan_result"), t.extracted, t.added, t.changed, t.deleted,
           t.unchanged, t.unchanged_rejected, t.resent_rejected, t.not_updated, t.stored_before, t.key_scanned,
           t.null_keys, t.null_key_rows,
           t.duplicate_keys, t.duplicate_samples, t.added_samples, t.changed_samples,
           t.deleted_samples, x.values.bad_values, x.values.samples, x.values.kinds, x.error,
           x.damaged);
}

namespace state {

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, pending_change& x) {
  return f(caf::meta::type_name("pending_change"), x.key, x.change.kind, x.change.hash,
           x.change.dest_id, x.change.payload, x.change.mapping_failed, x.change.long_key,
           x.change.identity_moved, x.change.keep_identity);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, settled_record& x) {
  return f(caf::meta::type_name("settled_record"), x.key, x.change, x.hash, x.how, x.dest_id,
           x.reason);
}

}  // namespace state
}  // namespace backflow

CAF_BEGIN_TYPE_ID_BLOCK(backflow, caf::first_custom_type_id)
  CAF_ADD_TYPE_ID(backflow, (backflow::row_batch))
  CAF_ADD_TYPE_ID(backflow, (backflow::change_batch))
  CAF_ADD_TYPE_ID(backflow, (backflow::record_batch))
  CAF_ADD_TYPE_ID(backflow, (backflow::delivery_batch))
  CAF_ADD_TYPE_ID(backflow, (backflow::settle_batch))
  CAF_ADD_TYPE_ID(backflow, (backflow::job_record))
  CAF_ADD_TYPE_ID(backflow, (backflow::outcome_counts))
  CAF_ADD_TYPE_ID(backflow, (backflow::acquire_result))
  CAF_ADD_TYPE_ID(backflow, (backflow::rate_limit_spec))
  CAF_ADD_TYPE_ID(backflow, (backflow::apply_report))
  CAF_ADD_TYPE_ID(backflow, (backflow::plan_result))
  CAF_ADD_TYPE_ID(backflow, (backflow::http_response))
  CAF_ADD_TYPE_ID(backflow, (backflow::planned_batch))
  CAF_ADD_TYPE_ID(backflow, (backflow::value_findings))
  CAF_ADD_ATOM(backflow, backflow::atoms, credit_atom, "credit")
  CAF_ADD_ATOM(backflow, backflow::atoms, end_atom, "end")
  CAF_ADD_ATOM(backflow, backflow::atoms, pump_atom, "pump")
  CAF_ADD_ATOM(backflow, backflow::atoms, acquire_atom, "acquire")
  CAF_ADD_ATOM(backflow, backflow::atoms, pause_atom, "pause")
  CAF_ADD_ATOM(backflow, backflow::atoms, limits_atom, "limits")
  CAF_ADD_ATOM(backflow, backflow::atoms, daily_atom, "daily")
  CAF_ADD_ATOM(backflow, backflow::atoms, retry_atom, "retry")
  CAF_ADD_ATOM(backflow, backflow::atoms, http_atom, "http")
  CAF_ADD_ATOM(backflow, backflow::atoms, fail_atom, "fail")
  CAF_ADD_ATOM(backflow, backflow::atoms, stop_atom, "stop")
  CAF_ADD_ATOM(backflow, backflow::atoms, advertise_atom, "advertise")
  CAF_ADD_ATOM(backflow, backflow::atoms, resume_atom, "resume")
  CAF_ADD_ATOM(backflow, backflow::atoms, unpause_atom, "unpause")
CAF_END_TYPE_ID_BLOCK(backflow)

namespace backflow {

using namespace atoms;

// -- actor interfaces --------------------------------------------------------------------------

/// Streams the model's rows to the diff; pumps on start and on each credit returned.
using extract_actor = caf::typed_actor<caf::reacts_to<pump_atom>, caf::reacts_to<credit_atom, uint32_t>>;

/// Diffs rows into the change set; reports a plan_result to the coordinator at the end.
using diff_actor = caf::typed_actor<caf::reacts_to<planned_batch>,
                                    caf::reacts_to<end_atom, value_findings>,
                                    caf::reacts_to<fail_atom, std::string>>;

/// Reads the change set back in key order, one batch per credit.
using change_reader_actor =
    caf::typed_actor<caf::reacts_to<pump_atom>, caf::reacts_to<credit_atom, uint32_t>>;

/// Maps changes to destination fields (or settles those the mode does not send).
using map_actor = caf::typed_actor<caf::reacts_to<change_batch>, caf::reacts_to<end_atom>,
                                   caf::reacts_to<credit_atom, uint32_t>>;

/// Groups records into requests of the destination's batch size.
using batch_actor = caf::typed_actor<caf::reacts_to<record_batch>, caf::reacts_to<end_atom>,
                                     caf::reacts_to<credit_atom, uint32_t>>;

/// Sends requests, classifies answers, retries, splits, and hands outcomes to commit.
using deliver_actor = caf::typed_actor<
    caf::reacts_to<delivery_batch>, caf::reacts_to<end_atom>,
    caf::reacts_to<resume_atom, delivery_batch, std::string>,
    caf::reacts_to<http_atom, uint64_t, http_response>,
    caf::reacts_to<retry_atom, uint64_t>, caf::reacts_to<stop_atom, std::string>>;

/// Owns the LMDB write transaction for settled records (and remembers running jobs); answers
/// with the outcomes it wrote.
using commit_actor = caf::typed_actor<caf::replies_to<settle_batch>::with<outcome_counts>,
                                      caf::replies_to<job_record>::with<outcome_counts>>;

/// Token buckets, pauses and daily quotas per destination account, shared by every sync of a
/// process. An acquire names the longest pause its caller will wait out (ms); beyond it, refused.
using rate_limiter_actor = caf::typed_actor<
    caf::replies_to<acquire_atom, std::string, int64_t>::with<acquire_result>,
    caf::reacts_to<limits_atom, std::string, rate_limit_spec, int64_t>,
    caf::reacts_to<advertise_atom, std::string, rate_limit_spec, std::string>,
    caf::reacts_to<pause_atom, std::string, int64_t>,
    caf::reacts_to<unpause_atom, std::string>,
    caf::reacts_to<daily_atom, std::string, int64_t>,
    caf::reacts_to<pump_atom, std::string>>;

}  // namespace backflow
