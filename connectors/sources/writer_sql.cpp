// SQL text both write-back families build alike (see writer_sql.hpp).
#include "connectors/sources/writer_sql.hpp"

namespace backflow {

std::string quote_doubling(const std::string& name, char mark) {
  std::string out(1, mark);
  for (char c : name) {
    if (c == mark)
      out.push_back(mark);
    out.push_back(c);
  }
  out.push_back(mark);
  return out;
}

std::string create_table_sql(const std::string& relation, const wb_table& t,
                             const std::function<std::string(const std::string&)>& quote,
                             const std::function<std::string(wb_kind, bool)>& type_of,
                             const std::function<std::string(const std::string&)>& constraints) {
  std::string sql = "CREATE TABLE IF NOT EXISTS " + relation + " (";
  std::string key;
  for (size_t i = 0; i < t.columns.size(); ++i) {
    const auto& c = t.columns[i];
    bool is_key = i < t.key_columns;
    sql += (i == 0 ? "" : ", ") + quote(c.name) + " " + type_of(c.kind, is_key) +
           (is_key ? " NOT NULL" : "");
    if (is_key)
      key += (key.empty() ? "" : ", ") + quote(c.name);
  }
  return sql + constraints(key) + ")";
}

std::string writer_failure_text(const std::string& engine, std::string message,
                                std::initializer_list<const char*> prefixes) {
  for (std::string prefix : prefixes)
    if (message.rfind(prefix, 0) == 0) {
      message.erase(0, prefix.size());
      break;
    }
  return "writeback: " + engine + ": " + message;
}

}  // namespace backflow
