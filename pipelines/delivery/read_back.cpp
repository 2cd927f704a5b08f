// Reading back what a destination holds (see read_back.hpp).
#include "pipelines/delivery/read_back.hpp"

#include <algorithm>
#include <vector>

#include "pipelines/core/decimal.hpp"
#include "pipelines/core/text.hpp"

namespace backflow {
namespace {

using json = nlohmann::json;

/// Builds a DOM like nlohmann's own parser, except that numbers that are not 64-bit integers
/// keep their text (as a binary value) instead of becoming doubles.
class exact_dom final : public nlohmann::json_sax<json> {
 public:
  json root;

  bool null() override { return put(json()); }
  bool boolean(bool v) override { return put(json(v)); }
  bool number_integer(number_integer_t v) override { return put(json(v)); }
  bool number_unsigned(number_unsigned_t v) override { return put(json(v)); }
  bool number_float(number_float_t, const string_t& s) override {
    return put(json::binary(json::binary_t::container_type(s.begin(), s.end())));
  }
  bool string(string_t& v) override { return put(json(std::move(v))); }
  bool binary(binary_t& v) override { return put(json::binary(v)); }
  bool start_object(std::size_t) override { return open(json::object()); }
  bool key(string_t& k) override {
    key_ = std::move(k);
    return true;
  }
  bool end_object() override { return close(); }
  bool start_array(std::size_t) override { return open(json::array()); }
  bool end_array() override { return close(); }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception&) override {
    return false;
  }

 private:
  json* place(json value) {
    if (stack_.empty()) {
      root = std::move(value);
      return &root;
    }
    json& parent = *stack_.back();
    if (parent.is_array()) {
      parent.push_back(std::move(value));
      return &parent.back();
    }
    json& slot = parent[key_];
    slot = std::move(value);
    return &slot;
  }
  bool put(json value) {
    place(std::move(value));
    return true;
  }
  bool open(json container) {
    stack_.push_back(place(std::move(container)));
    return true;
  }
  bool close() {
    stack_.pop_back();
    return true;
  }

  std::vector<json*> stack_;
  std::string key_;
};

/// Canonical decimal text without trailing fraction zeros ("1.50" → "1.5", "2.0" → "2").
std::optional<std::string> numeric_text(std::string_view text) {
  auto d = normalize_decimal(text);
  if (!d)
    return std::nullopt;
  if (auto point = d->find('.'); point != std::string::npos) {
    auto end = d->find_last_not_of('0');
    d->erase(end == point ? point : end + 1);
  }
  if (*d == "-0")
    *d = "0";
  return d;
}

bool same_number(std::string_view a, std::string_view b) {
  auto x = numeric_text(a);
  auto y = numeric_text(b);
  return x && y && *x == *y;
}

bool is_empty(const read_value& v, const read_back_rules& rules) {
  using k = read_value::kind;
  return v.what == k::absent || v.what == k::null ||
         (rules.empty_is_null && v.what == k::text && v.text.empty());
}

}  // namespace

read_value read_value::of_json(const nlohmann::json& value) {
  read_value out;
  if (value.is_null()) {
    out.what = kind::null;
  } else if (value.is_string()) {
    out.what = kind::text;
    out.text = value.get<std::string>();
  } else if (value.is_boolean()) {
    out.what = kind::boolean;
    out.text = value.get<bool>() ? "true" : "false";
  } else if (value.is_number_integer()) {
    out.what = kind::number;
    out.text = value.dump();
  } else if (value.is_binary()) {  // parse_exact_json's exact number
    out.what = kind::number;
    out.text.assign(value.get_binary().begin(), value.get_binary().end());
  } else if (value.is_number_float()) {  // a caller's own double: its shortest text
    out.what = kind::number;
    out.text = shortest_real_text(value.get<double>());
  } else {  // an object or array is no field value Backflow sends
    out.what = kind::text;
    out.text = value.dump();
  }
  return out;
}

bool same_value(const cell& sent, const read_value& value, const read_back_rules& rules) {
  using k = read_value::kind;
  switch (sent.type) {
    case cell_type::null:
      return is_empty(value, rules);
    case cell_type::boolean_false:
    case cell_type::boolean_true: {
      const char* want = sent.boolean() ? "true" : "false";
      return (value.what == k::boolean || value.what == k::text) && value.text == want;
    }
    case cell_type::integer:
    case cell_type::real:
    case cell_type::decimal:
      return (value.what == k::number || value.what == k::text) &&
             same_number(cell_to_string(sent), value.text);
    case cell_type::text:
    case cell_type::timestamp:
      if (sent.text.empty() && rules.empty_is_null)
        return is_empty(value, rules);
      if (value.what == k::text)
        return value.text == sent.text;
      if (value.what == k::number)  // a text column sent to a number field
        return same_number(sent.text, value.text);
      return value.what == k::boolean && value.text == sent.text;
    case cell_type::bytes:
      return value.what == k::text && value.text == cell_to_string(sent);
  }
  return false;
}

bool same_value(const cell& sent, const read_value& value, const read_back_rules& rules,
                std::string_view field) {
  if (same_value(sent, value, rules))
    return true;
  bool folded = std::find(rules.case_insensitive.begin(), rules.case_insensitive.end(), field) !=
                rules.case_insensitive.end();
  return folded && sent.type == cell_type::text && value.what == read_value::kind::text &&
         ascii_lower(sent.text) == ascii_lower(value.text);
}

nlohmann::json parse_exact_json(std::string_view text) {
  exact_dom dom;
  if (!json::sax_parse(text.begin(), text.end(), &dom))
    return json(json::value_t::discarded);
  return std::move(dom.root);
}

}  // namespace backflow
