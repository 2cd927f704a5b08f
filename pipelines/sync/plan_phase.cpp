// The plan phase: model → extract → diff → change set (see phases.hpp).
#include "pipelines/sync/phases.hpp"

#include <algorithm>

#include "actors/plan_actors.hpp"
#include "connectors/destinations/registry.hpp"
#include "pipelines/core/clock.hpp"
#include "pipelines/core/schema.hpp"
#include "pipelines/sync/guards.hpp"
#include "state/span_memo.hpp"

#define XXH_INLINE_ALL
#include <xxhash.h>

namespace backflow {
namespace {

/// Row batches in flight between extract and diff: the extract may run one diff group (256k
/// rows, and at most 32 MB: spawn_extract) ahead, so it reads while the diff looks a group up.
constexpr uint32_t extract_window = 256;
constexpr size_t extract_batch_rows = 1000;
/// Changes whenever what a span's digest stands for changes (row codec, keys, span cuts).
constexpr uint64_t span_layout = 1;

/// What decides, besides a row's bytes, the key and hash it is planned to: the payload
/// fingerprint (mapping, destination fields), the sync file's payload-shaping parts, and which
/// model columns are kept and keyed. A span remembered under another seed is never matched.
uint64_t span_seed(const sync_config& cfg, const model_shape& shape, size_t model_width) {
  std::vector<uint64_t> words = {span_layout, shape.fingerprint, cfg.config_fingerprint(),
                                 cfg.key_columns.size(), model_width};
  words.insert(words.end(), shape.projection.begin(), shape.projection.end());
  return XXH3_64bits(words.data(), words.size() * sizeof(uint64_t));
}

}  // namespace

state::diff_tally model_tally(const plan_phase_result& planned,
                              const std::optional<state::model_profile>& previous) {
  auto tally = planned.tally;
  if (planned.window && planned.window->windowed)
    tally.extracted = planned.window->key_scan ? tally.key_scanned
                                               : (previous ? previous->rows : tally.extracted);
  return tally;
}

plan_phase_result run_plan_phase(caf::actor_system& sys, const sync_config& cfg,
                                 const std::shared_ptr<state::sync_state>& st, uint64_t run_id,
                                 const std::shared_ptr<run_progress>& progress, progress_line& line,
                                 const std::atomic<bool>* interrupted) {
  plan_phase_result out;
  // retry_rejected "always" (or `backflow retry`): the diff re-plans unchanged rejected records;
  // so does a new mode or mapping (a record update mode refused is welcome in upsert mode).
  st->retry_all_rejects = cfg.retry_rejected == retry_rejected_policy::always ||
                          st->applied_config() != cfg.config_fingerprint();
  // Incremental reads: the window past the committed mark, or the whole model (see plan_read).
  std::optional<state::cursor_mark> mark_before;
  if (cfg.source.incremental) {
    mark_before = state::load_cursor_mark(*st);
    // Rows behind the mark must be read when every payload may change (a new mapping or mode)
    // or when rejected records are to be planned again.
    bool behind_mark = st->applied_config() != cfg.config_fingerprint() ||
                       (st->retry_all_rejects && st->count().rejects > 0);
    out.window = plan_read(cfg, mark_before, behind_mark, wall_now_ms());
  }
  const int64_t read_started_ms = wall_now_ms();
  auto cursor = open_source(out.window ? read_spec(cfg.source, *out.window) : cfg.source);
  if (!cursor) {
    out.error = cursor.error().message;
    // A query the warehouse refuses is the sync file's fault; an unreachable warehouse is not.
    out.failure = out.error.rfind("source.query", 0) == 0 ? run_status::config_error
                                                          : run_status::incomplete;
    return out;
  }
  std::shared_ptr<source_cursor> source;
  std::shared_ptr<cursor_tracker> tracker;  // the highest cursor value read: the next mark
  std::shared_ptr<source_cursor> key_scan;
  std::shared_ptr<source_cursor> model_count;
  auto key_scan_skipped = std::make_shared<bool>(false);
  if (out.window) {
    auto column = find_column((*cursor)->columns(), out.window->cursor);
    if (!column) {
      out.failure = run_status::config_error;
      out.error = "source.incremental.cursor: the model returns no column \"" +
                  out.window->cursor + "\"";
      return out;
    }
    auto model = std::move(*cursor);
    tracker = std::make_shared<cursor_tracker>(std::move(model), *column, out.window->cursor);
    source = tracker;
    if (out.window->key_scan) {
      auto keys = open_source(key_scan_spec(cfg.source, cfg.key_columns));
      if (!keys) {
        out.error = "the key scan could not start: " + keys.error().message;
        return out;
      }
      key_scan = std::move(*keys);
      // Most runs lose no row: a count that proves it spares reading every key.
      auto count = open_source(model_count_spec(cfg.source));
      if (count)
        model_count = std::move(*count);
    }
  } else {
    source = std::move(*cursor);
  }
  // A column the last accepted plan read and the model lost is the model's fault, not the file's.
  auto previous = state::load_model_profile(*st);
  out.problems = vanished_columns(cfg, source->columns(), previous);
  if (!out.problems.empty()) {
    out.failure = run_status::aborted;
    out.error = "the model lost columns the sync sends; nothing was sent";
    return out;
  }
  config_errors column_errors;
  check_model_columns(cfg, source->columns(), column_errors);
  if (!column_errors.empty()) {
    out.failure = run_status::config_error;
    out.problems = column_errors.items();
    out.error = "the model does not return the columns the sync file names";
    return out;
  }
  out.shape = model_shape::of(cfg, source->columns());
  auto mapper = row_mapper::compile(out.shape.mapping, out.shape.projected);
  if (!mapper) {
    out.failure = run_status::config_error;
    out.error = mapper.error().message;
    return out;
  }

  caf::scoped_actor self{sys};
  diff_settings settings;
  settings.state = st;
  settings.run_id = run_id;
  settings.fingerprint = out.shape.fingerprint;
  settings.key_columns = cfg.key_columns.size();
  settings.projection = out.shape.projection;
  settings.model_width = source->columns().size();
  settings.column_names = out.shape.column_names();
  settings.max_value_bytes = cfg.guards.max_value_bytes;
  settings.mapper = std::move(*mapper);
  settings.options.plan_changes = cfg.mode != sync_mode::insert;
  settings.options.removes_orphans = cfg.mode == sync_mode::mirror || cfg.mode == sync_mode::audience;
  if (cfg.mode == sync_mode::audience) {
    // Members are their identifiers: the diff learns each row's identity, to remove one only
    // when no row holds it any more.
    settings.options.track_identities = true;
    std::shared_ptr<const destination> dest =
        find_destination_type(cfg.destination_type)->make(cfg.connector_context(run_id));
    settings.identity = [dest, fields = out.shape.fields](std::string_view payload) {
      return dest->identity(fields, payload);
    };
  }
  settings.options.plan_deletes = !out.window || !out.window->windowed || out.window->key_scan;
  settings.key_scan = key_scan;
  settings.model_count = model_count;
  settings.key_scan_skipped = key_scan_skipped;
  // A whole-model read skips the spans of rows the last plan found unchanged (span_memo.hpp).
  // A window reads too few rows to gain from it; its plan forgets every span (finish()).
  settings.cut_spans = !out.window || !out.window->windowed;
  if (settings.cut_spans) {
    settings.span_seed = span_seed(cfg, out.shape, settings.model_width);
    settings.known_spans =
        std::make_shared<const std::vector<hash128>>(state::remembered_spans(*st));
  }
  auto preparer = make_preparer(settings);
  auto cutter = make_span_cutter(settings);
  auto diff = spawn_diff(sys, std::move(settings), self, progress);
  auto extract = spawn_extract(sys, source, std::move(preparer), std::move(cutter), diff,
                               extract_window,
                               extract_batch_rows, progress);
  self->monitor(diff);

  bool done = false;
  plan_result result;
  while (!done) {
    self->receive(
        [&](plan_result& r) {
          result = std::move(r);
          done = true;
        },
        [&](caf::down_msg& down) {
          if (down.reason && down.reason != caf::exit_reason::normal) {
            result.error = "the diff stopped unexpectedly: " + caf::to_string(down.reason);
            done = true;
          }
        },
        caf::after(std::chrono::milliseconds(200)) >> [&] {
          line.planning(*progress);
          if (interrupted != nullptr && interrupted->load()) {
            result.error = "interrupted while planning; nothing was sent";
            done = true;
          }
        });
  }
  caf::anon_send_exit(extract, caf::exit_reason::user_shutdown);
  if (!result.error.empty()) {
    // Wait for the diff to let go of its write transaction before the change set is cleared.
    caf::anon_send_exit(diff, caf::exit_reason::user_shutdown);
    self->wait_for(diff);
  }
  line.clear();
  if (out.window) {
    out.window->rows_read = result.tally.extracted;
    out.window->keys_scanned = result.tally.key_scanned;
    out.window->key_scan_skipped = *key_scan_skipped;
    out.mark = next_mark(cfg, mark_before, *out.window, tracker->highest(), run_id,
                         read_started_ms);
    out.window->mark_after = out.mark->value;
  }
  if (!result.error.empty()) {
    out.error = result.error;
    if (out.error.rfind("source.incremental", 0) == 0)
      out.failure = run_status::config_error;  // a cursor column that holds no cursor values
    out.damaged = result.damaged;
    // What was read before the failure, not zero: a query failing mid-stream says how far it got.
    out.tally = std::move(result.tally);
    out.tally.extracted = std::max<uint64_t>(out.tally.extracted, progress->extracted);
    return out;
  }
  out.tally = std::move(result.tally);
  out.values = std::move(result.values);
  out.problems = bad_model_problems(out.tally, cfg.key_columns);
  auto model = model_problems(cfg.guards, model_tally(out, previous), out.values,
                              out.shape.column_names(), previous);
  out.problems.insert(out.problems.end(), model.begin(), model.end());
  if (!out.problems.empty()) {
    out.failure = run_status::aborted;
    out.error = "the model looks wrong (see problems); nothing was sent";
    return out;
  }
  out.ok = true;
  return out;
}

}  // namespace backflow
