// How ClickHouse's TabSeparated text becomes cells (see clickhouse_values.hpp).
#include "connectors/sources/clickhouse_values.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <limits>

#include <nlohmann/json.hpp>

#include "pipelines/core/civil_date.hpp"
#include "pipelines/core/decimal.hpp"
#include "pipelines/core/unicode_text.hpp"

namespace backflow {
namespace {

bool starts_with(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

/// "Wrapper(inner)" gives "inner" when `s` is that wrapper.
bool unwrap(std::string_view& s, std::string_view wrapper) {
  if (!starts_with(s, wrapper) || s.size() < wrapper.size() + 2 || s[wrapper.size()] != '(' ||
      s.back() != ')')
    return false;
  s = s.substr(wrapper.size() + 1, s.size() - wrapper.size() - 2);
  return true;
}

int hex_digit(char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

bool parse_ch_float(std::string_view text, double& value) {
  if (text == "nan" || text == "-nan") {
    value = std::numeric_limits<double>::quiet_NaN();
    return true;
  }
  if (text == "inf" || text == "+inf" || text == "-inf") {
    value = text[0] == '-' ? -std::numeric_limits<double>::infinity()
                           : std::numeric_limits<double>::infinity();
    return true;
  }
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  return ec == std::errc() && end == text.data() + text.size();
}

/// The number written by the `n` digits at `text[at]`, or -1 when one is not a digit.
int ch_digits(std::string_view text, size_t at, size_t n) {
  int v = 0;
  for (size_t i = at; i < at + n; ++i) {
    if (text[i] < '0' || text[i] > '9')
      return -1;
    v = v * 10 + (text[i] - '0');
  }
  return v;
}

/// "YYYY-MM-DD" (0000-00-00 is day 0: 1970-01-01, as current ClickHouse prints it).
bool read_date(std::string_view text, int64_t& days) {
  if (text.size() != 10 || text[4] != '-' || text[7] != '-')
    return false;
  int y = ch_digits(text, 0, 4);
  int m = ch_digits(text, 5, 2);
  int d = ch_digits(text, 8, 2);
  if (y < 0 || m < 0 || d < 0)
    return false;
  if (y == 0 && m == 0 && d == 0) {
    days = 0;
    return true;
  }
  if (m < 1 || m > 12 || d < 1 || d > days_in_month(y, m))
    return false;
  days = days_from_civil(y, m, d);
  return true;
}

/// Appends `v` as `width` digits (zero-padded) to `out`.
void put_digits(std::string& out, int64_t v, int width) {
  char buf[24];
  int n = 0;
  do {
    buf[n++] = static_cast<char>('0' + v % 10);
    v /= 10;
  } while (v > 0 || n < width);
  while (n > 0)
    out.push_back(buf[--n]);
}

/// Writes "YYYY-MM-DD" for `days` since 1970-01-01 at `p` (a year past 9999 or before 0 takes
/// more room: `p` must hold 24 bytes); returns the end.
char* put_iso_date(char* p, int64_t days) {
  int64_t y = 0;
  int m = 0, d = 0;
  civil_from_days(days, y, m, d);
  if (y >= 0 && y <= 9999) {
    for (int i = 3; i >= 0; --i, y /= 10)
      p[i] = static_cast<char>('0' + y % 10);
    p += 4;
  } else {
    std::string year;
    put_digits(year, y, 4);
    p = std::copy(year.begin(), year.end(), p);
  }
  const char date[6] = {'-', static_cast<char>('0' + m / 10), static_cast<char>('0' + m % 10),
                        '-', static_cast<char>('0' + d / 10), static_cast<char>('0' + d % 10)};
  return std::copy(date, date + 6, p);
}

std::string iso_date(int64_t days) {
  char buf[32];
  return std::string(buf, put_iso_date(buf, days));
}

/// "YYYY-MM-DD hh:mm:ss" printed in `zone` as UTC "YYYY-MM-DDThh:mm:ss+00:00". A local time that
/// occurs twice (the hour DST ends) reads as the earlier instant.
bool read_date_time(std::string_view text, const time_zone& zone, std::string& out) {
  int64_t days = 0;
  if (text.size() != 19 || text[10] != ' ' || text[13] != ':' || text[16] != ':' ||
      !read_date(text.substr(0, 10), days))
    return false;
  int hh = ch_digits(text, 11, 2);
  int mm = ch_digits(text, 14, 2);
  int ss = ch_digits(text, 17, 2);
  if (hh < 0 || mm < 0 || ss < 0)
    return false;
  const int64_t local = days * 86400 + hh * 3600 + mm * 60 + ss;
  const bool zero = text == "0000-00-00 00:00:00";  // instant 0, printed as zeros in any zone
  using std::chrono::seconds;
  using std::chrono::system_clock;
  auto offset = [&zone](int64_t utc) {
    return zone.offset_at(system_clock::time_point(seconds(utc))).count();
  };
  int64_t utc = local;
  if (!zero) {
    utc = local - offset(local);
    utc = local - offset(utc);
    if (int64_t earlier = local - offset(utc - 3600); offset(earlier) + earlier == local)
      utc = std::min(utc, earlier);
  }
  int64_t day = utc >= 0 ? utc / 86400 : (utc - 86399) / 86400;
  auto second = static_cast<int>(utc - day * 86400);
  char buf[48];
  char* p = put_iso_date(buf, day);
  const int h = second / 3600, mi = second / 60 % 60, se = second % 60;
  // "+00:00": as the postgres and mysql sources write an instant, so the same row hashes alike.
  const char time[15] = {'T', static_cast<char>('0' + h / 10), static_cast<char>('0' + h % 10),
                         ':', static_cast<char>('0' + mi / 10), static_cast<char>('0' + mi % 10),
                         ':', static_cast<char>('0' + se / 10), static_cast<char>('0' + se % 10),
                         '+', '0', '0', ':', '0', '0'};
  p = std::copy(time, time + 15, p);
  out.assign(buf, p);  // reuses the caller's buffer
  return true;
}

/// One value of an array (Values-style text: 'quoted', NULL, numbers, [nested]) as JSON.
class array_reader {
 public:
  array_reader(std::string_view text, ch_zones& zones) : text_(text), zones_(zones) {}

  bool read(const ch_type& type, nlohmann::json& out) {
    return value(type, out) && pos_ == text_.size();
  }

 private:
  bool value(const ch_type& type, nlohmann::json& out) {
    if (text_.substr(pos_, 4) == "NULL") {
      pos_ += 4;
      out = nullptr;
      return true;
    }
    if (type.kind == ch_kind::array)
      return array(*type.element, out);
    std::string raw;
    bool quoted = pos_ < text_.size() && text_[pos_] == '\'';
    if (quoted ? !quoted_text(raw) : !bare_text(raw))
      return false;
    return scalar(type, raw, out);
  }

  bool array(const ch_type& element, nlohmann::json& out) {
    out = nlohmann::json::array();
    if (pos_ >= text_.size() || text_[pos_++] != '[')
      return false;
    if (pos_ < text_.size() && text_[pos_] == ']') {
      ++pos_;
      return true;
    }
    for (;;) {
      nlohmann::json item;
      if (!value(element, item))
        return false;
      out.push_back(std::move(item));
      if (pos_ >= text_.size())
        return false;
      char c = text_[pos_++];
      if (c == ']')
        return true;
      if (c != ',')
        return false;
    }
  }

  bool quoted_text(std::string& raw) {
    size_t start = ++pos_;
    while (pos_ < text_.size() && text_[pos_] != '\'')
      pos_ += text_[pos_] == '\\' ? 2 : 1;
    if (pos_ >= text_.size())
      return false;
    unescape_tsv(text_.substr(start, pos_ - start), raw);
    ++pos_;
    return true;
  }

  bool bare_text(std::string& raw) {
    size_t start = pos_;
    while (pos_ < text_.size() && text_[pos_] != ',' && text_[pos_] != ']')
      ++pos_;
    raw.assign(text_.substr(start, pos_ - start));
    return !raw.empty();
  }

  bool scalar(const ch_type& type, const std::string& raw, nlohmann::json& out) {
    switch (type.kind) {
      case ch_kind::signed_int:
      case ch_kind::unsigned_int:
        if (raw.find_first_not_of("-0123456789") != std::string::npos)
          return false;
        out = nlohmann::json::parse(raw);  // exact: nlohmann keeps 64-bit integers
        return true;
      case ch_kind::floating: {
        double v = 0;
        if (!parse_ch_float(raw, v))
          return false;
        out = std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr);
        return true;
      }
      case ch_kind::decimal: {
        auto d = normalize_decimal(raw);
        if (!d)
          return false;
        out = *d;  // a string: JSON numbers lose digits in most readers
        return true;
      }
      case ch_kind::date: {
        int64_t days = 0;
        if (!read_date(raw, days))
          return false;
        out = iso_date(days);
        return true;
      }
      case ch_kind::date_time: {
        std::string utc;
        if (!read_date_time(raw, zones_.get(type.zone), utc))
          return false;
        out = utc;
        return true;
      }
      default:
        out = raw;
        return true;
    }
  }

  std::string_view text_;
  size_t pos_ = 0;
  ch_zones& zones_;
};

bool write_integer(row_writer& writer, std::string_view field, bool is_unsigned) {
  if (is_unsigned) {
    uint64_t v = 0;
    auto [end, ec] = std::from_chars(field.data(), field.data() + field.size(), v);
    if (ec != std::errc() || end != field.data() + field.size())
      return false;
    if (v <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
      writer.integer(static_cast<int64_t>(v));
    else
      writer.decimal(field);  // digits only, no leading zeros: canonical decimal text
    return true;
  }
  int64_t v = 0;
  auto [end, ec] = std::from_chars(field.data(), field.data() + field.size(), v);
  if (ec != std::errc() || end != field.data() + field.size())
    return false;
  writer.integer(v);
  return true;
}

}  // namespace

ch_type parse_ch_type(std::string_view name) {
  ch_type t;
  if (unwrap(name, "Nullable")) {
    t = parse_ch_type(name);
    t.nullable = true;
    return t;
  }
  if (unwrap(name, "LowCardinality"))
    return parse_ch_type(name);
  if (unwrap(name, "Array")) {
    t.kind = ch_kind::array;
    t.element = std::make_shared<ch_type>(parse_ch_type(name));
    return t;
  }
  if (starts_with(name, "UInt"))
    t.kind = ch_kind::unsigned_int;
  else if (starts_with(name, "Int"))
    t.kind = ch_kind::signed_int;
  else if (starts_with(name, "Float"))
    t.kind = ch_kind::floating;
  else if (starts_with(name, "Decimal"))
    t.kind = ch_kind::decimal;
  else if (name == "String" || starts_with(name, "FixedString("))
    t.kind = ch_kind::string;
  else if (name == "Date")
    t.kind = ch_kind::date;
  else if (name == "Nothing")
    t.kind = ch_kind::nothing;
  else if (name == "DateTime") {
    t.kind = ch_kind::date_time;
  } else if (unwrap(name, "DateTime")) {
    t.kind = ch_kind::date_time;
    // The zone is quoted and escaped: DateTime(\'Europe/Paris\') on the types line.
    std::string zone;
    unescape_tsv(name, zone);
    if (zone.size() >= 2 && zone.front() == '\'' && zone.back() == '\'')
      zone = zone.substr(1, zone.size() - 2);
    t.zone = zone;
  }
  return t;
}

column_kind ch_column_kind(const ch_type& type) {
  switch (type.kind) {
    case ch_kind::signed_int:
    case ch_kind::unsigned_int:
      return column_kind::integer;
    case ch_kind::floating:
      return column_kind::real;
    case ch_kind::decimal:
      return column_kind::decimal;
    case ch_kind::date:
    case ch_kind::date_time:
      return column_kind::timestamp;
    case ch_kind::nothing:
      return column_kind::unknown;
    default:
      return column_kind::text;
  }
}

void unescape_tsv(std::string_view field, std::string& out) {
  out.clear();
  size_t plain = field.find('\\');
  if (plain == std::string_view::npos) {
    out.assign(field);
    return;
  }
  out.reserve(field.size());
  for (size_t i = 0; i < field.size(); ++i) {
    char c = field[i];
    if (c != '\\' || i + 1 == field.size()) {
      out.push_back(c);
      continue;
    }
    char e = field[++i];
    switch (e) {
      case 'b': out.push_back('\b'); break;
      case 'f': out.push_back('\f'); break;
      case 'n': out.push_back('\n'); break;
      case 'r': out.push_back('\r'); break;
      case 't': out.push_back('\t'); break;
      case '0': out.push_back('\0'); break;
      case 'a': out.push_back('\a'); break;
      case 'v': out.push_back('\v'); break;
      case 'x':
        if (i + 2 < field.size() && hex_digit(field[i + 1]) >= 0 && hex_digit(field[i + 2]) >= 0) {
          out.push_back(static_cast<char>(hex_digit(field[i + 1]) * 16 + hex_digit(field[i + 2])));
          i += 2;
        } else {
          out.push_back('x');
        }
        break;
      default: out.push_back(e); break;  // \\ \' and any other escaped character
    }
  }
}

const time_zone& ch_zones::get(const std::string& name) {
  if (name.empty())
    return server_;
  for (const auto& [n, z] : named_)
    if (n == name)
      return z;
  auto loaded = time_zone::load(name);
  named_.emplace_back(name, loaded ? std::move(*loaded) : server_);
  return named_.back().second;
}

bool write_ch_field(row_writer& writer, const ch_type& type, std::string_view field,
                    ch_zones& zones, std::string& scratch) {
  if (field == "\\N" && (type.nullable || type.kind == ch_kind::nothing)) {
    writer.null();
    return true;
  }
  switch (type.kind) {
    case ch_kind::signed_int:
    case ch_kind::unsigned_int:
      return write_integer(writer, field, type.kind == ch_kind::unsigned_int);
    case ch_kind::floating: {
      double v = 0;
      if (!parse_ch_float(field, v))
        return false;
      writer.real(v);
      return true;
    }
    case ch_kind::decimal: {
      auto d = normalize_decimal(field);
      if (!d)
        return false;
      if (auto whole = decimal_to_int64(*d))
        writer.integer(*whole);
      else
        writer.decimal(*d);
      return true;
    }
    case ch_kind::string: {
      std::string_view value = field;
      if (field.find('\\') != std::string_view::npos) {
        unescape_tsv(field, scratch);
        value = scratch;
      }
      if (is_utf8(value))
        writer.text(value);
      else
        writer.bytes(value);
      return true;
    }
    case ch_kind::date: {
      int64_t days = 0;
      if (!read_date(field, days))
        return false;
      writer.timestamp(iso_date(days));
      return true;
    }
    case ch_kind::date_time:
      if (!read_date_time(field, zones.get(type.zone), scratch))
        return false;
      writer.timestamp(scratch);
      return true;
    case ch_kind::array: {
      nlohmann::json value;
      if (!array_reader(field, zones).read(type, value))
        return false;
      writer.text(value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
      return true;
    }
    case ch_kind::nothing:
      return false;
    case ch_kind::text:
      unescape_tsv(field, scratch);
      writer.text(scratch);
      return true;
  }
  return false;
}

}  // namespace backflow
