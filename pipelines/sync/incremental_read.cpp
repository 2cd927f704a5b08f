// Incremental reads by cursor (see incremental_read.hpp).
#include "pipelines/sync/incremental_read.hpp"

#include <chrono>

#define XXH_INLINE_ALL
#include <xxhash.h>

#include "connectors/sources/registry.hpp"
#include "connectors/sources/source_location.hpp"
#include "connectors/sources/source_text.hpp"
#include "pipelines/core/clock.hpp"

namespace backflow {
namespace {

std::string hex64(uint64_t v) {
  static const char* digits = "0123456789abcdef";
  std::string out(16, '0');
  for (int i = 15; i >= 0; --i, v >>= 4)
    out[static_cast<size_t>(i)] = digits[v & 15];
  return out;
}

std::string duration_text(long long ms) {
  if (ms % 3'600'000 == 0)
    return std::to_string(ms / 3'600'000) + "h";
  if (ms % 60'000 == 0)
    return std::to_string(ms / 60'000) + "m";
  if (ms % 1000 == 0)
    return std::to_string(ms / 1000) + "s";
  return std::to_string(ms) + "ms";
}

}  // namespace

nlohmann::json read_window::to_json() const {
  nlohmann::json j = {{"cursor", cursor},           {"windowed", windowed},
                      {"mark_before", mark_before}, {"mark_after", mark_after},
                      {"deletes", deletes},         {"rows_read", rows_read}};
  if (windowed) {
    j["from"] = from;
    j["kind"] = kind;
  } else {
    j["full_read_reason"] = full_reason;
  }
  if (key_scan) {
    j["keys_scanned"] = keys_scanned;
    j["key_scan_skipped"] = key_scan_skipped;
  }
  return j;
}

std::string read_window_text(const nlohmann::json& w) {
  auto text = [&w](const char* key) { return w.value(key, std::string()); };
  std::string out;
  if (w.value("windowed", false))
    out = "rows with " + text("cursor") + " >= " + text("from") + " or NULL (mark " +
          text("mark_before") + ")";
  else
    out = "the whole model (" + text("full_read_reason") + ")";
  out += "; " + std::to_string(w.value("rows_read", uint64_t{0})) + " rows read";
  auto keys = std::to_string(w.value("keys_scanned", uint64_t{0}));
  if (text("deletes") == "key_scan" && w.value("key_scan_skipped", false))
    out += "; no delete: the model's " + keys + " rows are all synced or new keys";
  else if (text("deletes") == "key_scan")
    out += "; deletes by key scan (" + keys + " keys)";
  else if (text("deletes") == "none")
    out += "; deletes are not detected in this run";
  auto after = text("mark_after");
  return out + "; mark after commit: " + (after.empty() ? std::string("none") : after);
}

std::string read_digest(const sync_config& cfg) {
  std::string what = source_location(cfg.source);
  what.push_back('\0');
  what += cfg.source.query;
  what.push_back('\0');
  what += cfg.source.incremental ? cfg.source.incremental->cursor : std::string();
  return hex64(XXH3_64bits(what.data(), what.size()));
}

read_window plan_read(const sync_config& cfg, const std::optional<state::cursor_mark>& mark,
                      bool retry_all, int64_t now_ms) {
  const auto& inc = *cfg.source.incremental;
  read_window w;
  w.cursor = inc.cursor;
  if (mark)
    w.mark_before = mark->value;
  auto full = [&w](std::string why) {
    w.windowed = false;
    w.full_reason = std::move(why);
    w.deletes = "full_read";
    return w;
  };
  if (!mark)
    return full("first incremental read: no mark yet");
  if (mark->read_digest != read_digest(cfg))
    return full("the query, cursor or warehouse changed since the mark was taken");
  if (mark->kind.empty())
    return full("no row had a cursor value yet");
  if (retry_all)
    return full("rejected records are planned again (retry_rejected \"always\", `backflow retry`, "
                "or a new mapping or mode), and they may lie behind the mark");
  if (inc.delete_detection == incremental_read::deletes::periodic_full_scan) {
    auto last = parse_cursor_text(cursor_kind::timestamp, mark->full_read_at);
    if (!last || now_ms - last->order / 1000 >= inc.full_scan_every_ms)
      return full("full_scan_every " + duration_text(inc.full_scan_every_ms) +
                  ": the last full read was at " +
                  (mark->full_read_at.empty() ? std::string("an unknown time") : mark->full_read_at));
  }
  auto kind = cursor_kind_named(mark->kind);
  auto value = kind ? parse_cursor_text(*kind, mark->value) : std::nullopt;
  if (!value)
    return full("the stored mark \"" + mark->value + "\" is unreadable");
  w.windowed = true;
  w.kind = mark->kind;
  w.from = window_start(*value, inc.lookback_ms);
  w.key_scan = inc.delete_detection == incremental_read::deletes::key_scan;
  w.deletes = w.key_scan ? "key_scan" : "none";
  return w;
}

source_spec read_spec(const source_spec& model, const read_window& w) {
  if (!w.windowed)
    return model;
  source_spec spec = model;
  bool integer = w.kind == "integer";
  spec.query = find_source_type(model.type)->window_query(model.query, w.cursor, integer);
  spec.params = {query_param{w.from, integer}};
  return spec;
}

source_spec key_scan_spec(const source_spec& model, const std::vector<std::string>& keys) {
  source_spec spec = model;
  spec.query = find_source_type(model.type)->key_query(model.query, keys);
  spec.params.clear();
  return spec;
}

source_spec model_count_spec(const source_spec& model) {
  source_spec spec = model;
  spec.query = wrap_model(model.query, "count(*) AS backflow_rows", "");
  spec.params.clear();
  return spec;
}

cursor_tracker::cursor_tracker(std::unique_ptr<source_cursor> inner, size_t column,
                               std::string name)
    : inner_(std::move(inner)), column_(column), name_(std::move(name)) {}

result<size_t> cursor_tracker::fetch(packed_rows& out, size_t max_rows) {
  const size_t first = out.size();
  auto got = inner_->fetch(out, max_rows);
  if (!got)
    return got;
  std::string why;
  for (size_t i = first; i < out.size(); ++i) {
    ++rows_;
    row_reader reader(out[i]);
    cell c;
    bool ok = true;
    for (size_t col = 0; col <= column_ && ok; ++col)
      ok = reader.next(c);
    if (!ok)
      continue;  // a malformed row: the diff names it
    auto value = cursor_value_of(c, why);
    if (!value && !why.empty())
      return failure{"source.incremental.cursor: column \"" + name_ + "\" " + why + " (row " +
                     std::to_string(rows_) + " of this read)"};
    if (!value)
      continue;  // NULL: read every run, never moves the mark
    if (highest_ && highest_->kind != value->kind)
      return failure{"source.incremental.cursor: column \"" + name_ + "\" mixes integers and "
                     "timestamps (row " + std::to_string(rows_) + " holds " + value->text + ")"};
    if (!highest_ || *highest_ < *value)
      highest_ = std::move(value);
  }
  return got;
}

state::cursor_mark next_mark(const sync_config& cfg, const std::optional<state::cursor_mark>& before,
                             const read_window& w, const std::optional<cursor_value>& highest,
                             uint64_t run_id, int64_t started_ms) {
  state::cursor_mark m;
  m.cursor = w.cursor;
  m.read_digest = read_digest(cfg);
  m.run_id = run_id;
  m.full_read_at = w.windowed && before
                       ? before->full_read_at
                       : iso8601(std::chrono::system_clock::time_point(
                             std::chrono::milliseconds(started_ms)));
  std::optional<cursor_value> best = highest;
  if (w.windowed && before && !before->kind.empty()) {
    // The window starts behind the mark: a run that read nothing newer keeps it.
    auto kind = cursor_kind_named(before->kind);
    auto stored = kind ? parse_cursor_text(*kind, before->value) : std::nullopt;
    if (stored && (!best || (best->kind == stored->kind && *best < *stored)))
      best = std::move(stored);
  }
  if (best) {
    m.kind = to_string(best->kind);
    m.value = best->text;
  }
  return m;
}

}  // namespace backflow
