// Value transforms and the names of transforms and types (see transforms.hpp; conversions.cpp converts).
#include "pipelines/mapping/transforms.hpp"

#include <cctype>

#include "pipelines/core/crypto.hpp"
#include "pipelines/core/text.hpp"
#include "pipelines/core/unicode_text.hpp"

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

cell apply_transform(transform_kind t, const cell& in, std::string& scratch) {
  if (in.is_null())
    return in;
  std::string text = in.is_text_like() ? std::string(in.text) : cell_to_string(in);
  switch (t) {
    case transform_kind::trim:
      scratch = std::string(trim_view(text));
      break;
    case transform_kind::lowercase:
      scratch = unicode_lower(text);
      break;
    case transform_kind::uppercase:
      scratch = unicode_upper(text);
      break;
    case transform_kind::sha256:
      scratch = is_sha256_hex(text) ? ascii_lower(text) : sha256_hex(text);
      break;
    case transform_kind::normalize_email:
      scratch = unicode_lower(trim_view(text));
      break;
    case transform_kind::digits:
      scratch.clear();
      for (char c : text)
        if (std::isdigit(static_cast<unsigned char>(c)))
          scratch.push_back(c);
      break;
    case transform_kind::hash_email: {
      auto normal = unicode_lower(trim_view(text));
      scratch = is_sha256_hex(normal) ? normal : sha256_hex(normal);
      break;
    }
  }
  return cell::of_text(scratch);
}

}  // namespace backflow
