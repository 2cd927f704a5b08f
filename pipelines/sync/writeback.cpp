// Write-back of runs, outcomes and ids into a warehouse (see writeback.hpp).
#include "pipelines/sync/writeback.hpp"

#include <chrono>
#include <map>

#include <spdlog/spdlog.h>

#include "pipelines/core/clock.hpp"
#include "pipelines/core/crypto.hpp"
#include "state/outcome_log.hpp"

namespace backflow {
namespace {

using wb_cell = std::optional<std::string>;

wb_cell wb_text_or_null(const std::string& s) {
  return s.empty() ? wb_cell() : wb_cell(s);
}

wb_cell wb_count_of(const nlohmann::json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_number_integer())
    return wb_cell();
  return it->is_number_unsigned() ? std::to_string(it->get<uint64_t>())
                                  : std::to_string(it->get<int64_t>());
}

wb_cell wb_string_of(const nlohmann::json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? wb_text_or_null(it->get<std::string>()) : wb_cell();
}

wb_row wb_run_row(const std::string& sync, const nlohmann::json& run) {
  auto counts = run.value("counts", nlohmann::json::object());
  wb_row row = {sync, wb_count_of(run, "run_id"), wb_string_of(run, "status"),
                wb_string_of(run, "started_at"), wb_string_of(run, "finished_at"),
                wb_count_of(run, "duration_ms")};
  for (const char* c : {"extracted", "added", "changed", "deleted", "unchanged", "delivered",
                        "rejected", "skipped", "failed"})
    row.push_back(wb_count_of(counts, c));
  row.push_back(wb_count_of(run, "api_calls"));
  row.push_back(wb_count_of(run, "resumed_from"));
  row.push_back(wb_string_of(run, "error"));
  return row;
}

/// "2026-11-06T13:25:00.000Z": `retention` before now.
std::string wb_cutoff(std::chrono::milliseconds retention) {
  auto at = wall_now() - retention;
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(at.time_since_epoch()).count();
  auto text = iso8601(at);  // "...:SSZ"
  char frac[8];
  std::snprintf(frac, sizeof frac, ".%03dZ", static_cast<int>(((ms % 1000) + 1000) % 1000));
  return text.substr(0, text.size() - 1) + frac;
}

/// One batch of the outcome log as rows: the last outcome of a key in a run wins, and the last
/// operation on a key decides its sync_ids row.
wb_batch outcome_batch(const std::string& sync, const std::vector<state::outcome_entry>& entries,
                       writeback_report& report) {
  std::map<std::pair<uint64_t, std::string>, wb_row> records;
  std::map<std::string, std::optional<wb_row>> ids;  // nullopt: delete the key's row
  for (const auto& e : entries) {
    auto hash = sha256_hex(e.key);
    records[{e.run_id, hash}] = {sync, std::to_string(e.run_id), hash, e.key, e.operation,
                                 e.outcome, wb_text_or_null(e.reason), wb_text_or_null(e.dest_id),
                                 wb_text_or_null(e.fields), e.settled_at};
    if (e.outcome != "delivered")
      continue;
    if (e.operation == "deleted")
      ids[hash] = std::nullopt;
    else
      ids[hash] = wb_row{sync, hash, e.key, wb_text_or_null(e.dest_id), std::to_string(e.run_id),
                         e.settled_at};
  }
  wb_rows record_rows{&sync_records_table(), {}};
  for (auto& [k, row] : records)
    record_rows.rows.push_back(std::move(row));
  wb_rows id_rows{&sync_ids_table(), {}};
  wb_rows id_deletes{&sync_ids_table(), {}};
  for (auto& [hash, row] : ids) {
    if (row)
      id_rows.rows.push_back(std::move(*row));
    else
      id_deletes.rows.push_back(wb_row{sync, hash});
  }
  report.records += record_rows.rows.size();
  report.ids += id_rows.rows.size() + id_deletes.rows.size();
  return {{std::move(record_rows), std::move(id_rows)}, {std::move(id_deletes)}};
}

status write_runs(warehouse_writer& w, const writeback_config& cfg, const state::sync_state& st,
                  writeback_report& report) {
  for (;;) {
    auto runs = st.runs_after(state::written_back_run(st), cfg.batch_rows);
    if (runs.empty())
      return {};
    wb_rows rows{&sync_runs_table(), {}};
    uint64_t last = 0;
    for (const auto& run : runs) {
      rows.rows.push_back(wb_run_row(st.name(), run));
      last = std::max(last, run.value("run_id", uint64_t{0}));
    }
    if (auto done = w.apply(cfg.schema, {{rows}, {}}); !done)
      return done;
    state::set_written_back_run(st, last);
    report.runs += rows.rows.size();
  }
}

/// Once per sync: the keys synced before write-back began (or whose log was lost) into sync_ids,
/// before the log is applied on top (it ends with each key's latest outcome). Repeatable: a
/// crash midway starts it over, and each row replaces itself.
status backfill_ids(warehouse_writer& w, const writeback_config& cfg, const state::sync_state& st,
                    writeback_report& report) {
  if (state::ids_backfilled(st))
    return {};
  const auto now = state::outcome_time_now();
  std::string after;
  for (;;) {
    auto page = state::synced_ids(st, after, cfg.batch_rows);
    if (page.empty())
      break;
    wb_rows rows{&sync_ids_table(), {}};
    for (const auto& id : page)
      rows.rows.push_back(wb_row{st.name(), sha256_hex(id.key), id.key,
                                 wb_text_or_null(id.dest_id), wb_cell(), now});
    if (auto done = w.apply(cfg.schema, {{rows}, {}}); !done)
      return done;
    report.ids += rows.rows.size();
  }
  state::set_ids_backfilled(st);
  return {};
}

status write_outcomes(warehouse_writer& w, const writeback_config& cfg,
                      const state::sync_state& st, writeback_report& report) {
  for (;;) {
    auto entries = state::read_outcomes(st, cfg.batch_rows);
    if (entries.empty())
      return {};
    auto batch = outcome_batch(st.name(), entries, report);
    if (auto done = w.apply(cfg.schema, batch); !done)
      return done;
    // Only once the warehouse committed: a crash before this line repeats the batch, which
    // replaces the same rows.
    state::drop_outcomes(st, entries.back().seq);
  }
}

status prune_old(warehouse_writer& w, const writeback_config& cfg, const state::sync_state& st,
             uint64_t current_run) {
  if (cfg.retention.count() == 0)
    return {};
  auto before = wb_cutoff(cfg.retention);
  if (auto done = w.prune(cfg.schema, sync_runs_table(), st.name(), "started_at", before,
                          "run_id", current_run);
      !done)
    return done;
  return w.prune(cfg.schema, sync_records_table(), st.name(), "settled_at", before, "run_id",
                 current_run);
}

status write_all(const writeback_config& cfg, const state::sync_state& st, uint64_t current_run,
                 writeback_report& report) {
  auto writer = open_writer(cfg.connection);
  if (!writer)
    return writer.error();
  auto& w = **writer;
  if (auto ready = w.prepare(cfg.schema, {&sync_runs_table(), &sync_records_table(),
                                          &sync_ids_table()});
      !ready)
    return ready;
  if (auto runs = write_runs(w, cfg, st, report); !runs)
    return runs;
  if (auto ids = backfill_ids(w, cfg, st, report); !ids)
    return ids;
  if (auto outcomes = write_outcomes(w, cfg, st, report); !outcomes)
    return outcomes;
  return prune_old(w, cfg, st, current_run);
}

}  // namespace

