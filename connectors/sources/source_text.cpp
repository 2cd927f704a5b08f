// Text helpers shared by the warehouse sources (see source_text.hpp).
#include "connectors/sources/source_text.hpp"

#include <algorithm>
#include <unordered_set>

#include "pipelines/core/crypto.hpp"

namespace backflow {
namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

/// True if `in` holds `count` digits starting at `pos`.
bool digits_at(std::string_view in, size_t pos, size_t count) {
  if (pos + count > in.size())
    return false;
  for (size_t i = pos; i < pos + count; ++i)
    if (!is_digit(in[i]))
      return false;
  return true;
}

char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool same_ignoring_case(std::string_view a, std::string_view b) {
  if (a.size() != b.size())
    return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (lower(a[i]) != lower(b[i]))
      return false;
  return true;
}

/// Position of the next case-insensitive occurrence of `word` in `s` at or after `from`.
size_t ifind(std::string_view s, std::string_view word, size_t from) {
  for (size_t i = from; i + word.size() <= s.size(); ++i)
    if (same_ignoring_case(s.substr(i, word.size()), word))
      return i;
  return std::string_view::npos;
}

void append_2(std::string& out, unsigned v) {
  out.push_back(static_cast<char>('0' + v / 10));
  out.push_back(static_cast<char>('0' + v % 10));
}

/// The end of a keyword value starting at `pos`: a quoted string, or up to a space or a stop char.
size_t value_end(std::string_view s, size_t pos, std::string_view stops) {
  if (pos < s.size() && (s[pos] == '\'' || s[pos] == '"')) {
    char quote = s[pos];
    size_t i = pos + 1;
    while (i < s.size() && s[i] != quote)
      i += (s[i] == '\\') ? 2 : 1;
    return std::min(i + 1, s.size());
  }
  size_t i = pos;
  while (i < s.size() && !is_space(s[i]) && stops.find(s[i]) == std::string_view::npos)
    ++i;
  return i;
}

/// Ranges [begin, end) of password values written as `password = value` in `s`.
std::vector<std::pair<size_t, size_t>> password_values(std::string_view s, std::string_view stops) {
  std::vector<std::pair<size_t, size_t>> ranges;
  for (size_t at = ifind(s, "password", 0); at != std::string_view::npos;
       at = ifind(s, "password", at + 1)) {
    size_t p = at + 8;
    while (p < s.size() && is_space(s[p]))
      ++p;
    if (p >= s.size() || (s[p] != '=' && s[p] != ':'))
      continue;
    ++p;
    while (p < s.size() && is_space(s[p]))
      ++p;
    size_t end = value_end(s, p, stops);
    if (end > p)
      ranges.emplace_back(p, end);
  }
  return ranges;
}

/// The password range of a URI's user info ("scheme://user:password@host") in `s`, if any.
std::vector<std::pair<size_t, size_t>> uri_passwords(std::string_view s) {
  std::vector<std::pair<size_t, size_t>> ranges;
  for (size_t scheme = s.find("://"); scheme != std::string_view::npos;
       scheme = s.find("://", scheme + 3)) {
    size_t begin = scheme + 3;
    size_t end = begin;
    while (end < s.size() && s[end] != '/' && s[end] != '?' && !is_space(s[end]) && s[end] != '"')
      ++end;
    size_t at = s.substr(begin, end - begin).rfind('@');
    if (at == std::string_view::npos)
      continue;
    size_t colon = s.substr(begin, at).find(':');
    if (colon != std::string_view::npos && colon + 1 < at)
      ranges.emplace_back(begin + colon + 1, begin + at);
  }
  return ranges;
}

std::string percent_decode(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && hex_digit_value(s[i + 1]) >= 0 && hex_digit_value(s[i + 2]) >= 0) {
      out.push_back(static_cast<char>(hex_digit_value(s[i + 1]) * 16 + hex_digit_value(s[i + 2])));
      i += 2;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

/// Replaces the given ranges of `s` with "***"; overlapping ranges become one.
std::string replace_ranges(std::string_view s, std::vector<std::pair<size_t, size_t>> ranges) {
  std::sort(ranges.begin(), ranges.end());
  std::string out;
  size_t pos = 0;
  for (auto [begin, end] : ranges) {
    if (begin < pos) {
      pos = std::max(pos, end);
      continue;
    }
    out.append(s.substr(pos, begin - pos));
    out.append("***");
    pos = end;
  }
  out.append(s.substr(pos));
  return out;
}

}  // namespace

std::string_view strip_query_terminator(std::string_view query) {
  while (!query.empty() && (is_space(query.back()) || query.back() == ';'))
    query.remove_suffix(1);
  return query;
}

std::string quote_identifier(std::string_view name) {
  std::string out = "\"";
  for (char c : name) {
    if (c == '"')
      out.push_back('"');
    out.push_back(c);
  }
  return out + "\"";
}

std::string wrap_model(std::string_view model, const std::string& select,
                       const std::string& where) {
  std::string sql = "SELECT " + select + " FROM (\n";
  sql.append(strip_query_terminator(model));
  sql += "\n) AS backflow_model";
  if (!where.empty())
    sql += " WHERE " + where;
  return sql;
}

std::string standard_key_query(const std::string& model, const std::vector<std::string>& columns) {
  std::string select;
  for (const auto& c : columns)
    select += (select.empty() ? "" : ", ") + quote_identifier(c);
  return wrap_model(model, select, "");
}

bool normalise_timestamp(std::string_view in, std::string& out) {
  out.clear();
  const size_t n = in.size();
  if (!digits_at(in, 0, 4) || n < 10 || in[4] != '-' || !digits_at(in, 5, 2) || in[7] != '-' ||
      !digits_at(in, 8, 2))
    return false;
  out.append(in.data(), 10);
  if (n == 10)
    return true;
  size_t p = 10;
  if (in[p] != ' ' && in[p] != 'T' && in[p] != 't')
    return false;
  out.push_back('T');
  ++p;
  if (!digits_at(in, p, 2) || p + 2 >= n || in[p + 2] != ':' || !digits_at(in, p + 3, 2))
    return false;
  out.append(in.data() + p, 5);
  p += 5;
  if (p < n && in[p] == ':') {
    if (!digits_at(in, p + 1, 2))
      return false;
    out.append(in.data() + p, 3);
    p += 3;
    if (p < n && (in[p] == '.' || in[p] == ',')) {
      size_t q = p + 1;
      while (q < n && is_digit(in[q]))
        ++q;
      if (q == p + 1)
        return false;
      out.push_back('.');
      out.append(in.data() + p + 1, q - p - 1);
      p = q;
    }
  }
  if (p == n)
    return true;
  if (in[p] == 'Z' || in[p] == 'z') {
    out.push_back('Z');
    return p + 1 == n;
  }
  if (in[p] != '+' && in[p] != '-')
    return false;
  out.push_back(in[p++]);
  if (!digits_at(in, p, 2))
    return false;
  out.append(in.data() + p, 2);
  p += 2;
  if (p == n) {
    out.append(":00");
    return true;
  }
  if (in[p] == ':') {
    if (!digits_at(in, p + 1, 2))
      return false;
    out.append(in.data() + p, 3);
    p += 3;
    // PostgreSQL prints historical offsets with seconds ("+05:53:28").
    if (p < n && in[p] == ':') {
      if (!digits_at(in, p + 1, 2))
        return false;
      out.append(in.data() + p, 3);
      p += 3;
    }
  } else if (digits_at(in, p, 2)) {
    out.push_back(':');
    out.append(in.data() + p, 2);
    p += 2;
  }
  return p == n;
}

bool unix_seconds_to_iso(int64_t seconds, std::string& out) {
  // 0000-01-01T00:00:00Z and 9999-12-31T23:59:59Z.
  if (seconds < -62167219200LL || seconds > 253402300799LL)
    return false;
  int64_t days = seconds / 86400;
  int64_t rest = seconds % 86400;
  if (rest < 0) {
    rest += 86400;
    --days;
  }
  // Civil date from days since 1970-01-01 in 400-year eras that start on March 1st.
  int64_t z = days + 719468;
  int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  auto day_of_era = static_cast<unsigned>(z - era * 146097);
  unsigned year_of_era =
      (day_of_era - day_of_era / 1460 + day_of_era / 36524 - day_of_era / 146096) / 365;
  unsigned day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
  unsigned month_index = (5 * day_of_year + 2) / 153;
  unsigned day = day_of_year - (153 * month_index + 2) / 5 + 1;
  unsigned month = month_index < 10 ? month_index + 3 : month_index - 9;
  auto year = static_cast<unsigned>(static_cast<int64_t>(year_of_era) + era * 400 + (month <= 2));
  auto secs = static_cast<unsigned>(rest);

  out.clear();
  append_2(out, year / 100);
  append_2(out, year % 100);
  out.push_back('-');
  append_2(out, month);
  out.push_back('-');
  append_2(out, day);
  out.push_back('T');
  append_2(out, secs / 3600);
  out.push_back(':');
  append_2(out, secs / 60 % 60);
  out.push_back(':');
  append_2(out, secs % 60);
  out.push_back('Z');
  return true;
}

bool parse_boolean_text(std::string_view in, bool& value) {
  if (same_ignoring_case(in, "true") || same_ignoring_case(in, "t") || in == "1") {
    value = true;
    return true;
  }
  if (same_ignoring_case(in, "false") || same_ignoring_case(in, "f") || in == "0") {
    value = false;
    return true;
  }
  return false;
}

bool decode_bytea_hex(std::string_view in, std::string& out) {
  out.clear();
  if (in.size() < 2 || in[0] != '\\' || in[1] != 'x' || in.size() % 2 != 0)
    return false;
  out.reserve((in.size() - 2) / 2);
  for (size_t i = 2; i < in.size(); i += 2) {
    int high = hex_digit_value(in[i]);
    int low = hex_digit_value(in[i + 1]);
    if (high < 0 || low < 0)
      return false;
    out.push_back(static_cast<char>(high << 4 | low));
  }
  return true;
}

status check_unique_columns(const schema& cols) {
  std::unordered_set<std::string_view> seen;
  for (const auto& col : cols)
    if (!seen.insert(col.name).second)
      return failure{"source.query: the query returns column \"" + col.name +
                     "\" twice; give each column a unique name"};
  return {};
}

std::string one_line(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '\n' || c == '\t' || c == '\r') {
      if (!out.empty() && out.back() != ' ')
        out.push_back(' ');
    } else {
      out.push_back(c);
    }
  }
  while (!out.empty() && out.back() == ' ')
    out.pop_back();
  return out;
}

