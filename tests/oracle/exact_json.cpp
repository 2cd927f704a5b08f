// JSON with exact number text, and decimal comparison (see exact_json.hpp).
#include "tests/oracle/exact_json.hpp"

#include <cctype>
#include <vector>

namespace backflow::oracle {
namespace {

using nlohmann::json;

/// Builds a DOM like nlohmann's own, except that floats keep their literal.
class exact_builder final : public nlohmann::json_sax<json> {
 public:
  json root;

  bool null() override { return put(json()); }
  bool boolean(bool v) override { return put(json(v)); }
  bool number_integer(number_integer_t v) override { return put(json(v)); }
  bool number_unsigned(number_unsigned_t v) override { return put(json(v)); }
  bool number_float(number_float_t, const string_t& literal) override {
    return put(json{{"$number", literal}});
  }
  bool string(string_t& v) override { return put(json(v)); }
  bool binary(binary_t&) override { return false; }
  bool start_object(std::size_t) override { return open(json::object()); }
  bool key(string_t& k) override {
    key_ = k;
    return true;
  }
  bool end_object() override { return close(); }
  bool start_array(std::size_t) override { return open(json::array()); }
  bool end_array() override { return close(); }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception&) override {
    failed = true;
    return false;
  }
  bool failed = false;

 private:
  json* slot(json v) {
    if (stack_.empty()) {
      root = std::move(v);
      return &root;
    }
    json& parent = *stack_.back();
    if (parent.is_array()) {
      parent.push_back(std::move(v));
      return &parent.back();
    }
    parent[key_] = std::move(v);
    return &parent[key_];
  }
  bool put(json v) {
    slot(std::move(v));
    return true;
  }
  bool open(json container) {
    stack_.push_back(slot(std::move(container)));
    return true;
  }
  bool close() {
    stack_.pop_back();
    return true;
  }

  std::vector<json*> stack_;
  std::string key_;
};

/// A decimal literal as sign, significant digits and the exponent of the last digit.
struct decimal {
  bool negative = false;
  std::string digits;  ///< no leading or trailing zeros; empty for zero
  long exponent = 0;
};

std::optional<decimal> read_decimal(const std::string& text) {
  decimal d;
  std::size_t i = 0;
  if (i < text.size() && (text[i] == '-' || text[i] == '+'))
    d.negative = text[i++] == '-';
  std::string mantissa;
  long point_shift = 0;
  bool seen_point = false;
  bool any_digit = false;
  for (; i < text.size(); ++i) {
    char c = text[i];
    if (std::isdigit(static_cast<unsigned char>(c))) {
      mantissa.push_back(c);
      any_digit = true;
      if (seen_point)
        --point_shift;
    } else if (c == '.' && !seen_point) {
      seen_point = true;
    } else {
      break;
    }
  }
  if (!any_digit)
    return std::nullopt;
  long exponent = 0;
  if (i < text.size() && (text[i] == 'e' || text[i] == 'E')) {
    ++i;
    bool minus = false;
    if (i < text.size() && (text[i] == '-' || text[i] == '+'))
      minus = text[i++] == '-';
    if (i == text.size())
      return std::nullopt;
    for (; i < text.size(); ++i) {
      if (!std::isdigit(static_cast<unsigned char>(text[i])) || exponent > 100000)
        return std::nullopt;
      exponent = exponent * 10 + (text[i] - '0');
    }
    exponent = minus ? -exponent : exponent;
  }
  if (i != text.size())
    return std::nullopt;
  auto first = mantissa.find_first_not_of('0');
  if (first == std::string::npos)
    return decimal{};  // zero, whatever its sign
  auto last = mantissa.find_last_not_of('0');
  d.digits = mantissa.substr(first, last - first + 1);
  d.exponent = exponent + point_shift + static_cast<long>(mantissa.size() - 1 - last);
  return d;
}

}  // namespace

nlohmann::json parse_exact(const std::string& text) {
  exact_builder builder;
  bool ok = json::sax_parse(text, &builder);
  if (!ok || builder.failed)
    return json(json::value_t::discarded);
  return std::move(builder.root);
}

std::optional<std::string> number_literal(const nlohmann::json& value) {
  if (value.is_object() && value.size() == 1 && value.contains("$number"))
    return value["$number"].get<std::string>();
  if (value.is_number())
    return value.dump();
  return std::nullopt;
}

bool is_decimal(const std::string& text) {
  return read_decimal(text).has_value();
}

bool same_decimal(const std::string& a, const std::string& b) {
  auto x = read_decimal(a);
  auto y = read_decimal(b);
  if (!x || !y)
    return false;
  if (x->digits.empty() || y->digits.empty())
    return x->digits.empty() && y->digits.empty();
  return x->negative == y->negative && x->digits == y->digits && x->exponent == y->exponent;
}

bool is_integer_literal(const std::string& text) {
  return is_decimal(text) && text.find_first_of(".eE") == std::string::npos;
}

}  // namespace backflow::oracle
