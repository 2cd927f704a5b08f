// Exact decimal numbers as text (see decimal.hpp).
#include "pipelines/core/decimal.hpp"

#include <charconv>

#include "pipelines/core/text.hpp"

namespace backflow {
namespace {

/// How far an exponent may move the point: enough for any warehouse's decimals (38 digits,
/// PostgreSQL's scale limit of 16383 is reached by plain digits, not exponents), small enough
/// that "1e999999999" cannot make a gigabyte of zeros.
constexpr long max_exponent = 4096;

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

bool all_zeros(std::string_view digits) {
  return digits.find_first_not_of("0.-") == std::string_view::npos;
}

/// Reads "[eE][+-]digits" at text[i]; false when malformed or out of range.
bool read_exponent(std::string_view text, size_t& i, long& exponent) {
  ++i;  // 'e' or 'E'
  bool negative = false;
  if (i < text.size() && (text[i] == '+' || text[i] == '-'))
    negative = text[i++] == '-';
  size_t first = i;
  long value = 0;
  for (; i < text.size() && is_digit(text[i]); ++i) {
    value = value * 10 + (text[i] - '0');
    if (value > max_exponent)
      return false;
  }
  if (i == first)
    return false;
  exponent = negative ? -value : value;
  return true;
}

}  // namespace

std::optional<std::string> normalize_decimal(std::string_view text) {
  text = trim_view(text);
  size_t i = 0;
  bool negative = false;
  if (i < text.size() && (text[i] == '+' || text[i] == '-'))
    negative = text[i++] == '-';
  std::string digits;
  size_t integer_digits = 0;
  for (; i < text.size() && is_digit(text[i]); ++i, ++integer_digits)
    digits.push_back(text[i]);
  if (i < text.size() && text[i] == '.')
    for (++i; i < text.size() && is_digit(text[i]); ++i)
      digits.push_back(text[i]);
  if (digits.empty())
    return std::nullopt;
  long exponent = 0;
  if (i < text.size() && (text[i] == 'e' || text[i] == 'E') && !read_exponent(text, i, exponent))
    return std::nullopt;
  if (i != text.size())
    return std::nullopt;

  // Move the point by the exponent, padding with zeros on either side as needed.
  long point = static_cast<long>(integer_digits) + exponent;
  if (point > static_cast<long>(digits.size()))
    digits.append(static_cast<size_t>(point) - digits.size(), '0');
  if (point < 0) {
    digits.insert(0, static_cast<size_t>(-point), '0');
    point = 0;
  }
  auto whole = std::string_view(digits).substr(0, static_cast<size_t>(point));
  auto fraction = std::string_view(digits).substr(static_cast<size_t>(point));
  auto first = whole.find_first_not_of('0');
  whole = first == std::string_view::npos ? std::string_view("0") : whole.substr(first);

  std::string out;
  out.reserve(digits.size() + 3);
  if (negative && !all_zeros(digits))
    out.push_back('-');
  out.append(whole);
  if (!fraction.empty()) {
    out.push_back('.');
    out.append(fraction);
  }
  return out;
}

bool is_canonical_decimal(std::string_view text) {
  size_t i = 0;
  bool negative = !text.empty() && text[0] == '-';
  if (negative)
    ++i;
  size_t first = i;
  while (i < text.size() && is_digit(text[i]))
    ++i;
  size_t whole = i - first;
  if (whole == 0 || (whole > 1 && text[first] == '0'))
    return false;
  if (i < text.size()) {
    if (text[i] != '.')
      return false;
    size_t fraction = ++i;
    while (i < text.size() && is_digit(text[i]))
      ++i;
    if (i == fraction || i != text.size())
      return false;
  }
  return !(negative && all_zeros(text));
}

bool decimal_is_integral(std::string_view decimal) {
  auto point = decimal.find('.');
  return point == std::string_view::npos ||
         decimal.find_first_not_of('0', point + 1) == std::string_view::npos;
}

std::string decimal_integer_part(std::string_view decimal) {
  auto whole = decimal.substr(0, decimal.find('.'));
  return whole == "-0" ? std::string("0") : std::string(whole);
}

std::optional<int64_t> decimal_to_int64(std::string_view decimal) {
  int64_t value = 0;
  auto [end, ec] = std::from_chars(decimal.data(), decimal.data() + decimal.size(), value);
  if (ec != std::errc() || end != decimal.data() + decimal.size() || decimal.empty())
    return std::nullopt;
  return value;
}

}  // namespace backflow
