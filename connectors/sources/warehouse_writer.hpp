// Write-back: what a warehouse a sync may write to must do with Backflow's own tables.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "connectors/sources/source.hpp"
#include "pipelines/core/result.hpp"

namespace backflow {

/// What a write-back column holds; each engine picks its own type for it.
enum class wb_kind {
  text,       ///< any UTF-8 text (keys, reasons, errors)
  short_text, ///< identifiers and names under 256 bytes (sync, status, a key's hash)
  integer,    ///< a signed 64-bit integer
  timestamp,  ///< an instant, given as ISO-8601 UTC text ("2026-12-06T13:25:00.123Z")
  json,       ///< a JSON document given as text (numbers exact)
};

struct wb_column {
  std::string name;
  wb_kind kind = wb_kind::text;
};

/// A write-back table: its columns, and the leading ones that identify a row (the last key
/// column varies within a batch, the others are shared by groups of rows).
struct wb_table {
  std::string name;
  std::vector<wb_column> columns;
  size_t key_columns = 1;
};

/// One row: a cell per column, nullopt for NULL; integers as decimal text.
using wb_row = std::vector<std::optional<std::string>>;

/// Rows of one table.
struct wb_rows {
  const wb_table* table = nullptr;
  std::vector<wb_row> rows;
};

/// What one batch changes, applied as one unit: each upserted row replaces the row with the same
/// key, each deleted key's row goes. Keys appear at most once per table in a batch.
struct wb_batch {
  std::vector<wb_rows> upserts;
  std::vector<wb_rows> deletes;  ///< only the key cells of each row are read
};

/// A warehouse connection Backflow writes its tables to. Blocking; not thread-safe.
class warehouse_writer {
 public:
  virtual ~warehouse_writer() = default;
  /// Creates `schema` and `tables` in it when they are missing.
  virtual status prepare(const std::string& schema,
                         const std::vector<const wb_table*>& tables) = 0;
  /// Applies `batch` atomically (all of it or none) and idempotently (applied twice, the
  /// tables hold the same rows as applied once).
  virtual status apply(const std::string& schema, const wb_batch& batch) = 0;
  /// Deletes the rows of `table` whose first key column is `sync` and whose timestamp `column`
  /// is before `before` (ISO-8601 UTC); also keeps rows whose integer `keep_column` is at least
  /// `keep_from` (the newest run stays, whatever its clock said).
  virtual status prune(const std::string& schema, const wb_table& table,
                             const std::string& sync, const std::string& column,
                             const std::string& before, const std::string& keep_column,
                             uint64_t keep_from) = 0;
};

/// Whether a source of `type` can be written back to.
bool can_write_back(std::string_view type);
/// The source types that can, comma-separated (for messages).
std::string writable_source_types();
/// Connects to the warehouse `spec` names (its type's options) for writing.
result<std::unique_ptr<warehouse_writer>> open_writer(const source_spec& spec);

}  // namespace backflow
