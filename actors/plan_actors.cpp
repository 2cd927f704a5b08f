// The plan's actors: extract and diff (see plan_actors.hpp).
#include "actors/plan_actors.hpp"

#include <spdlog/spdlog.h>

#include <deque>
#include <future>
#include <optional>
#include <thread>

#include "state/change_set_builder.hpp"

namespace backflow {
namespace {

/// Planned rows gathered before the diff looks them up: it looks each group up in key order, so
/// the larger the group, the more lookups land on the leaf page of the one before (a model in
/// no key order touches a random page per row otherwise). Each group sweeps most of the keys
/// tree once, and when the tree is larger than the resident budget its pages are let go and
/// faulted back on every sweep: fewer, larger groups mean fewer sweeps (a 1M-key state: 300k
/// page faults a run with 64k-row groups, 112k with 256k). Bounded, so memory stays flat: 32 MB
/// is a fifth of the resident budget.
constexpr size_t diff_group_rows = 262'144;
constexpr size_t diff_group_bytes = size_t{32} << 20;

bool group_full(const planned_rows& planned) {
  return planned.size() >= diff_group_rows || planned.bytes() >= diff_group_bytes;
}

struct extract_state {
  std::shared_ptr<source_cursor> cursor;
  std::unique_ptr<row_preparer> preparer;
  std::unique_ptr<span_cutter> cutter;  ///< null: the rows are prepared as they come
  diff_actor downstream;
  uint32_t credit = 0;
  /// Bytes of the batches sent and not yet credited back, oldest first: the diff takes them in
  /// order, so each credit returns the oldest. At most one diff group's worth is in flight.
  std::deque<size_t> in_flight;
  size_t bytes_in_flight = 0;
  size_t batch_rows = 1000;
  std::shared_ptr<run_progress> progress;
  packed_rows rows;  ///< reused between batches
  bool done = false;
};

void stop(extract_actor::stateful_pointer<extract_state> self) {
  self->state.done = true;
  self->quit();
}

void pump(extract_actor::stateful_pointer<extract_state> self) {
  auto& st = self->state;
  while (st.credit > 0 && st.bytes_in_flight < diff_group_bytes && !st.done) {
    st.rows.clear();
    auto fetched = st.cursor->fetch(st.rows, st.batch_rows);
    if (!fetched) {
      self->send(st.downstream, fail_atom_v, fetched.error().message);
      return stop(self);
    }
    planned_batch batch;
    if (*fetched == 0) {
      try {
        if (st.cutter)  // the last span, which no cut closed
          st.cutter->finish(*st.preparer, batch);
      } catch (const std::exception& e) {
        self->send(st.downstream, fail_atom_v, std::string(e.what()));
        return stop(self);
      }
      if (batch.rows.size() > 0 || !batch.known.empty() || !batch.null_key_rows.empty())
        self->send(st.downstream, std::move(batch));
      self->send(st.downstream, end_atom_v, st.preparer->findings());
      return stop(self);
    }
    st.progress->extracted += *fetched;
    try {
      if (st.cutter)
        st.cutter->cut(st.rows, *st.preparer, batch);
      else
        st.preparer->prepare(st.rows, batch);
    } catch (const std::exception& e) {
      self->send(st.downstream, fail_atom_v, std::string(e.what()));
      return stop(self);
    }
    --st.credit;
    st.in_flight.push_back(batch.rows.bytes());
    st.bytes_in_flight += st.in_flight.back();
    self->send(st.downstream, std::move(batch));
  }
}

extract_actor::behavior_type extract_impl(extract_actor::stateful_pointer<extract_state> self,
                                          std::shared_ptr<source_cursor> cursor,
                                          std::shared_ptr<row_preparer> preparer,
                                          std::shared_ptr<span_cutter> cutter,
                                          diff_actor downstream, uint32_t window,
                                          size_t batch_rows,
                                          std::shared_ptr<run_progress> progress) {
  auto& st = self->state;
  st.cursor = std::move(cursor);
  st.preparer = std::make_unique<row_preparer>(std::move(*preparer));
  if (cutter)
    st.cutter = std::make_unique<span_cutter>(std::move(*cutter));
  st.downstream = std::move(downstream);
  st.credit = window;
  st.batch_rows = batch_rows;
  st.progress = std::move(progress);
  self->send(self, pump_atom_v);
  return {
    [=](pump_atom) { pump(self); },
    [=](credit_atom, uint32_t n) {
      auto& st = self->state;
      st.credit += n;
      for (; n > 0 && !st.in_flight.empty(); --n) {
        st.bytes_in_flight -= st.in_flight.front();
        st.in_flight.pop_front();
      }
      pump(self);
    },
  };
}

/// Streams the key scan into the builder: keys only, marked as still in the model. Blocking,
/// on the diff's own thread, after the window's last row.
void scan_keys(source_cursor& keys, size_t key_columns, state::change_set_builder& builder) {
  packed_rows rows;
  packed_rows canonical;
  std::string key;
  for (;;) {
    rows.clear();
    auto fetched = keys.fetch(rows, 10'000);
    if (!fetched)
      throw std::runtime_error("the key scan failed, so no delete was planned: " +
                               fetched.error().message);
    if (*fetched == 0)
      return;
    canonical.clear();
    for (size_t i = 0; i < rows.size(); ++i)
      if (canonical_key(rows[i], key_columns, key))
        canonical.push_back(key);  // rows without a usable key: the window or a full read names them
    builder.mark_present(canonical);
  }
}

/// The one value of a count query, if it is a count.
std::optional<uint64_t> read_count(source_cursor& count) {
  packed_rows rows;
  auto fetched = count.fetch(rows, 2);
  if (!fetched || rows.size() != 1)
    return std::nullopt;
  auto cells = decode_row(rows[0]);
  if (cells.size() != 1)
    return std::nullopt;
  if (cells[0].type == cell_type::integer && cells[0].integer >= 0)
    return static_cast<uint64_t>(cells[0].integer);
  if (cells[0].type == cell_type::decimal || cells[0].type == cell_type::text)
    try {
      return std::stoull(std::string(cells[0].text));
    } catch (const std::exception&) {
    }
  return std::nullopt;
}

/// Starts the model's count on a thread of its own, beside the window's read: a count of the
/// whole model takes as long as the window and its lookups together (10M rows in PostgreSQL:
/// 0.36 s). Both snapshots are taken as the plan starts, as close together as two connections
/// allow. The thread owns the cursor: a plan that stops early leaves it to finish by itself.
std::shared_future<std::optional<uint64_t>> count_beside(std::shared_ptr<source_cursor> count) {
  std::packaged_task<std::optional<uint64_t>()> task([count] { return read_count(*count); });
  auto result = task.get_future().share();
  std::thread(std::move(task)).detach();
  return result;
}

struct diff_state {
  diff_settings settings;
  std::shared_future<std::optional<uint64_t>> model_rows;  ///< the count, when it is read
  std::unique_ptr<state::change_set_builder> builder;
  planned_rows planned;  ///< the group waiting for its lookups
  caf::actor coordinator;
  std::shared_ptr<run_progress> progress;
  bool finished = false;
  bool damaged = false;  ///< the state could not be opened for the plan
};

void finish(diff_actor::stateful_pointer<diff_state> self, plan_result result) {
  auto& st = self->state;
  if (st.finished)
    return;
  st.finished = true;
  caf::anon_send(st.coordinator, std::move(result));
  self->quit();
}

diff_actor::behavior_type diff_impl(diff_actor::stateful_pointer<diff_state> self,
                                    diff_settings settings, caf::actor coordinator,
                                    std::shared_ptr<run_progress> progress) {
  auto& st = self->state;
  st.coordinator = std::move(coordinator);
  st.progress = std::move(progress);
  try {
    st.builder = std::make_unique<state::change_set_builder>(
        *settings.state, settings.run_id, settings.fingerprint, settings.options);
  } catch (const std::exception& e) {
    st.damaged = dynamic_cast<const state::state_damaged*>(&e) != nullptr;
    self->send(self, fail_atom_v, std::string(e.what()));
  }
  st.settings = std::move(settings);
  if (st.settings.key_scan && st.settings.model_count)
    st.model_rows = count_beside(st.settings.model_count);
  return {
    [=](planned_batch& batch) {
      auto& st = self->state;
      auto upstream = caf::actor_cast<extract_actor>(self->current_sender());
      if (st.finished || !st.builder)
        return;
      try {
        for (auto row : batch.null_key_rows)  // numbered by the extract: no order to keep
          st.builder->null_key(row);
        st.builder->add_known(batch.known);
        append_planned(st.planned, batch.rows);
        // Credit before the lookups: the extract fills the next group while this one is looked
        // up, so both threads work at once (the window lets it run one group ahead).
        if (upstream)
          self->send(upstream, credit_atom_v, uint32_t{1});
        if (group_full(st.planned)) {
          st.builder->add(st.planned);
          st.planned.clear();
        }
      } catch (const std::exception& e) {
        plan_result failed;
        failed.error = e.what();
        failed.damaged = dynamic_cast<const state::state_damaged*>(&e) != nullptr;
        failed.tally.extracted = st.builder->tally().extracted;
        finish(self, std::move(failed));
        return;
      }
    },
    [=](end_atom, value_findings& values) {
      auto& st = self->state;
      plan_result result;
      try {
        st.builder->add(st.planned);
        st.planned.clear();
        if (st.settings.key_scan) {
          auto rows = st.model_rows.valid() ? st.model_rows.get() : std::nullopt;
          if (rows && st.builder->holds_every_synced_key(*rows) && st.settings.key_scan_skipped)
            *st.settings.key_scan_skipped = true;
          else
            scan_keys(*st.settings.key_scan, st.settings.key_columns, *st.builder);
        }
        st.builder->finish();
        result.tally = st.builder->tally();
        result.values = std::move(values);
      } catch (const std::exception& e) {
        result.error = e.what();
        result.damaged = dynamic_cast<const state::state_damaged*>(&e) != nullptr;
      }
      finish(self, std::move(result));
    },
    [=](fail_atom, const std::string& why) {
      auto& st = self->state;
      plan_result failed;
      failed.error = why;
      failed.damaged = st.damaged;
      if (st.builder)
        failed.tally.extracted =  // rows read before it failed, the last group's too
            st.builder->tally().extracted + st.planned.size();
      finish(self, std::move(failed));
    },
  };
}

}  // namespace

std::unique_ptr<row_preparer> make_preparer(const diff_settings& settings) {
  return std::make_unique<row_preparer>(
      row_projection(settings.projection, settings.model_width),
      row_planner(settings.key_columns, settings.mapper, settings.fingerprint, settings.identity),
      value_inspector(settings.column_names, settings.key_columns, settings.max_value_bytes));
}

std::unique_ptr<span_cutter> make_span_cutter(const diff_settings& settings) {
  if (!settings.cut_spans)
    return nullptr;
  return std::make_unique<span_cutter>(settings.span_seed, settings.known_spans);
}

extract_actor spawn_extract(caf::actor_system& sys, std::shared_ptr<source_cursor> cursor,
                            std::unique_ptr<row_preparer> preparer,
                            std::unique_ptr<span_cutter> cutter, diff_actor downstream,
                            uint32_t window, size_t batch_rows,
                            std::shared_ptr<run_progress> progress) {
  // CAF copies spawn arguments: shared_ptrs carry the preparer and cutter to the actor's state.
  std::shared_ptr<row_preparer> shared = std::move(preparer);
  std::shared_ptr<span_cutter> shared_cutter = std::move(cutter);
  return sys.spawn<caf::detached>(extract_impl, std::move(cursor), std::move(shared),
                                  std::move(shared_cutter), std::move(downstream), window,
                                  batch_rows, std::move(progress));
}

diff_actor spawn_diff(caf::actor_system& sys, diff_settings settings, caf::actor coordinator,
                      std::shared_ptr<run_progress> progress) {
  return sys.spawn<caf::detached>(diff_impl, std::move(settings), std::move(coordinator),
                                  std::move(progress));
}

}  // namespace backflow
