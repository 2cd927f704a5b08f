// Mustache text templates and typed JSON templates of the http destination (see http.hpp).
#include <algorithm>
#include <cctype>
#include <map>
#include <mutex>

#include <kainjow/mustache.hpp>

#include "pipelines/core/redaction.hpp"
#include "connectors/destinations/http.hpp"

namespace backflow {
namespace {

namespace mstch = kainjow::mustache;

/// A header value cannot hold a line break (it would start another header).
std::string header_safe(const std::string& text) {
  std::string out = text;
  for (auto& c : out)
    if (c == '\r' || c == '\n')
      c = ' ';
  return out;
}

/// The Mustache data of `plain`: scalars as their text, NULL left out (so it renders "" and a
/// section on it is skipped), objects as nested data (`fields.score`).
mstch::data to_data(const nlohmann::json& plain) {
  if (plain.is_object()) {
    mstch::data d{mstch::data::type::object};
    for (const auto& [name, value] : plain.items())
      if (!value.is_null())
        d.set(name, to_data(value));
    return d;
  }
  if (plain.is_string())
    return {plain.get<std::string>()};
  return {plain.dump()};
}

/// One tag of a template: its sigil ('\0' for a plain variable) and trimmed name.
struct tag {
  char sigil = 0;
  std::string name;
};

std::string trim(const std::string& s) {
  size_t b = s.find_first_not_of(" \t");
  size_t e = s.find_last_not_of(" \t");
  return b == std::string::npos ? std::string() : s.substr(b, e - b + 1);
}

/// The tags of `source` in order; an unclosed tag ends the scan (the parser reports it).
std::vector<tag> scan_tags(const std::string& source) {
  std::vector<tag> out;
  size_t at = 0;
  while ((at = source.find("{{", at)) != std::string::npos) {
    bool triple = source.compare(at, 3, "{{{") == 0;
    const char* close = triple ? "}}}" : "}}";
    size_t end = source.find(close, at + (triple ? 3 : 2));
    if (end == std::string::npos)
      break;
    std::string inner = source.substr(at + (triple ? 3 : 2), end - at - (triple ? 3 : 2));
    inner = trim(inner);
    tag t;
    if (triple) {
      t.sigil = '{';
    } else if (!inner.empty() && std::string("&#^/!>=").find(inner[0]) != std::string::npos) {
      t.sigil = inner[0];
      inner = trim(inner.substr(1));
    }
    t.name = inner;
    out.push_back(t);
    at = end + std::string(close).size();
  }
  return out;
}

/// The variable a string leaf is exactly, or "" (e.g. "{{score}}", "{{{ score }}}", "{{&score}}").
std::string sole_placeholder(const std::string& source) {
  auto tags = scan_tags(source);
  if (tags.size() != 1 || (tags[0].sigil != 0 && tags[0].sigil != '{' && tags[0].sigil != '&'))
    return {};
  const std::string close = tags[0].sigil == '{' ? "}}}" : "}}";
  bool whole = source.compare(0, 2, "{{") == 0 && source.size() >= close.size() + 2 &&
               source.compare(source.size() - close.size(), close.size(), close) == 0;
  return whole ? tags[0].name : std::string();
}

/// `name` in `values` (dotted names go into objects); nullptr when it has none.
const nlohmann::json* lookup(const nlohmann::json& values, const std::string& name) {
  if (auto it = values.find(name); it != values.end())
    return &*it;
  auto dot = name.find('.');
  if (dot == std::string::npos)
    return nullptr;
  auto it = values.find(name.substr(0, dot));
  if (it == values.end() || !it->is_object())
    return nullptr;
  return lookup(*it, name.substr(dot + 1));
}

}  // namespace

// -- text_template ---------------------------------------------------------------------------

/// The Mustache form of a rendering's values (see template_values::text_data).
struct mustache_data {
  mstch::data data;
};

struct text_template::compiled {
  explicit compiled(const std::string& source) : tmpl(source) {}
  std::mutex mutex;  ///< kainjow's render() is not const
  mstch::mustache tmpl;
};

text_template::text_template(const std::string& source, escaping how)
    : source_(source),
      compiled_(std::make_shared<compiled>(source)),
      literal_(source.find("{{") == std::string::npos) {
  switch (how) {
    case escaping::none:
      compiled_->tmpl.set_custom_escape([](const std::string& s) { return s; });
      break;
    case escaping::url:
      // RFC 3986: every byte but the unreserved characters ("/" too: a key is one path
      // segment or one query value).
      compiled_->tmpl.set_custom_escape(
          [](const std::string& s) { return percent_encoded(s, true, false); });
      break;
    case escaping::header:
      compiled_->tmpl.set_custom_escape(header_safe);
      break;
  }
}

std::string text_template::render(const template_values& values) const {
  if (literal_)
    return source_;
  if (!values.text_data)
    values.text_data = std::make_shared<const mustache_data>(mustache_data{to_data(values.plain)});
  std::lock_guard lock(compiled_->mutex);
  return compiled_->tmpl.render(values.text_data->data);
}

std::vector<std::string> text_template_problems(const std::string& source,
                                                const variable_check& known) {
  std::vector<std::string> problems;
  mstch::mustache parsed(source);
  if (!parsed.is_valid())
    problems.push_back("template syntax: " + parsed.error_message());
  for (const auto& t : scan_tags(source)) {
    if (t.sigil == '!' || t.sigil == '/')
      continue;
    if (t.sigil == '>') {
      problems.push_back("partials ({{> " + t.name + "}}) are not supported");
    } else if (t.sigil == '=') {
      problems.push_back("changing delimiters is not supported");
    } else if (t.name != "." && !known(t.name)) {
      problems.push_back("unknown variable \"" + t.name + "\"");
    }
  }
  return problems;
}

// -- json_template ---------------------------------------------------------------------------

/// A compiled JSON template: a literal, a typed placeholder, a text template, or a container.
struct json_template::node {
  enum class kind { literal, placeholder, text, object, array } what = kind::literal;
  nlohmann::json literal;
  std::string variable;
  std::optional<text_template> text;
  std::vector<text_template> keys;  ///< objects: their keys (templates too), with `items`
  std::vector<node> items;          ///< arrays' items, objects' values

