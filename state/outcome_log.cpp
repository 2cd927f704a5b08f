// The per-run outcome log (see outcome_log.hpp).
#include "state/outcome_log.hpp"

#include <ctime>

#include "pipelines/core/clock.hpp"
#include "pipelines/delivery/payload.hpp"

namespace backflow::state {
namespace {

constexpr uint8_t log_entry_version = 1;
constexpr std::string_view log_seq_key = "outcome_seq";
constexpr std::string_view log_written_run_key = "writeback_run";
constexpr std::string_view log_backfilled_key = "writeback_ids_backfilled";

void put_log_u64(std::string& out, uint64_t v) {
  for (int i = 0; i < 8; ++i)
    out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

bool get_log_u64(std::string_view& in, uint64_t& v) {
  if (in.size() < 8)
    return false;
  v = 0;
  for (int i = 0; i < 8; ++i)
    v |= static_cast<uint64_t>(static_cast<unsigned char>(in[i])) << (8 * i);
  in.remove_prefix(8);
  return true;
}

void put_log_text(std::string& out, std::string_view s) {
  put_log_u64(out, s.size());
  out.append(s);
}

bool get_log_text(std::string_view& in, std::string& s) {
  uint64_t n = 0;
  if (!get_log_u64(in, n) || in.size() < n)
    return false;
  s.assign(in.data(), n);
  in.remove_prefix(n);
  return true;
}

uint64_t read_log_meta(const transaction& txn, const sync_state& st, std::string_view key) {
  auto v = st.meta().get(txn, key);
  return v ? u64_from_key(*v) : 0;
}

}  // namespace

std::string outcome_time_now() {
  auto now = wall_now();
  auto secs = std::chrono::system_clock::to_time_t(now);
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() %
            1000;
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[40];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  char out[48];
  std::snprintf(out, sizeof out, "%s.%03dZ", buf, static_cast<int>(ms));
  return out;
}

namespace {

const char* log_outcome_name(settlement how) {
  switch (how) {
    case settlement::delivered:
      return "delivered";
    case settlement::rejected:
      return "rejected";
    case settlement::forgotten:
      return "forgotten";
    case settlement::skipped:
      return "skipped";
    case settlement::retired:
      return "retired";
  }
  return "unknown";
}

}  // namespace

std::string outcome_entry::encode() const {
  std::string out(1, static_cast<char>(log_entry_version));
  put_log_u64(out, seq);
  put_log_u64(out, run_id);
  for (const auto* s : {&key, &operation, &outcome, &reason, &dest_id, &fields, &settled_at})
    put_log_text(out, *s);
  return out;
}

std::optional<outcome_entry> outcome_entry::decode(std::string_view bytes) {
  if (bytes.empty() || static_cast<uint8_t>(bytes[0]) != log_entry_version)
    return std::nullopt;
  bytes.remove_prefix(1);
  outcome_entry e;
  if (!get_log_u64(bytes, e.seq) || !get_log_u64(bytes, e.run_id))
    return std::nullopt;
  for (auto* s : {&e.key, &e.operation, &e.outcome, &e.reason, &e.dest_id, &e.fields,
                  &e.settled_at})
    if (!get_log_text(bytes, *s))
      return std::nullopt;
  if (!bytes.empty())
    return std::nullopt;
  return e;
}

void log_outcomes(transaction& txn, const sync_state& st, const std::vector<settled_record>& records,
                  uint64_t run_id) {
  if (records.empty())
    return;
  auto fields = st.load_plan(txn).fields;
  auto seq = read_log_meta(txn, st, log_seq_key);
  auto at = outcome_time_now();
  for (const auto& r : records) {
    if (r.how == settlement::retired)
      continue;
    outcome_entry e;
    e.seq = ++seq;
    e.run_id = run_id;
    e.key = r.key;
    e.operation = to_string(r.change);
    e.outcome = log_outcome_name(r.how);
    e.reason = st.redaction().text(r.reason);
    e.dest_id = r.dest_id;
    e.settled_at = at;
    if (auto change = st.load_change(txn, r.key)) {
      // The change set knows what the row did; the settlement only how it was sent (a changed
      // record without a destination id is settled as if added).
      e.operation = to_string(change->kind);
      if (e.dest_id.empty())
        e.dest_id = change->dest_id;
      if (change->kind != change_kind::deleted && !change->mapping_failed &&
          !change->payload.empty())
        e.fields = dump_exact(fields_to_json(fields, change->payload, nullptr,
                                             number_style::exact));
    }
    if (e.dest_id.empty())
      if (auto bytes = st.keys().get(txn, storage_key(r.key)))
        if (auto known = decode_key_record(*bytes))
          e.dest_id = known->dest_id;
    st.outcomes().put(txn, u64_key(e.seq), e.encode());
  }
  st.meta().put(txn, log_seq_key, u64_key(seq));
}

std::vector<outcome_entry> read_outcomes(const sync_state& st, size_t limit) {
  std::vector<outcome_entry> out;
  st.env().read([&](transaction& txn) {
    st.outcomes().scan(txn, {}, [&](std::string_view k, std::string_view v) {
      auto e = outcome_entry::decode(v);
      if (!e)
        st.damaged("outcomes", k);
      out.push_back(std::move(*e));
      return out.size() < limit;
    });
  });
  return out;
}

size_t count_outcomes(const sync_state& st) {
  size_t n = 0;
  st.env().read([&](transaction& txn) { n = st.outcomes().count(txn); });
  return n;
}

void drop_outcomes(const sync_state& st, uint64_t through_seq) {
  st.env().write([&](transaction& txn) {
    std::vector<std::string> gone;
    st.outcomes().scan(txn, {}, [&](std::string_view k, std::string_view) {
      if (u64_from_key(k) > through_seq)
        return false;
      gone.emplace_back(k);
      return true;
    });
    for (const auto& k : gone)
      st.outcomes().del(txn, k);
  });
}

std::vector<synced_id> synced_ids(const sync_state& st, std::string& after, size_t limit) {
  std::vector<synced_id> out;
  st.env().read([&](transaction& txn) {
    bool first = true;
    st.keys().scan(txn, after, [&](std::string_view k, std::string_view v) {
      if (first && !after.empty() && k == after) {
        first = false;
        return true;  // exclusive of where the previous page ended
      }
      first = false;
      after.assign(k.data(), k.size());
      auto record = decode_key_record(v);
      if (!record)
        st.damaged("keys", k);
      if (record->hash != hash128{})
        out.push_back({sync_state::canonical(k, record->long_key), record->dest_id});
      return out.size() < limit;
    });
  });
  return out;
}

void use_outcome_log(sync_state& st, bool on) {
  st.logs_outcomes = on;
  bool backfilled = ids_backfilled(st);
  if (on && !backfilled && st.count().keys == 0)
    set_ids_backfilled(st);
  if (!on && backfilled)
    st.env().write([&](transaction& txn) { st.meta().del(txn, log_backfilled_key); });
}

bool ids_backfilled(const sync_state& st) {
  bool done = false;
  st.env().read([&](transaction& txn) { done = st.meta().get(txn, log_backfilled_key).has_value(); });
  return done;
}

void set_ids_backfilled(const sync_state& st) {
  st.env().write([&](transaction& txn) { st.meta().put(txn, log_backfilled_key, "1"); });
}

uint64_t written_back_run(const sync_state& st) {
  uint64_t run = 0;
  st.env().read([&](transaction& txn) { run = read_log_meta(txn, st, log_written_run_key); });
  return run;
}

void set_written_back_run(const sync_state& st, uint64_t run_id) {
  st.env().write([&](transaction& txn) { st.meta().put(txn, log_written_run_key, u64_key(run_id)); });
}

}  // namespace backflow::state
