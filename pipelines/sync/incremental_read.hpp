// Incremental reads by cursor: what a run reads (the whole model, or the window past the
// stored mark), the windowed and key-scan queries, and the highest cursor value read.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "connectors/sources/source.hpp"
#include "pipelines/config/sync_config.hpp"
#include "pipelines/core/cursor_value.hpp"
#include "state/cursor_mark.hpp"

namespace backflow {

/// What a run of an incremental sync read; `plan` and `run` show it (text and JSON).
struct read_window {
  bool windowed = false;    ///< only the rows past mark − lookback (else the whole model)
  std::string full_reason;  ///< when !windowed: why the whole model was read
  std::string cursor;
  std::string kind;         ///< "integer" | "timestamp" | "" (no cursor value read yet)
  std::string from;         ///< the lower bound, bound as a query parameter
  std::string mark_before;  ///< the committed mark the run started from ("" if none)
  std::string mark_after;   ///< the mark once this run's change set is fully committed
  /// "key_scan": deletes found by a key-only read; "full_read": by the full read itself;
  /// "none": not detected in this run.
  std::string deletes;
  uint64_t rows_read = 0;
  uint64_t keys_scanned = 0;
  bool key_scan = false;  ///< a key-only read follows the window
  /// The model's row count proved no synced key gone: the key scan was not needed.
  bool key_scan_skipped = false;

  [[nodiscard]] nlohmann::json to_json() const;
};

/// One line for the terminal from read_window::to_json(): "rows with updated_at >= ... or NULL
/// (mark ...); 12 rows read; deletes by key scan (1000 keys); mark after commit: ...".
std::string read_window_text(const nlohmann::json& window);

/// What identifies what is read: a new query, cursor or warehouse starts over with a full read.
std::string read_digest(const sync_config& cfg);

/// Decides this run's read from the committed mark: the whole model on a first run, for another
/// query, cursor or warehouse, when rejected records are re-planned (`retry_all`: they may lie
/// behind the mark, and a new mapping changes every row), or when a periodic full scan is due;
/// else the window from mark − lookback.
read_window plan_read(const sync_config& cfg, const std::optional<state::cursor_mark>& mark,
                      bool retry_all, int64_t now_ms);

/// The model's spec for this run: the windowed query with its bound, or the model itself.
source_spec read_spec(const source_spec& model, const read_window& w);
/// The key scan: only the key columns of the model.
source_spec key_scan_spec(const source_spec& model, const std::vector<std::string>& keys);
/// The model's row count (`SELECT count(*) FROM (<model>)`, standard SQL).
source_spec model_count_spec(const source_spec& model);

/// Passes a source's rows through, keeping the highest value of the cursor column. A value
/// that is no integer or timestamp, or of another kind than the others, fails the read.
class cursor_tracker final : public source_cursor {
 public:
  cursor_tracker(std::unique_ptr<source_cursor> inner, size_t column, std::string name);
  [[nodiscard]] const schema& columns() const override { return inner_->columns(); }
  result<size_t> fetch(packed_rows& out, size_t max_rows) override;
  /// The highest value read, if any row had one.
  [[nodiscard]] const std::optional<cursor_value>& highest() const { return highest_; }

 private:
  std::unique_ptr<source_cursor> inner_;
  size_t column_;
  std::string name_;
  std::optional<cursor_value> highest_;
  uint64_t rows_ = 0;
};

/// The mark this run leaves pending: the higher of the stored mark and the highest value read.
state::cursor_mark next_mark(const sync_config& cfg, const std::optional<state::cursor_mark>& before,
                             const read_window& w, const std::optional<cursor_value>& highest,
                             uint64_t run_id, int64_t started_ms);

}  // namespace backflow
