// ClickHouse incremental reads (see clickhouse_window.hpp).
#include "connectors/sources/clickhouse_window.hpp"

#include "connectors/sources/source_text.hpp"

namespace backflow {

std::string quote_ch_identifier(std::string_view name) {
  std::string out = "`";
  for (char c : name) {
    if (c == '`' || c == '\\')
      out += '\\';
    out += c;
  }
  return out + "`";
}

std::string ch_string_literal(std::string_view text) {
  std::string out = "'";
  for (char c : text) {
    switch (c) {
      case '\\': out += "\\\\"; break;
      case '\'': out += "\\'"; break;
      case '\0': out += "\\0"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      case '\r': out += "\\r"; break;
      default: out += c;
    }
  }
  return out + "'";
}

namespace {

bool is_integer_text(std::string_view text) {
  if (!text.empty() && text.front() == '-')
    text.remove_prefix(1);
  if (text.empty() || text.size() > 20)
    return false;
  for (char c : text)
    if (c < '0' || c > '9')
      return false;
  return true;
}

}  // namespace

result<std::string> ch_bound_literal(const query_param& bound) {
  if (bound.integer) {
    if (!is_integer_text(bound.text))
      return failure{"source: the incremental bound " + ch_string_literal(bound.text) +
                     " is not an integer"};
    return bound.text;
  }
  if (bound.text.empty())
    return failure{"source: the incremental bound is empty; it must be a date or date-time"};
  return "parseDateTimeBestEffort(" + ch_string_literal(bound.text) + ")";
}

std::string ch_window_query(const std::string& model, const std::string& cursor, bool integer) {
  auto c = quote_ch_identifier(cursor);
  // The placeholder last: ch_bind_window replaces the query's suffix, never text of the model.
  return wrap_model(model, "*",
                    c + " IS NULL OR " + (integer ? c : "toDateTime(" + c + ")") + " >= " +
                        std::string(ch_bound_placeholder));
}

std::string ch_key_query(const std::string& model, const std::vector<std::string>& columns) {
  std::string select;
  for (const auto& c : columns)
    select += (select.empty() ? "" : ", ") + quote_ch_identifier(c);
  return wrap_model(model, select, "");
}

result<std::string> ch_bind_window(const std::string& query,
                                   const std::vector<query_param>& params) {
  if (params.empty())
    return query;
  if (params.size() != 1)
    return failure{"source: a ClickHouse incremental read binds one value, not " +
                   std::to_string(params.size())};
  const auto& ph = ch_bound_placeholder;
  if (query.size() < ph.size() || query.compare(query.size() - ph.size(), ph.size(), ph) != 0)
    return failure{"source: the ClickHouse window query does not end with its bound"};
  auto literal = ch_bound_literal(params.front());
  if (!literal)
    return literal.error();
  return query.substr(0, query.size() - ph.size()) + *literal;
}

}  // namespace backflow
