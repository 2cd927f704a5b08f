// Value transforms and type conversions (see transforms.hpp).
#include "pipelines/mapping/transforms.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <ctime>

#include "pipelines/core/crypto.hpp"
#include "pipelines/core/text.hpp"

namespace backflow {
namespace {

struct named_transform {
  const char* name;
  transform_kind kind;
};

constexpr named_transform transforms_table[] = {
  {"trim", transform_kind::trim},
  {"lowercase", transform_kind::lowercase},
  {"uppercase", transform_kind::uppercase},
  {"sha256", transform_kind::sha256},
  {"normalize_email", transform_kind::normalize_email},
  {"digits", transform_kind::digits},
  {"hash_email", transform_kind::hash_email},
};

struct named_type {
  const char* name;
  field_type type;
};

constexpr named_type types_table[] = {
  {"string", field_type::string},   {"number", field_type::number},
  {"integer", field_type::integer}, {"boolean", field_type::boolean},
  {"datetime", field_type::datetime},
};

std::string quoted(std::string_view s) {
  constexpr size_t max = 60;
  std::string out = "\"";
  out.append(s.substr(0, max));
  if (s.size() > max)
    out += "...";
  return out + "\"";
}

bool parse_int(std::string_view s, int64_t& out) {
  s = trim_view(s);
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && ptr == s.data() + s.size() && !s.empty();
}

bool parse_double(std::string_view s, double& out) {
  std::string tmp(trim_view(s));
  if (tmp.empty())
    return false;
  char* end = nullptr;
  out = std::strtod(tmp.c_str(), &end);
  return end == tmp.c_str() + tmp.size() && std::isfinite(out);
}

/// "YYYY-MM-DD" with a real month and day, optionally followed by a time ('T' or ' ').
bool looks_like_iso_date(std::string_view s) {
  if (s.size() < 10 || s[4] != '-' || s[7] != '-')
    return false;
  for (size_t i : {0, 1, 2, 3, 5, 6, 8, 9})
    if (!std::isdigit(static_cast<unsigned char>(s[i])))
      return false;
  int month = (s[5] - '0') * 10 + (s[6] - '0');
  int day = (s[8] - '0') * 10 + (s[9] - '0');
  if (month < 1 || month > 12 || day < 1 || day > 31)
    return false;
  return s.size() == 10 || s[10] == 'T' || s[10] == ' ';
}

}  // namespace

std::optional<transform_kind> parse_transform(std::string_view name) {
  for (const auto& t : transforms_table)
    if (name == t.name)
      return t.kind;
  return std::nullopt;
}

std::optional<field_type> parse_field_type(std::string_view name) {
  for (const auto& t : types_table)
    if (name == t.name)
      return t.type;
  return std::nullopt;
}

const std::vector<std::string>& transform_names() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> v;
    for (const auto& t : transforms_table)
      v.emplace_back(t.name);
    return v;
  }();
  return names;
}

const std::vector<std::string>& field_type_names() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> v;
    for (const auto& t : types_table)
      v.emplace_back(t.name);
    return v;
  }();
  return names;
}

