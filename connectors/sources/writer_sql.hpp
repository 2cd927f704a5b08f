// SQL text both write-back families build alike (sql_writer, bound_writer): quoting, CREATE TABLE, failure messages.
#pragma once

#include <functional>
#include <initializer_list>
#include <string>

#include "connectors/sources/warehouse_writer.hpp"

namespace backflow {

/// `name` as an identifier between two `mark`s, a `mark` inside doubled ("a""b", `a``b`).
[[nodiscard]] std::string quote_doubling(const std::string& name, char mark);

/// CREATE TABLE IF NOT EXISTS `relation` with the columns of `t`, key columns NOT NULL:
/// `quote` quotes a name, `type_of(kind, key)` gives a column's type, and `constraints` what
/// follows the columns given the quoted key columns ("a, b").
[[nodiscard]] std::string create_table_sql(
    const std::string& relation, const wb_table& t,
    const std::function<std::string(const std::string&)>& quote,
    const std::function<std::string(wb_kind, bool)>& type_of,
    const std::function<std::string(const std::string&)>& constraints);

/// A client's failure as write-back's: "writeback: <engine>: <message>", the first of
/// `prefixes` that `message` starts with taken off (the reading side's, which blame the sync's
/// source).
[[nodiscard]] std::string writer_failure_text(const std::string& engine, std::string message,
                                              std::initializer_list<const char*> prefixes);

}  // namespace backflow
