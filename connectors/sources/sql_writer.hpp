// Write-back through SQL transactions: delete-then-insert per batch, for engines with ACID writes.
#pragma once

#include <string>
#include <vector>

#include "connectors/sources/warehouse_writer.hpp"

namespace backflow {

/// A warehouse_writer for engines with transactions (SQLite, PostgreSQL, MySQL, and the cloud
/// warehouses' SQL): each batch is one transaction that deletes the rows of its keys, then
/// inserts them. An engine gives its dialect and a way to run statements.
class sql_writer : public warehouse_writer {
 public:
  status prepare(const std::string& schema, const std::vector<const wb_table*>& tables) override;
  status apply(const std::string& schema, const wb_batch& batch) override;
  status prune(const std::string& schema, const wb_table& table, const std::string& sync,
               const std::string& column, const std::string& before,
               const std::string& keep_column, uint64_t keep_from) override;

  /// The statements of `batch`, in order (exposed for tests of the dialects).
  [[nodiscard]] std::vector<std::string> batch_statements(const std::string& schema,
                                                          const wb_batch& batch) const;

 protected:
  /// Runs `statements` in one transaction: all take effect or none.
  virtual status run_transaction(const std::vector<std::string>& statements) = 0;
  /// `name` quoted as an identifier.
  [[nodiscard]] virtual std::string quote(const std::string& name) const;
  /// The table `table` of `schema` as SQL.
  [[nodiscard]] virtual std::string relation(const std::string& schema,
                                             const std::string& table) const;
  /// `text` as a string literal.
  [[nodiscard]] virtual std::string text_literal(std::string_view text) const;
  /// An ISO-8601 UTC instant as a literal the timestamp column takes.
  [[nodiscard]] virtual std::string timestamp_literal(const std::string& iso) const;
  /// The column type of `kind`; `key`: the column is part of the primary key.
  [[nodiscard]] virtual std::string type_of(wb_kind kind, bool key) const = 0;
  /// Statements creating `schema` when missing (none for an engine without schemas).
  [[nodiscard]] virtual std::vector<std::string> create_schema(const std::string& schema) const;

  /// A source's failure message as write-back's: "writeback: <engine>: ..." without the
  /// "source.query: " or "source: " the reading side puts first (the sync's source is not at
  /// fault).
  [[nodiscard]] static std::string writer_message(const std::string& engine, std::string message);

  /// A cell as a literal of its column's kind.
  [[nodiscard]] std::string literal(const std::optional<std::string>& cell, wb_kind kind) const;

 private:
  [[nodiscard]] std::string create_table(const std::string& schema, const wb_table& t) const;
  /// DELETE statements for the keys of `rows`: grouped by the leading key cells, the last key
  /// column in an IN list.
  void delete_keys(const std::string& schema, const wb_rows& rows,
                   std::vector<std::string>& out) const;
};

}  // namespace backflow
