// Write-back into ClickHouse (see clickhouse_writer.hpp).
#include "connectors/sources/clickhouse_writer.hpp"

#include "connectors/sources/clickhouse_http.hpp"
#include "connectors/sources/sql_writer.hpp"

namespace backflow {
namespace {

class clickhouse_writer final : public sql_writer {
 public:
  explicit clickhouse_writer(ch_endpoint endpoint) : endpoint_(std::move(endpoint)) {}

  status prepare(const std::string& schema, const std::vector<const wb_table*>& tables) override {
    std::vector<std::string> statements = {"CREATE DATABASE IF NOT EXISTS " + quote(schema)};
    for (const auto* t : tables) {
      std::string sql = "CREATE TABLE IF NOT EXISTS " + relation(schema, t->name) + " (";
      std::string key;
      for (size_t i = 0; i < t->columns.size(); ++i) {
        bool is_key = i < t->key_columns;
        auto type = type_of(t->columns[i].kind, is_key);
        sql += (i == 0 ? "" : ", ") + quote(t->columns[i].name) + " " +
               (is_key ? type : "Nullable(" + type + ")");
        if (is_key)
          key += (key.empty() ? "" : ", ") + quote(t->columns[i].name);
      }
      statements.push_back(sql + ") ENGINE = ReplacingMergeTree ORDER BY (" + key + ")");
    }
    return run_transaction(statements);
  }

  status apply(const std::string& schema, const wb_batch& batch) override {
    // Removals first, as a mutation that cannot touch the rows inserted after it.
    std::vector<std::string> statements;
    for (const auto& rows : batch.deletes)
      if (!rows.rows.empty())
        statements.push_back(delete_statement(schema, rows));
    for (const auto& sql : batch_statements(schema, {batch.upserts, {}}))
      if (sql.rfind("INSERT", 0) == 0)  // a repeated row replaces itself: no delete needed
        statements.push_back(sql);
    return run_transaction(statements);
  }

  status prune(const std::string& schema, const wb_table& table, const std::string& sync,
               const std::string& column, const std::string& before,
               const std::string& keep_column, uint64_t keep_from) override {
    return run_transaction({"ALTER TABLE " + relation(schema, table.name) + " DELETE WHERE " +
                            quote(table.columns[0].name) + " = " + text_literal(sync) + " AND " +
                            quote(column) + " < " + timestamp_literal(before) + " AND " +
                            quote(keep_column) + " < " + std::to_string(keep_from)});
  }

 protected:
  std::string quote(const std::string& name) const override {
    std::string out = "`";
    for (char c : name)
      out += c == '`' ? std::string("\\`") : c == '\\' ? std::string("\\\\") : std::string(1, c);
    return out + "`";
  }

  std::string text_literal(std::string_view text) const override {
    std::string out;
    out.reserve(text.size() + 2);
    out.push_back('\'');
    for (char c : text) {
      if (c == '\'' || c == '\\')
        out.push_back('\\');
      out.push_back(c);
    }
    out.push_back('\'');
    return out;
  }

  std::string timestamp_literal(const std::string& iso) const override {
    // DateTime('UTC') holds seconds: "2026-12-06T13:25:00.123Z" as "2026-12-06 13:25:00".
    auto text = iso.substr(0, 19);
    if (text.size() > 10 && text[10] == 'T')
      text[10] = ' ';
    return text_literal(text);
  }

  std::string type_of(wb_kind kind, bool) const override {
    switch (kind) {
      case wb_kind::integer:
        return "Int64";
      case wb_kind::timestamp:
        return "DateTime('UTC')";
      default:
        return "String";
    }
  }

  /// Statements one after the other; ClickHouse has no transaction to put them in.
  status run_transaction(const std::vector<std::string>& statements) override {
    for (const auto& sql : statements)
      if (auto done = ch_short_query(endpoint_, sql); !done)
        return failure{writer_message("ClickHouse", endpoint_.redacted(done.error().message))};
    return {};
  }

 private:
  std::string delete_statement(const std::string& schema, const wb_rows& rows) const {
    const auto& t = *rows.table;
    std::string sql = "ALTER TABLE " + relation(schema, t.name) + " DELETE WHERE (";
    for (size_t r = 0; r < rows.rows.size(); ++r) {
      sql += r == 0 ? "(" : " OR (";
      for (size_t i = 0; i < t.key_columns; ++i)
        sql += (i == 0 ? "" : " AND ") + quote(t.columns[i].name) + " = " +
               literal(rows.rows[r][i], t.columns[i].kind);
      sql += ")";
    }
    return sql + ")";
  }

  ch_endpoint endpoint_;
};

}  // namespace

result<std::unique_ptr<warehouse_writer>> open_clickhouse_writer(const source_spec& spec) {
  auto endpoint = ch_endpoint::of(spec);
  endpoint.database.clear();  // statements name their database
  return std::unique_ptr<warehouse_writer>(new clickhouse_writer(std::move(endpoint)));
}

}  // namespace backflow
