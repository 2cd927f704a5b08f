// Writes on the warehouse emulators' SQLite files (see sqlite_writes.hpp).
#include "emulators/sqlite_writes.hpp"

#include <sqlite3.h>

#include <cctype>
#include <filesystem>
#include <memory>

namespace backflow::emulators {
namespace {

/// `sql` upper-cased where it is top-level SQL; quoted text and parenthesised parts become
/// '\1', so that keywords are found only where they structure the statement.
std::string sw_top_level_mask(const std::string& sql) {
  std::string out(sql.size(), '\1');
  char quote = 0;
  int depth = 0;
  for (size_t i = 0; i < sql.size(); ++i) {
    char c = sql[i];
    if (quote != 0) {
      if (c == quote)
        quote = 0;
      continue;
    }
    if (c == '\'' || c == '"' || c == '`') {
      quote = c;
    } else if (c == '(') {
      ++depth;
    } else if (c == ')') {
      --depth;
    } else if (depth == 0) {
      out[i] = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    }
  }
  return out;
}

bool sw_word_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

/// Where the keyword `word` starts in `mask` at or after `from`, as a whole word; npos if not.
size_t sw_find_word(const std::string& mask, const std::string& word, size_t from) {
  for (size_t at = mask.find(word, from); at != std::string::npos; at = mask.find(word, at + 1)) {
    bool before = at == 0 || !sw_word_char(mask[at - 1]);
    bool after = at + word.size() >= mask.size() || !sw_word_char(mask[at + word.size()]);
    if (before && after)
      return at;
  }
  return std::string::npos;
}

std::string sw_trimmed(const std::string& text) {
  size_t b = text.find_first_not_of(" \t\r\n");
  if (b == std::string::npos)
    return {};
  size_t e = text.find_last_not_of(" \t\r\n;");
  return text.substr(b, e - b + 1);
}

/// "relation [AS] alias" as {relation, alias}; false without an alias.
bool sw_split_alias(const std::string& part, std::string& relation, std::string& alias) {
  std::string text = sw_trimmed(part);
  size_t cut = text.find_last_of(" \t\r\n");
  if (cut == std::string::npos)
    return false;
  alias = text.substr(cut + 1);
  relation = sw_trimmed(text.substr(0, cut));
  std::string mask = sw_top_level_mask(relation);
  if (mask.size() >= 3 && mask.compare(mask.size() - 3, 3, " AS") == 0)
    relation = sw_trimmed(relation.substr(0, relation.size() - 3));
  return !relation.empty() && !alias.empty();
}

bool sw_exec(sqlite3* db, const std::string& sql, std::string& error) {
  char* message = nullptr;
  if (sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &message) == SQLITE_OK)
    return true;
  error = message != nullptr ? message : sqlite3_errmsg(db);
  sqlite3_free(message);
  return false;
}

struct sw_finalizer {
  void operator()(sqlite3_stmt* s) const { sqlite3_finalize(s); }
};

/// Prepares, binds and steps `sql` to the end; `rows` gets how many rows it returned.
bool sw_step_all(sqlite3* db, const std::string& sql, const std::function<bool(sqlite3_stmt*)>& bind,
              int& rows, std::string& error) {
  sqlite3_stmt* raw = nullptr;
  if (sqlite3_prepare_v2(db, sql.c_str(), -1, &raw, nullptr) != SQLITE_OK) {
    error = sqlite3_errmsg(db);
    return false;
  }
  std::unique_ptr<sqlite3_stmt, sw_finalizer> stmt(raw);
  if (!bind(raw)) {
    error = "bind variable mismatch";
    return false;
  }
  rows = 0;
  int rc = SQLITE_ROW;
  while ((rc = sqlite3_step(raw)) == SQLITE_ROW)
    ++rows;
  if (rc != SQLITE_DONE) {
    error = sqlite3_errmsg(db);
    return false;
  }
  return true;
}

}  // namespace

std::string first_word(const std::string& sql) {
  std::string out;
  size_t i = sql.find_first_not_of(" \t\r\n(");
  for (; i != std::string::npos && i < sql.size() && sw_word_char(sql[i]); ++i)
    out.push_back(static_cast<char>(std::toupper(static_cast<unsigned char>(sql[i]))));
  return out;
}