std::string hide_quoted_fragments(const std::string& message) {
  if (message.rfind("invalid connection option", 0) == 0 ||
      message.rfind("invalid URI query parameter", 0) == 0)
    return message;
  std::string out;
  bool quoted = false;
  size_t open = 0;
  for (size_t i = 0; i < message.size(); ++i) {
    if (message[i] != '"') {
      if (!quoted)
        out.push_back(message[i]);
      continue;
    }
    if (!quoted) {
      quoted = true;
      open = i;
    } else {
      quoted = false;
      std::string inner = message.substr(open + 1, i - open - 1);
      out += inner.size() <= 1 ? "\"" + inner + "\"" : "\"...\"";
    }
  }
  return out;
}

std::string redact_secrets(std::string_view message, std::string_view dsn,
                           const std::vector<std::string>& secrets) {
  // Everything in the DSN that could be a password, as given and as a libpq parser would read it.
  std::vector<std::string> literals = secrets;
  for (std::string_view stops : {std::string_view{}, std::string_view{"&"}}) {
    for (auto [begin, end] : password_values(dsn, stops)) {
      std::string_view value = dsn.substr(begin, end - begin);
      literals.emplace_back(value);
      if (value.size() >= 2 && (value.front() == '\'' || value.front() == '"'))
        literals.emplace_back(value.substr(1, value.size() - 2));
      literals.push_back(percent_decode(value));
    }
  }
  for (auto [begin, end] : uri_passwords(dsn)) {
    literals.emplace_back(dsn.substr(begin, end - begin));
    literals.push_back(percent_decode(dsn.substr(begin, end - begin)));
  }
  // Very short values would blank out ordinary words; the patterns below still catch them.
  literals.erase(std::remove_if(literals.begin(), literals.end(),
                                [](const std::string& s) { return s.size() < 3; }),
                 literals.end());
  std::sort(literals.begin(), literals.end(),
            [](const std::string& a, const std::string& b) { return a.size() > b.size(); });

  std::vector<std::pair<size_t, size_t>> ranges;
  for (const auto& secret : literals)
    for (size_t at = message.find(secret); at != std::string_view::npos;
         at = message.find(secret, at + 1))
      ranges.emplace_back(at, at + secret.size());
  std::string once = replace_ranges(message, std::move(ranges));

  auto patterns = password_values(once, "&");
  for (auto r : uri_passwords(once))
    patterns.push_back(r);
  return replace_ranges(once, std::move(patterns));
}

}  // namespace backflow
