// Write-back through MERGE statements with typed parameters (see bound_writer.hpp).
#include "connectors/sources/bound_writer.hpp"

#include <algorithm>
#include <map>

#include "connectors/sources/writer_sql.hpp"

namespace backflow {
namespace {

/// Collects a statement's parameters and hands out their placeholders.
struct param_list {
  std::vector<wb_param> params;
  template <class Placeholder>
  std::string add(wb_kind kind, std::optional<std::string> value, const Placeholder& placeholder) {
    params.push_back({kind, std::move(value)});
    return placeholder(params.size() - 1);
  }
};

}  // namespace

std::string bound_writer::writer_message(const std::string& engine, std::string message) {
  // The reading side's prefixes blame the sync's source; a credential option keeps its name.
  return writer_failure_text(engine, std::move(message), {"source.query: ", "source: ", "source."});
}

std::string bound_writer::quote(const std::string& name) const { return quote_doubling(name, '"'); }

std::string bound_writer::relation(const std::string& schema, const std::string& table) const {
  return quote(schema) + "." + quote(table);
}

std::vector<std::string> bound_writer::create_schema(const std::string& schema) const {
  return {"CREATE SCHEMA IF NOT EXISTS " + quote(schema)};
}

std::string bound_writer::create_table(const std::string& schema, const wb_table& t) const {
  return create_table_sql(
      relation(schema, t.name), t, [this](const std::string& name) { return quote(name); },
      [this](wb_kind kind, bool key) { return type_of(kind, key); },
      [this](const std::string& key) { return table_constraints(key); });
}

status bound_writer::prepare(const std::string& schema, const std::vector<const wb_table*>& tables) {
  auto statements = create_schema(schema);
  for (const auto* t : tables)
    statements.push_back(create_table(schema, *t));
  for (auto& sql : statements)
    if (auto done = run({std::move(sql), {}}); !done)
      return done;
  return {};
}

void bound_writer::merge_rows(const std::string& schema, const wb_rows& rows, size_t from,
                              size_t to, std::vector<bound_statement>& out) const {
  const auto& t = *rows.table;
  auto ph = [this](size_t i) { return placeholder(i); };
  param_list p;
  std::string source;
  for (size_t r = from; r < to; ++r) {
    source += r == from ? "SELECT " : " UNION ALL SELECT ";
    for (size_t i = 0; i < t.columns.size(); ++i) {
      const auto& c = t.columns[i];
      source += (i == 0 ? "" : ", ") + value_of(p.add(c.kind, rows.rows[r][i], ph), c.kind);
      if (r == from)
        source += " AS " + quote(c.name);
    }
  }
  std::string on;
  std::string set;
  std::string names;
  std::string values;
  for (size_t i = 0; i < t.columns.size(); ++i) {
    auto name = quote(t.columns[i].name);
    if (i < t.key_columns)
      on += (on.empty() ? "" : " AND ") + std::string("t.") + name + " = s." + name;
    else
      set += (set.empty() ? "" : ", ") + name + " = s." + name;
    names += (i == 0 ? "" : ", ") + name;
    values += (i == 0 ? "" : ", ") + std::string("s.") + name;
  }
  out.push_back({"MERGE INTO " + relation(schema, t.name) + " AS t USING (" + source +
                     ") AS s ON " + on + " WHEN MATCHED THEN UPDATE SET " + set +
                     " WHEN NOT MATCHED THEN INSERT (" + names + ") VALUES (" + values + ")",
                 std::move(p.params)});
}

void bound_writer::insert_rows(const std::string& schema, const wb_rows& rows, size_t from,
                               size_t to, std::vector<bound_statement>& out) const {
  const auto& t = *rows.table;
  auto ph = [this](size_t i) { return placeholder(i); };
  param_list p;
  std::string sql = "INSERT INTO " + relation(schema, t.name) + " (";
  for (size_t i = 0; i < t.columns.size(); ++i)
    sql += (i == 0 ? "" : ", ") + quote(t.columns[i].name);
  sql += ") VALUES ";
  for (size_t r = from; r < to; ++r) {
    sql += r == from ? "(" : ", (";
    for (size_t i = 0; i < t.columns.size(); ++i) {
      sql += i == 0 ? "" : ", ";
      sql += value_of(p.add(t.columns[i].kind, rows.rows[r][i], ph), t.columns[i].kind);
    }
    sql += ")";
  }
  out.push_back({std::move(sql), std::move(p.params)});
}

void bound_writer::delete_keys(const std::string& schema, const wb_rows& rows,
                               std::vector<bound_statement>& out) const {
  const auto& t = *rows.table;
  const size_t last = t.key_columns - 1;
  auto ph = [this](size_t i) { return placeholder(i); };
  // Rows sharing their leading key cells (the sync) go by one statement, the last key column
  // in an IN list.
  std::map<std::vector<std::optional<std::string>>, std::vector<std::optional<std::string>>> groups;
  for (const auto& row : rows.rows)
    groups[{row.begin(), row.begin() + static_cast<std::ptrdiff_t>(last)}].push_back(row[last]);
  const size_t per_statement = std::max<size_t>(1, max_params() - last);
  for (const auto& [lead, keys] : groups)
    for (size_t from = 0; from < keys.size(); from += per_statement) {
      param_list p;
      std::string sql = "DELETE FROM " + relation(schema, t.name) + " WHERE ";
      for (size_t i = 0; i < last; ++i)
        sql += quote(t.columns[i].name) + " = " +
               value_of(p.add(t.columns[i].kind, lead[i], ph), t.columns[i].kind) + " AND ";
      sql += quote(t.columns[last].name) + " IN (";
      for (size_t k = from; k < std::min(keys.size(), from + per_statement); ++k)
        sql += (k == from ? "" : ", ") +
               value_of(p.add(t.columns[last].kind, keys[k], ph), t.columns[last].kind);
      out.push_back({sql + ")", std::move(p.params)});
    }
}

std::vector<bound_statement> bound_writer::batch_statements(const std::string& schema,
                                                            const wb_batch& batch) const {
  std::vector<bound_statement> out;
  for (const auto& rows : batch.deletes)
    if (!rows.rows.empty())
      delete_keys(schema, rows, out);
  for (const auto& rows : batch.upserts) {
    if (rows.rows.empty())
      continue;
    if (!merges())
      delete_keys(schema, rows, out);  // then inserted again, in the same transaction
    const size_t per_statement =
        std::max<size_t>(1, max_params() / std::max<size_t>(1, rows.table->columns.size()));
    for (size_t from = 0; from < rows.rows.size(); from += per_statement) {
      const size_t to = std::min(rows.rows.size(), from + per_statement);
      if (merges())
        merge_rows(schema, rows, from, to, out);
      else
        insert_rows(schema, rows, from, to, out);
    }
  }
  return out;
}

status bound_writer::run_batch(const std::vector<bound_statement>& statements) {
  for (const auto& statement : statements)
    if (auto done = run(statement); !done)
      return done;
  return {};
}

status bound_writer::apply(const std::string& schema, const wb_batch& batch) {
  auto statements = batch_statements(schema, batch);
  if (statements.empty())
    return {};
  return run_batch(statements);
}

status bound_writer::prune(const std::string& schema, const wb_table& table,
                           const std::string& sync, const std::string& column,
                           const std::string& before, const std::string& keep_column,
                           uint64_t keep_from) {
  auto ph = [this](size_t i) { return placeholder(i); };
  // One placeholder per statement of its own: the operands of + are evaluated in no set order,
  // and positional placeholders must follow their values.
  param_list p;
  std::string sql = "DELETE FROM " + relation(schema, table.name) + " WHERE ";
  sql += quote(table.columns[0].name) + " = ";
  sql += value_of(p.add(wb_kind::short_text, sync, ph), wb_kind::short_text);
  sql += " AND " + quote(column) + " < ";
  sql += value_of(p.add(wb_kind::timestamp, before, ph), wb_kind::timestamp);
  if (!keep_column.empty()) {
    sql += " AND " + quote(keep_column) + " < ";
    sql += value_of(p.add(wb_kind::integer, std::to_string(keep_from), ph), wb_kind::integer);
  }
  return run({sql, std::move(p.params)});
}

}  // namespace backflow