bool is_merge(const std::string& sql) { return first_word(sql) == "MERGE"; }

bool attach_schemas(sqlite3* db, const std::string& database, std::string& error) {
  namespace fs = std::filesystem;
  if (database.empty() || database == ":memory:")
    return true;
  fs::path file(database);
  const std::string prefix = file.filename().string() + ".";
  std::error_code ec;
  auto dir = file.has_parent_path() ? file.parent_path() : fs::path(".");
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    std::string name = entry.path().filename().string();
    if (name.rfind(prefix, 0) != 0 || name.size() == prefix.size())
      continue;
    std::string schema = name.substr(prefix.size());
    bool plain = true;
    for (char c : schema)
      plain = plain && sw_word_char(c);
    if (!plain)
      continue;  // a journal or WAL file, not a schema
    std::string sql = "ATTACH DATABASE '" + entry.path().string() + "' AS \"" + schema + "\"";
    if (!sw_exec(db, sql, error))
      return false;
  }
  return true;
}

std::optional<std::string> schema_created_by(const std::string& sql, bool& if_not_exists) {
  std::string mask = sw_top_level_mask(sql);
  size_t create = sw_find_word(mask, "CREATE", 0);
  size_t schema = sw_find_word(mask, "SCHEMA", 0);
  if (create != mask.find_first_not_of(" \t\r\n") || schema == std::string::npos ||
      sw_trimmed(mask.substr(create + 6, schema - create - 6)) != "")
    return std::nullopt;
  size_t at = schema + 6;
  size_t ine = sw_find_word(mask, "IF", at);
  if_not_exists = ine != std::string::npos && sw_trimmed(sql.substr(at, ine - at)).empty();
  if (if_not_exists)
    at = sw_find_word(mask, "EXISTS", ine) + 6;
  std::string name = sw_trimmed(sql.substr(at));
  if (name.size() >= 2 && (name[0] == '"' || name[0] == '`') && name.back() == name[0])
    name = name.substr(1, name.size() - 2);
  if (name.empty())
    return std::nullopt;
  return name;
}

bool create_schema_file(sqlite3* db, const std::string& database, const std::string& name,
                        bool& existed, std::string& error) {
  for (char c : name)
    if (!sw_word_char(c)) {
      error = "invalid schema name " + name;
      return false;
    }
  const bool memory = database.empty() || database == ":memory:";
  const std::string path = memory ? ":memory:" : database + "." + name;
  std::error_code ec;
  existed = !memory && std::filesystem::exists(path, ec);
  if (existed)
    return true;  // attached already when the connection opened
  if (!memory) {  // ATTACH does not create files on a connection opened without CREATE
    sqlite3* created = nullptr;
    int rc = sqlite3_open_v2(path.c_str(), &created, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
                             nullptr);
    sqlite3_close_v2(created);
    if (rc != SQLITE_OK) {
      error = "cannot create " + path;
      return false;
    }
  }
  return sw_exec(db, "ATTACH DATABASE '" + path + "' AS \"" + name + "\"", error);
}