std::string iso8601_from_unix(int64_t seconds) {
  std::time_t t = static_cast<std::time_t>(seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

cell apply_transform(transform_kind t, const cell& in, std::string& scratch) {
  if (in.is_null())
    return in;
  std::string text = in.is_text_like() ? std::string(in.text) : cell_to_string(in);
  switch (t) {
    case transform_kind::trim:
      scratch = std::string(trim_view(text));
      break;
    case transform_kind::lowercase:
      scratch = ascii_lower(text);
      break;
    case transform_kind::uppercase:
      scratch = text;
      for (auto& c : scratch)
        c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      break;
    case transform_kind::sha256:
      scratch = is_sha256_hex(text) ? ascii_lower(text) : sha256_hex(text);
      break;
    case transform_kind::normalize_email:
      scratch = ascii_lower(trim_view(text));
      break;
    case transform_kind::digits:
      scratch.clear();
      for (char c : text)
        if (std::isdigit(static_cast<unsigned char>(c)))
          scratch.push_back(c);
      break;
    case transform_kind::hash_email: {
      auto normal = ascii_lower(trim_view(text));
      scratch = is_sha256_hex(normal) ? normal : sha256_hex(normal);
      break;
    }
  }
  return cell::of_text(scratch);
}

result<cell> convert_cell(field_type type, const cell& in, std::string& scratch) {
  if (in.is_null() || type == field_type::keep)
    return in;
  switch (type) {
    case field_type::keep:
      return in;
    case field_type::string:
      if (in.type == cell_type::text)
        return in;
      scratch = cell_to_string(in);
      return cell::of_text(scratch);
    case field_type::number: {
      if (in.type == cell_type::integer)
        return in;
      if (in.type == cell_type::real) {
        if (!std::isfinite(in.real))
          return failure{cell_to_string(in) + " is not a finite number"};
        // Integral values go out as integers: 7, not 7.0 (exact below 2^53).
        if (std::floor(in.real) == in.real && std::fabs(in.real) < 9007199254740992.0)
          return cell::of_integer(static_cast<int64_t>(in.real));
        return in;
      }
      int64_t i;
      double d;
      if (in.type == cell_type::text && parse_int(in.text, i))
        return cell::of_integer(i);
      if (in.type == cell_type::text && parse_double(in.text, d))
        return convert_cell(field_type::number, cell::of_real(d), scratch);  // "7.0" → 7
      return failure{(in.is_text_like() ? quoted(in.text) : cell_to_string(in)) + " is not a number"};
    }
    case field_type::integer: {
      if (in.type == cell_type::integer)
        return in;
      if (in.type == cell_type::real && std::isfinite(in.real) && std::floor(in.real) == in.real &&
          std::fabs(in.real) < 9.2e18)
        return cell::of_integer(static_cast<int64_t>(in.real));
      int64_t i;
      if (in.type == cell_type::text && parse_int(in.text, i))
        return cell::of_integer(i);
      return failure{(in.is_text_like() ? quoted(in.text) : cell_to_string(in)) +
                     " is not an integer"};
    }
    case field_type::boolean: {
      if (in.type == cell_type::boolean_true || in.type == cell_type::boolean_false)
        return in;
      if (in.type == cell_type::integer && (in.integer == 0 || in.integer == 1))
        return cell::of_bool(in.integer == 1);
      if (in.type == cell_type::text) {
        auto v = ascii_lower(trim_view(in.text));
        if (v == "true" || v == "t" || v == "yes" || v == "y" || v == "1")
          return cell::of_bool(true);
        if (v == "false" || v == "f" || v == "no" || v == "n" || v == "0")
          return cell::of_bool(false);
      }
      return failure{(in.is_text_like() ? quoted(in.text) : cell_to_string(in)) +
                     " is not a boolean"};
    }
    case field_type::datetime: {
      if (in.type == cell_type::integer || (in.type == cell_type::real && std::isfinite(in.real))) {
        // Numbers are unix seconds.
        auto seconds = in.type == cell_type::integer ? in.integer
                                                     : static_cast<int64_t>(std::floor(in.real));
        scratch = iso8601_from_unix(seconds);
        return cell::of_text(scratch, cell_type::timestamp);
      }
      if (in.is_text_like() && looks_like_iso_date(trim_view(in.text))) {
        scratch = std::string(trim_view(in.text));
        if (scratch.size() > 10 && scratch[10] == ' ')
          scratch[10] = 'T';
        return cell::of_text(scratch, cell_type::timestamp);
      }
      return failure{(in.is_text_like() ? quoted(in.text) : cell_to_string(in)) +
                     " is not an ISO-8601 date-time"};
    }
  }
  return in;
}

}  // namespace backflow
