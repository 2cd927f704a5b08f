// The mapping's type conversions (convert_cell in transforms.hpp): exact, or a reason naming the value.
#include <cmath>
#include <limits>
#include <string>

#include "pipelines/core/decimal.hpp"
#include "pipelines/core/text.hpp"
#include "pipelines/mapping/calendar.hpp"
#include "pipelines/mapping/transforms.hpp"

namespace backflow {
namespace {

/// Integral doubles below this magnitude are exact integers (2^53).
constexpr double exact_integer_limit = 9007199254740992.0;

/// A value as a reason shows it: text quoted, other cells as their text; both shortened.
std::string shown(const cell& in) {
  constexpr size_t max = 60;
  const bool quoted = in.is_text_like();
  std::string text = quoted ? std::string(in.text.substr(0, max + 1)) : cell_to_string(in);
  if (text.size() > max)
    text = text.substr(0, max) + "...";
  return quoted ? "\"" + text + "\"" : text;
}

failure not_a(const cell& in, const char* what) {
  return failure{shown(in) + " is not " + what};
}

/// The canonical decimal a number-like cell holds (decimal, or text that normalises).
std::optional<std::string> decimal_of(const cell& in) {
  if (in.type == cell_type::decimal)
    return std::string(in.text);
  if (in.type == cell_type::text)
    return normalize_decimal(in.text);
  return std::nullopt;
}

/// An integer cell when `decimal` has no fraction digits and fits int64, else a decimal cell.
cell number_cell(const std::string& decimal, std::string& scratch) {
  if (auto i = decimal_to_int64(decimal))
    return cell::of_integer(*i);
  scratch = decimal;
  return cell::of_decimal(scratch);
}

result<cell> to_text(const cell& in, std::string& scratch) {
  if (in.type == cell_type::text)
    return in;
  scratch = cell_to_string(in);
  return cell::of_text(scratch);
}

result<cell> to_number(const cell& in, std::string& scratch) {
  switch (in.type) {
    case cell_type::integer:
    case cell_type::decimal:
      return in;
    case cell_type::real:
      if (!std::isfinite(in.real))
        return failure{cell_to_string(in) + " is not a finite number"};
      // Integral values go out as integers: 7, not 7.0 (exact below 2^53).
      if (std::floor(in.real) == in.real && std::fabs(in.real) < exact_integer_limit)
        return cell::of_integer(static_cast<int64_t>(in.real));
      return in;
    case cell_type::text:
      if (auto decimal = normalize_decimal(in.text))
        return number_cell(*decimal, scratch);
      break;
    default:
      break;
  }
  return not_a(in, "a number");
}

result<cell> to_integer(const cell& in, std::string& scratch) {
  if (in.type == cell_type::integer)
    return in;
  if (in.type == cell_type::real) {
    if (std::isfinite(in.real) && std::floor(in.real) == in.real && std::fabs(in.real) < 9.2e18)
      return cell::of_integer(static_cast<int64_t>(in.real));
    return not_a(in, "an integer");
  }
  // Decimals with only zeros after the point are integers; past int64 they stay exact decimals.
  auto decimal = decimal_of(in);
  if (!decimal || !decimal_is_integral(*decimal))
    return not_a(in, "an integer");
  return number_cell(decimal_integer_part(*decimal), scratch);
}

result<cell> to_boolean(const cell& in) {
  switch (in.type) {
    case cell_type::boolean_true:
    case cell_type::boolean_false:
      return in;
    case cell_type::integer:
      if (in.integer == 0 || in.integer == 1)
        return cell::of_bool(in.integer == 1);
      break;
    case cell_type::decimal:
      if (in.text == "0" || in.text == "1")
        return cell::of_bool(in.text == "1");
      break;
    case cell_type::text: {
      auto v = ascii_lower(trim_view(in.text));
      if (v == "true" || v == "t" || v == "yes" || v == "y" || v == "1")
        return cell::of_bool(true);
      if (v == "false" || v == "f" || v == "no" || v == "n" || v == "0")
        return cell::of_bool(false);
      break;
    }
    default:
      break;
  }
  return not_a(in, "a boolean");
}

/// Whole unix seconds of a number cell (fractions of a second dropped, towards the past).
std::optional<int64_t> unix_seconds(const cell& in) {
  if (in.type == cell_type::integer)
    return in.integer;
  if (in.type == cell_type::real && std::isfinite(in.real) && std::fabs(in.real) < 9.2e18)
    return static_cast<int64_t>(std::floor(in.real));
  if (in.type == cell_type::decimal) {
    auto whole = decimal_to_int64(decimal_integer_part(in.text));
    if (!whole || *whole == std::numeric_limits<int64_t>::min())
      return std::nullopt;  // far outside years 0001-9999 anyway
    bool past = in.text[0] == '-' && !decimal_is_integral(in.text);
    return past ? *whole - 1 : *whole;
  }
  return std::nullopt;
}

result<cell> to_datetime(const cell& in, std::string& scratch) {
  if (in.type == cell_type::integer || in.type == cell_type::real ||
      in.type == cell_type::decimal) {
    // Numbers are unix seconds, when they name a second of years 0001-9999.
    auto seconds = unix_seconds(in);
    auto text = seconds ? iso8601_of_unix(*seconds) : std::nullopt;
    if (!text)
      return failure{shown(in) + " is not a date-time: as unix seconds it must lie between " +
                     std::to_string(min_datetime_seconds) + " and " +
                     std::to_string(max_datetime_seconds) + " (years 0001 to 9999)"};
    scratch = *text;
    return cell::of_text(scratch, cell_type::timestamp);
  }
  if (in.is_text_like()) {
    auto text = trim_view(in.text);
    auto problem = iso8601_problem(text);
    if (!problem.empty())
      return failure{shown(in) + " is not an ISO-8601 date-time: " + problem};
    scratch = std::string(text);
    if (scratch.size() > 10 && scratch[10] == ' ')
      scratch[10] = 'T';
    return cell::of_text(scratch, cell_type::timestamp);
  }
  return not_a(in, "an ISO-8601 date-time");
}

}  // namespace

result<cell> convert_cell(field_type type, const cell& in, std::string& scratch) {
  if (in.is_null())
    return in;
  switch (type) {
    case field_type::keep:
      return in;
    case field_type::string:
      return to_text(in, scratch);
    case field_type::number:
      return to_number(in, scratch);
    case field_type::integer:
      return to_integer(in, scratch);
    case field_type::boolean:
      return to_boolean(in);
    case field_type::datetime:
      return to_datetime(in, scratch);
  }
  return in;
}

}  // namespace backflow