std::optional<merge_translation> translate_merge(const std::string& sql, std::string& error) {
  const std::string mask = sw_top_level_mask(sql);
  size_t into = sw_find_word(mask, "INTO", 0);
  size_t using_at = sw_find_word(mask, "USING", 0);
  size_t on = using_at == std::string::npos ? using_at : sw_find_word(mask, "ON", using_at);
  size_t when = on == std::string::npos ? on : sw_find_word(mask, "WHEN", on);
  std::string target, ta, source, sa;
  if (!is_merge(sql) || into == std::string::npos || when == std::string::npos ||
      !sw_split_alias(sql.substr(into + 4, using_at - into - 4), target, ta) ||
      !sw_split_alias(sql.substr(using_at + 5, on - using_at - 5), source, sa)) {
    error = "MERGE INTO <target> [AS] <alias> USING <source> [AS] <alias> ON ... WHEN ... expected";
    return std::nullopt;
  }
  const std::string cond = sw_trimmed(sql.substr(on + 2, when - on - 2));
  merge_translation out;
  while (when != std::string::npos) {
    size_t next = sw_find_word(mask, "WHEN", when + 4);
    std::string clause = sql.substr(when, next == std::string::npos ? next : next - when);
    std::string clause_mask = sw_top_level_mask(clause);
    size_t set = sw_find_word(clause_mask, "SET", 0);
    size_t insert = sw_find_word(clause_mask, "INSERT", 0);
    size_t values = sw_find_word(clause_mask, "VALUES", 0);
    if (sw_find_word(clause_mask, "NOT", 0) == std::string::npos && set != std::string::npos) {
      out.update = "UPDATE " + target + " AS " + ta + " SET " + sw_trimmed(clause.substr(set + 3)) +
                   " FROM " + source + " AS " + sa + " WHERE " + cond;
    } else if (insert != std::string::npos && values != std::string::npos) {
      std::string vals = sw_trimmed(clause.substr(values + 6));
      if (vals.size() >= 2 && vals.front() == '(' && vals.back() == ')')
        vals = vals.substr(1, vals.size() - 2);
      out.insert = "INSERT INTO " + target + " " +
                   sw_trimmed(clause.substr(insert + 6, values - insert - 6)) + " SELECT " + vals +
                   " FROM " + source + " AS " + sa + " WHERE NOT EXISTS (SELECT 1 FROM " +
                   target + " AS " + ta + " WHERE " + cond + ")";
    } else {
      error = "unsupported MERGE clause: " + sw_trimmed(clause);
      return std::nullopt;
    }
    when = next;
  }
  out.duplicates = "SELECT 1 FROM " + source + " AS " + sa + " JOIN " + target + " AS " + ta +
                   " ON " + cond + " GROUP BY " + ta + ".rowid HAVING count(*) > 1 LIMIT 1";
  return out;
}

bool run_merge(sqlite3* db, const merge_translation& m,
               const std::function<bool(sqlite3_stmt*)>& bind, merge_counts& counts,
               std::string& error) {
  if (!sw_exec(db, "BEGIN IMMEDIATE", error))
    return false;
  auto fail = [&] {
    std::string ignored;
    sw_exec(db, "ROLLBACK", ignored);
    return false;
  };
  int rows = 0;
  if (!sw_step_all(db, m.duplicates, bind, rows, error))
    return fail();
  if (rows > 0) {
    error = "duplicate";
    return fail();
  }
  if (!m.update.empty()) {
    if (!sw_step_all(db, m.update, bind, rows, error))
      return fail();
    counts.updated = sqlite3_changes(db);
  }
  if (!m.insert.empty()) {
    if (!sw_step_all(db, m.insert, bind, rows, error))
      return fail();
    counts.inserted = sqlite3_changes(db);
  }
  if (!sw_exec(db, "COMMIT", error))
    return fail();
  return true;
}

std::string numbered_placeholders(const std::string& sql) {
  std::string out;
  char quote = 0;
  int n = 0;
  for (size_t i = 0; i < sql.size(); ++i) {
    char c = sql[i];
    if (quote != 0) {
      quote = c == quote ? 0 : quote;
    } else if (c == '\'' || c == '"' || c == '`') {
      quote = c;
    } else if (c == '?' && (i + 1 >= sql.size() || !std::isdigit(static_cast<unsigned char>(sql[i + 1])))) {
      out += "?" + std::to_string(++n);
      continue;
    }
    out.push_back(c);
  }
  return out;
}

std::string with_sqlite_types(const std::string& sql) {
  if (first_word(sql) != "CREATE")
    return sql;
  std::string out;
  char quote = 0;
  for (size_t i = 0; i < sql.size(); ++i) {
    char c = sql[i];
    if (quote != 0) {
      quote = c == quote ? 0 : quote;
    } else if (c == '\'' || c == '"' || c == '`') {
      quote = c;
    } else if ((i == 0 || !sw_word_char(sql[i - 1])) && i + 6 <= sql.size() &&
               (i + 6 == sql.size() || !sw_word_char(sql[i + 6]))) {
      std::string word = sql.substr(i, 6);
      for (auto& w : word)
        w = static_cast<char>(std::toupper(static_cast<unsigned char>(w)));
      if (word == "STRING") {
        out += "TEXT";
        i += 5;
        continue;
      }
    }
    out.push_back(c);
  }
  return out;
}

}  // namespace backflow::emulators
