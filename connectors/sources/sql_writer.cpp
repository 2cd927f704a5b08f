// Write-back through SQL transactions (see sql_writer.hpp).
#include "connectors/sources/sql_writer.hpp"

#include <map>

#include "connectors/sources/writer_sql.hpp"

namespace backflow {
namespace {

bool is_wb_integer_text(const std::string& s) {
  size_t i = !s.empty() && s[0] == '-' ? 1 : 0;
  if (i == s.size())
    return false;
  for (; i < s.size(); ++i)
    if (s[i] < '0' || s[i] > '9')
      return false;
  return true;
}

}  // namespace

std::string sql_writer::quote(const std::string& name) const { return quote_doubling(name, '"'); }

std::string sql_writer::relation(const std::string& schema, const std::string& table) const {
  return quote(schema) + "." + quote(table);
}

std::string sql_writer::text_literal(std::string_view text) const {
  std::string out;
  out.reserve(text.size() + 2);
  out.push_back('\'');
  for (char c : text) {
    if (c == '\'')
      out.push_back('\'');
    out.push_back(c);
  }
  out.push_back('\'');
  return out;
}

std::string sql_writer::timestamp_literal(const std::string& iso) const {
  return text_literal(iso);
}

std::vector<std::string> sql_writer::create_schema(const std::string& schema) const {
  return {"CREATE SCHEMA IF NOT EXISTS " + quote(schema)};
}

std::string sql_writer::writer_message(const std::string& engine, std::string message) {
  return writer_failure_text(engine, std::move(message), {"source.query: ", "source: "});
}

std::string sql_writer::literal(const std::optional<std::string>& cell, wb_kind kind) const {
  if (!cell)
    return "NULL";
  switch (kind) {
    case wb_kind::integer:
      return is_wb_integer_text(*cell) ? *cell : "NULL";
    case wb_kind::timestamp:
      return timestamp_literal(*cell);
    default:
      return text_literal(*cell);
  }
}

std::string sql_writer::create_table(const std::string& schema, const wb_table& t) const {
  return create_table_sql(
      relation(schema, t.name), t, [this](const std::string& name) { return quote(name); },
      [this](wb_kind kind, bool key) { return type_of(kind, key); },
      [](const std::string& key) { return ", PRIMARY KEY (" + key + ")"; });
}

status sql_writer::prepare(const std::string& schema, const std::vector<const wb_table*>& tables) {
  auto statements = create_schema(schema);
  for (const auto* t : tables)
    statements.push_back(create_table(schema, *t));
  return run_transaction(statements);
}

void sql_writer::delete_keys(const std::string& schema, const wb_rows& rows,
                             std::vector<std::string>& out) const {
  const auto& t = *rows.table;
  const size_t last = t.key_columns - 1;
  // Rows sharing their leading key cells (the sync, the run) are deleted by one statement.
  std::map<std::vector<std::string>, std::vector<std::string>> groups;
  for (const auto& row : rows.rows) {
    std::vector<std::string> lead;
    for (size_t i = 0; i < last; ++i)
      lead.push_back(literal(row[i], t.columns[i].kind));
    groups[lead].push_back(literal(row[last], t.columns[last].kind));
  }
  for (const auto& [lead, values] : groups) {
    std::string sql = "DELETE FROM " + relation(schema, t.name) + " WHERE ";
    for (size_t i = 0; i < last; ++i)
      sql += quote(t.columns[i].name) + " = " + lead[i] + " AND ";
    sql += quote(t.columns[last].name) + " IN (";
    for (size_t i = 0; i < values.size(); ++i)
      sql += (i == 0 ? "" : ", ") + values[i];
    out.push_back(sql + ")");
  }
}

std::vector<std::string> sql_writer::batch_statements(const std::string& schema,
                                                      const wb_batch& batch) const {
  std::vector<std::string> out;
  for (const auto& rows : batch.deletes)
    if (!rows.rows.empty())
      delete_keys(schema, rows, out);
  for (const auto& rows : batch.upserts) {
    if (rows.rows.empty())
      continue;
    delete_keys(schema, rows, out);
    const auto& t = *rows.table;
    std::string sql = "INSERT INTO " + relation(schema, t.name) + " (";
    for (size_t i = 0; i < t.columns.size(); ++i)
      sql += (i == 0 ? "" : ", ") + quote(t.columns[i].name);
    sql += ") VALUES ";
    for (size_t r = 0; r < rows.rows.size(); ++r) {
      sql += r == 0 ? "(" : ", (";
      for (size_t i = 0; i < t.columns.size(); ++i)
        sql += (i == 0 ? "" : ", ") + literal(rows.rows[r][i], t.columns[i].kind);
      sql += ")";
    }
    out.push_back(std::move(sql));
  }
  return out;
}

status sql_writer::apply(const std::string& schema, const wb_batch& batch) {
  auto statements = batch_statements(schema, batch);
  if (statements.empty())
    return {};
  return run_transaction(statements);
}

status sql_writer::prune(const std::string& schema, const wb_table& table, const std::string& sync,
                         const std::string& column, const std::string& before,
                         const std::string& keep_column, uint64_t keep_from) {
  std::string sql = "DELETE FROM " + relation(schema, table.name) + " WHERE " +
                    quote(table.columns[0].name) + " = " + text_literal(sync) + " AND " +
                    quote(column) + " < " + timestamp_literal(before);
  if (!keep_column.empty())
    sql += " AND " + quote(keep_column) + " < " + std::to_string(keep_from);
  return run_transaction({sql});
}

}  // namespace backflow
