// The warehouse of an oracle sequence: typed rows held in memory and rewritten into a real SQLite
// table before each run, so the oracle always knows the exact value behind every cell.
#pragma once

#include <map>
#include <string>
#include <vector>

struct sqlite3;

namespace backflow::oracle {

/// One stored value and the exact text the oracle wrote.
struct cell {
  enum class kind { null, text, integer, real };
  kind type = kind::null;
  std::string text;  ///< text: the string; integer: its digits; real: its shortest literal

  static cell null() { return {}; }
  static cell of_text(std::string t) { return {kind::text, std::move(t)}; }
  static cell of_integer(std::string t) { return {kind::integer, std::move(t)}; }
  static cell of_real(std::string t) { return {kind::real, std::move(t)}; }

  bool operator==(const cell& o) const { return type == o.type && text == o.text; }
  bool operator!=(const cell& o) const { return !(*this == o); }
  /// For reports: NULL, "text", or the number.
  [[nodiscard]] std::string show() const;
};

/// The model's columns and their SQLite types: keys k1, k2; Meta identifiers email, fn, ln,
/// phone; values score (REAL), big (INTEGER), amount (TEXT holding decimals), tier, note.
const std::vector<std::pair<std::string, std::string>>& model_columns();

/// One row: a cell per column.
using row = std::map<std::string, cell>;

/// The model table `people` in a SQLite file.
class warehouse {
 public:
  explicit warehouse(std::string path);
  ~warehouse();
  warehouse(const warehouse&) = delete;
  warehouse& operator=(const warehouse&) = delete;

  std::vector<row>& rows() { return rows_; }
  [[nodiscard]] const std::vector<row>& rows() const { return rows_; }

  /// Replaces the table's content with rows(), in one transaction.
  void write();

  [[nodiscard]] const std::string& path() const { return path_; }

 private:
  void exec(const std::string& sql);

  std::string path_;
  sqlite3* db_ = nullptr;
  std::vector<row> rows_;
};

}  // namespace backflow::oracle