const wb_table& sync_runs_table() {
  using k = wb_kind;
  static const wb_table t{"sync_runs",
                          {{"sync", k::short_text},     {"run_id", k::integer},
                           {"status", k::short_text},   {"started_at", k::timestamp},
                           {"finished_at", k::timestamp}, {"duration_ms", k::integer},
                           {"extracted", k::integer},   {"added", k::integer},
                           {"changed", k::integer},     {"deleted", k::integer},
                           {"unchanged", k::integer},   {"delivered", k::integer},
                           {"rejected", k::integer},    {"skipped", k::integer},
                           {"failed", k::integer},      {"api_calls", k::integer},
                           {"resumed_from", k::integer}, {"error", k::text}},
                          2};
  return t;
}

const wb_table& sync_records_table() {
  using k = wb_kind;
  static const wb_table t{"sync_records",
                          {{"sync", k::short_text},
                           {"run_id", k::integer},
                           {"key_hash", k::short_text},
                           {"key", k::text},
                           {"operation", k::short_text},
                           {"outcome", k::short_text},
                           {"reason", k::text},
                           {"destination_id", k::text},
                           {"fields", k::json},
                           {"settled_at", k::timestamp}},
                          3};
  return t;
}

const wb_table& sync_ids_table() {
  using k = wb_kind;
  static const wb_table t{"sync_ids",
                          {{"sync", k::short_text},
                           {"key_hash", k::short_text},
                           {"key", k::text},
                           {"destination_id", k::text},
                           {"run_id", k::integer},
                           {"updated_at", k::timestamp}},
                          2};
  return t;
}

nlohmann::json writeback_report::to_json() const {
  nlohmann::json j = {{"status", ok ? "written" : "failed"},
                      {"runs", runs},
                      {"records", records},
                      {"ids", ids},
                      {"pending", pending},
                      {"ms", ms}};
  if (!error.empty())
    j["error"] = error;
  return j;
}

writeback_report write_back(const writeback_config& cfg, const state::sync_state& st,
                            uint64_t current_run) {
  writeback_report report;
  auto started = std::chrono::steady_clock::now();
  try {
    spdlog::info("Writing back: sync={} run={} outcomes={}", st.name(), current_run,
                 state::count_outcomes(st));
    if (auto done = write_all(cfg, st, current_run, report); !done) {
      report.ok = false;
      report.error = st.redaction().text(done.error().message);
    }
  } catch (const std::exception& e) {
    report.ok = false;
    report.error = st.redaction().text(std::string("writeback: ") + e.what());
  }
  try {
    report.pending = state::count_outcomes(st);
  } catch (const std::exception&) {
    report.ok = false;  // the state failed above already, or fails now: say so, send nothing
  }
  report.ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                  std::chrono::steady_clock::now() - started)
                  .count();
  if (report.ok)
    spdlog::info("Written back: sync={} run={} runs={} records={} ids={} ms={}", st.name(),
                 current_run, report.runs, report.records, report.ids, report.ms);
  else
    spdlog::warn("Write-back failed: sync={} run={} pending={} error=\"{}\"", st.name(),
                 current_run, report.pending, report.error);
  return report;
}

}  // namespace backflow
