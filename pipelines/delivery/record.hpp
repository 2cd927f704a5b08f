// Records on their way to a destination, and what became of each one.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "pipelines/core/hash128.hpp"

namespace backflow {

/// What a destination is asked to do with a record.
enum class delivery_op : uint8_t { upsert = 0, update = 1, insert = 2, remove = 3 };

const char* to_string(delivery_op op);

/// One record on its way to a destination.
struct outbound_record {
  std::string key;      ///< canonical key (composite keys joined as row_key.hpp says)
  delivery_op op = delivery_op::upsert;
  hash128 hash;         ///< committed once the destination acknowledged the record
  std::string dest_id;  ///< the destination's id from an earlier run, if known
  std::string fields;   ///< mapped values (row_codec), in the batch's field_names order
  /// A remove of the identity a changed record was sent with before (`dest_id`), ahead of
  /// sending its new version (audiences, whose members are their identifiers).
  bool retire = false;
};

/// Records sent in one request (or one job), all with the same op unless the destination mixes
/// ops.
struct delivery_batch {
  /// Stable across retries of this request, unique for every distinct delivery: the change
  /// set's random nonce, the pass and a counter (the receiver's idempotency key).
  std::string batch_id;
  /// Shared by the batches of one op in one pass over a change set (e.g. Meta's upload
  /// session): random per change set, so a recreated state directory never reuses one.
  std::string session;
  std::vector<std::string> field_names;
  std::vector<outbound_record> records;
  uint32_t sequence = 0;  ///< 1-based position among this run's batches of the same op
  bool last = false;      ///< the final batch of its op in this run, as far as known
  uint64_t total = 0;     ///< records of this op expected in the run (an estimate)
  bool as_job = false;    ///< deliver through the destination's asynchronous job API
};

/// What happened to one record.
struct record_outcome {
  enum class kind : uint8_t { delivered, retryable, rejected };
  kind what = kind::delivered;
  std::string dest_id;  ///< delivered: the destination's record id, if it gave one
  std::string reason;   ///< retryable or rejected: the vendor's words
  std::chrono::milliseconds retry_after{0};
  /// delivered: a create found the record already there (a CONFLICT). It counts as delivered,
  /// but what it holds is not what was sent: a later upsert sends the row's values.
  bool preexisting = false;

  static record_outcome delivered(std::string id = {}) {
    return {kind::delivered, std::move(id), {}, {}};
  }
  static record_outcome found_existing(std::string id) {
    record_outcome o{kind::delivered, std::move(id), {}, {}};
    o.preexisting = true;
    return o;
  }
  static record_outcome rejected(std::string why) {
    return {kind::rejected, {}, std::move(why), {}};
  }
  static record_outcome retryable(std::string why, std::chrono::milliseconds after = {}) {
    return {kind::retryable, {}, std::move(why), after};
  }
};

/// Destination-specific figures worth reporting in the run summary (e.g. Meta's invalid
/// entries): counters added up over the run, and a few samples.
struct destination_notes {
  std::map<std::string, uint64_t> counters;
  std::vector<std::string> samples;

  void merge(const destination_notes& other, size_t max_samples = 10) {
    for (const auto& [k, v] : other.counters)
      counters[k] += v;
    for (const auto& s : other.samples)
      if (samples.size() < max_samples)
        samples.push_back(s);
  }
};

/// What a response means for the batch that caused it.
struct batch_verdict {
  enum class kind : uint8_t {
    per_record,  ///< `outcomes` holds one outcome per record, in batch order
    retry,       ///< the whole batch may be sent again (after `retry_after`)
    reject,      ///< every record is rejected with `reason`
    split,       ///< rejected as a whole for some bad record: bisect to isolate it
    fatal,       ///< the run cannot go on (credentials, permissions): stop, keep state
  };
  kind what = kind::per_record;
  std::vector<record_outcome> outcomes;
  std::string reason;
  std::chrono::milliseconds retry_after{0};
  destination_notes notes;
  /// The answer refused the request's access token (invalid or expired; see
  /// destination::build_token_request): the batch goes again with a new token (3 at most).
  bool token_rejected = false;

  static batch_verdict all(size_t n, const record_outcome& o) {
    batch_verdict v;
    v.outcomes.assign(n, o);
    return v;
  }
  static batch_verdict whole(kind k, std::string why, std::chrono::milliseconds after = {}) {
    batch_verdict v;
    v.what = k;
    v.reason = std::move(why);
    v.retry_after = after;
    return v;
  }
};

}  // namespace backflow
