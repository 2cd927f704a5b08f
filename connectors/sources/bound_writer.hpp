// Write-back through statements with typed parameters: one MERGE per table, for the cloud warehouses.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "connectors/sources/warehouse_writer.hpp"

namespace backflow {

/// A value bound to a statement's placeholder: its column's kind and the cell (nullopt: NULL).
struct wb_param {
  wb_kind kind = wb_kind::text;
  std::optional<std::string> value;

  bool operator==(const wb_param& o) const { return kind == o.kind && value == o.value; }
};

/// A statement and the values of its placeholders, in order.
struct bound_statement {
  std::string sql;
  std::vector<wb_param> params;
};

/// A warehouse_writer whose values travel as typed parameters, never spliced into the SQL
/// (exact integers, any text). For the warehouses reached over an HTTP statement API
/// (Snowflake, BigQuery, Databricks) each table's rows of a batch are one MERGE (matched rows
/// updated, others inserted), each deleted key set one DELETE: every statement is atomic and
/// repeatable, so a batch applied twice, or cut short and repeated, leaves the same rows. An
/// engine without MERGE (Redshift through libpq) deletes a batch's keys, then inserts its rows,
/// in one transaction (run_batch). An engine gives its dialect, its placeholders and a way to
/// run one statement.
class bound_writer : public warehouse_writer {
 public:
  status prepare(const std::string& schema, const std::vector<const wb_table*>& tables) override;
  status apply(const std::string& schema, const wb_batch& batch) override;
  status prune(const std::string& schema, const wb_table& table, const std::string& sync,
               const std::string& column, const std::string& before,
               const std::string& keep_column, uint64_t keep_from) override;

  /// The statements of `batch`, in order (exposed for tests of the dialects).
  [[nodiscard]] std::vector<bound_statement> batch_statements(const std::string& schema,
                                                              const wb_batch& batch) const;

 protected:
  /// Runs one statement with its parameters.
  virtual status run(const bound_statement& statement) = 0;
  /// Runs the statements of one batch: one after the other by default (each atomic); an
  /// engine with transactions runs them in one.
  virtual status run_batch(const std::vector<bound_statement>& statements);
  /// True: upserts are MERGE statements; false: a DELETE of the rows' keys, then an INSERT.
  [[nodiscard]] virtual bool merges() const { return true; }
  /// The placeholder of parameter `index` (from 0): "?", "@p0", ":p0".
  [[nodiscard]] virtual std::string placeholder(size_t index) const = 0;
  /// The placeholder of a parameter of `kind` as a value of the column's type (a cast where
  /// the engine does not convert a text parameter by itself).
  [[nodiscard]] virtual std::string value_of(const std::string& placeholder, wb_kind) const {
    return placeholder;
  }
  /// `name` quoted as an identifier.
  [[nodiscard]] virtual std::string quote(const std::string& name) const;
  /// The table `table` of `schema` as SQL.
  [[nodiscard]] virtual std::string relation(const std::string& schema,
                                             const std::string& table) const;
  /// The column type of `kind`; `key`: the column is part of the primary key.
  [[nodiscard]] virtual std::string type_of(wb_kind kind, bool key) const = 0;
  /// What follows the columns of CREATE TABLE, given the quoted key columns ("a, b").
  [[nodiscard]] virtual std::string table_constraints(const std::string& key) const {
    return ", PRIMARY KEY (" + key + ")";
  }
  /// Statements creating `schema` when missing.
  [[nodiscard]] virtual std::vector<std::string> create_schema(const std::string& schema) const;
  /// A client's failure as write-back's: "writeback: <engine>: ..." without the "source.query: ",
  /// "source: " or "source." the reading side puts first ("token: ..." names the option).
  [[nodiscard]] static std::string writer_message(const std::string& engine, std::string message);
  /// The most parameters one statement may carry; larger row sets are split.
  [[nodiscard]] virtual size_t max_params() const { return 10000; }

 private:
  [[nodiscard]] std::string create_table(const std::string& schema, const wb_table& t) const;
  void merge_rows(const std::string& schema, const wb_rows& rows, size_t from, size_t to,
                  std::vector<bound_statement>& out) const;
  void insert_rows(const std::string& schema, const wb_rows& rows, size_t from, size_t to,
                   std::vector<bound_statement>& out) const;
  void delete_keys(const std::string& schema, const wb_rows& rows,
                   std::vector<bound_statement>& out) const;
};

}  // namespace backflow