  static node of(const nlohmann::json& source) {
    node n;
    if (source.is_object()) {
      n.what = kind::object;
      for (const auto& [key, value] : source.items())
      {
        n.keys.emplace_back(key, text_template::escaping::none);
        n.items.push_back(of(value));
      }
    } else if (source.is_array()) {
      n.what = kind::array;
      for (const auto& item : source)
        n.items.push_back(of(item));
    } else if (source.is_string() && source.get_ref<const std::string&>().find("{{") !=
                                         std::string::npos) {
      n.variable = sole_placeholder(source.get<std::string>());
      n.what = n.variable.empty() ? kind::text : kind::placeholder;
      if (n.variable.empty())
        n.text.emplace(source.get<std::string>(), text_template::escaping::none);
    } else {
      n.literal = source;
    }
    return n;
  }

  [[nodiscard]] nlohmann::json render(const template_values& values) const {
    switch (what) {
      case kind::literal:
        return literal;
      case kind::placeholder: {
        const auto* value = lookup(values.typed, variable);
        return value == nullptr ? nlohmann::json() : *value;
      }
      case kind::text:
        return text->render(values);
      case kind::object: {
        auto out = nlohmann::json::object();
        for (size_t i = 0; i < keys.size(); ++i)
          out[keys[i].render(values)] = items[i].render(values);
        return out;
      }
      case kind::array: {
        auto out = nlohmann::json::array();
        for (const auto& item : items)
          out.push_back(item.render(values));
        return out;
      }
    }
    return nullptr;
  }
};

json_template::json_template(nlohmann::json source)
    : root_(std::make_shared<node>(node::of(source))) {}

nlohmann::json json_template::render(const template_values& values) const {
  return root_->render(values);
}

void check_json_template(const nlohmann::json& source, const std::string& path,
                         const variable_check& known, config_errors& errors,
                         const std::string& hint) {
  auto check_text = [&](const std::string& text, const std::string& where) {
    if (text.find("{{") == std::string::npos)
      return;
    for (const auto& p : text_template_problems(text, known))
      errors.add(where, p + (p.rfind("unknown", 0) == 0 ? hint : ""));
  };
  if (source.is_object()) {
    for (const auto& [key, value] : source.items()) {
      auto where = path + "/" + key;
      check_text(key, where);
      check_json_template(value, where, known, errors, hint);
    }
  } else if (source.is_array()) {
    for (size_t i = 0; i < source.size(); ++i)
      check_json_template(source[i], path + "/" + std::to_string(i), known, errors, hint);
  } else if (source.is_string()) {
    check_text(source.get<std::string>(), path);
  }
}

// -- option checks ---------------------------------------------------------------------------

const char* const http_op_names[4] = {"upsert", "update", "insert", "delete"};

std::optional<nlohmann::json> template_source(const nlohmann::json& value,
                                              const std::string& where, config_errors* errors) {
  if (!value.is_string())
    return value;
  auto parsed = nlohmann::json::parse(value.get<std::string>(), nullptr, false);
  if (!parsed.is_discarded())
    return parsed;
  if (errors != nullptr)
    errors->add(where, "is not JSON (a body template is a JSON document, or its text)");
  return std::nullopt;
}

namespace {

using nlohmann::json;

bool request_variable(const std::string& name) {
  return name == "sync_name" || name == "run_id" || name == "batch_id" || name == "op";
}

bool valid_pointer(const json& p) {
  if (!p.is_string())
    return false;
  try {
    json::json_pointer ptr(p.get<std::string>());
    return true;
  } catch (const json::exception&) {
    return false;
  }
}

/// The operations a mode sends (mirror: upserts and deletes).
std::vector<int> operations_of(sync_mode mode) {
  switch (mode) {
    case sync_mode::update:
      return {1};
    case sync_mode::insert:
      return {2};
    case sync_mode::mirror:
      return {0, 3};
    default:
      return {0};
  }
}

void check_text(const std::string& text, const std::string& where, const variable_check& known,
                const std::string& hint, config_errors& errors) {
  for (const auto& p : text_template_problems(text, known))
    errors.add(where, p + (p.rfind("unknown", 0) == 0 ? hint : ""));
}

void check_auth(const json& auth, const std::string& path, config_errors& errors) {
  if (!auth.is_object())
    return;
  const auto kind = auth.value("type", "none");
  const std::map<std::string, std::vector<std::string>> needs = {
      {"bearer", {"token"}}, {"basic", {"username", "password"}}, {"hmac", {"secret"}},
      {"header", {"header", "value"}}};
  if (auto it = needs.find(kind); it != needs.end())
    for (const auto& key : it->second)
      if (!auth.contains(key) || auth[key] == "")
        errors.add(join_path(path, key), "is required for auth type \"" + kind + "\"");
}

void check_batch(const json& options, const std::string& path, config_errors& errors,
                 const variable_check& known) {
  const auto& batch = options["batch"];
  const auto path_value = batch.value("path", json(""));
  if (!valid_pointer(path_value))
    errors.add(join_path(path, "path"), "is not a JSON pointer (\"\" or \"/records\")");
  if (!batch.contains("envelope"))
    return;
  const auto where = join_path(path, "envelope");
  auto src = template_source(batch["envelope"], where, &errors);
  if (src && !src->is_object())
    errors.add(where, "must be a JSON object (the records' array goes at batch.path)");
  else if (src && path_value == "")
    errors.add(where, "needs batch.path: where in the envelope the records' array goes");
  else if (src)
    check_json_template(*src, where, known, errors,
                        " (the envelope is one per request: sync_name, run_id, batch_id, op)");
}

}  // namespace

void check_http_options(const destination_context& ctx, const std::string& path,
                        config_errors& errors) {
  const auto& o = ctx.options;
  const bool batched = o.contains("batch") && o["batch"].is_object();
  const auto& fields = ctx.mapped_fields;
  variable_check record_var = [&](const std::string& name) {
    if (name == "key" || name == "fields" || request_variable(name))
      return true;
    auto field = name.rfind("fields.", 0) == 0 ? name.substr(7) : name;
    return fields.empty() || std::find(fields.begin(), fields.end(), field) != fields.end();
  };
  variable_check request_var = request_variable;
  std::string named = "each mapped field";
  if (!fields.empty()) {
    named.clear();
    for (const auto& f : fields)
      named += (named.empty() ? "" : ", ") + f;
  }
  const std::string record_hint =
      " (known: key, fields, " + named + ", fields.<field>, sync_name, run_id, batch_id, op)";
  const std::string request_hint =
      " (batch mode: one per request, so only sync_name, run_id, batch_id, op)";
  const auto ops = o.value("operations", json::object());
  for (int i = 0; i < 4; ++i) {
    const auto where = join_path(join_path(path, "operations"), http_op_names[i]);
    auto spec = ops.is_object() ? ops.value(http_op_names[i], json()) : json();
    if (!spec.is_object())
      continue;
    if (spec.contains("url") && spec["url"].is_string())
      check_text(spec["url"].get<std::string>(), join_path(where, "url"),
                 batched ? request_var : record_var, batched ? request_hint : record_hint, errors);
    if (spec.contains("body"))
      if (auto src = template_source(spec["body"], join_path(where, "body"), &errors))
        check_json_template(*src, join_path(where, "body"), record_var, errors, record_hint);
  }
  for (int i : operations_of(ctx.mode))
    if (!ops.is_object() || !ops.contains(http_op_names[i]))
      errors.add(join_path(join_path(path, "operations"), http_op_names[i]),
                 std::string("is required: mode \"") + to_string(ctx.mode) + "\" sends " +
                     http_op_names[i] + "s");
  if (batched)
    check_batch(o, join_path(path, "batch"), errors, request_var);
  const auto headers = o.value("headers", json::object());
  if (!headers.is_object())
    errors.add(join_path(path, "headers"), "must be an object of header name → template");
  else
    for (const auto& [name, value] : headers.items()) {
      const auto where = join_path(join_path(path, "headers"), name);
      if (name.empty() || name.find_first_of(":\r\n ") != std::string::npos)
        errors.add(where, "is not a header name");
      if (!value.is_string())
        errors.add(where, "must be a string (a text template)");
      else
        check_text(value.get<std::string>(), where, batched ? request_var : record_var,
                   batched ? request_hint : record_hint, errors);
    }
  check_auth(o.value("auth", json()), join_path(path, "auth"), errors);
  if (auto r = o.find("results"); r != o.end() && r->is_object())
    for (const auto& [name, value] : r->items())
      if (!valid_pointer(value))
        errors.add(join_path(join_path(path, "results"), name),
                   "is not a JSON pointer (e.g. \"/results\", \"/ok\")");
  auto rate = o.value("rate_limit", json::object());
  if (rate.is_object() && rate.value("per_second", 0.0) > 0 && rate.value("per_minute", 0.0) > 0)
    errors.add(join_path(path, "rate_limit"), "set per_second or per_minute, not both");
}

}  // namespace backflow
