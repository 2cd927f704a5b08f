// The sync file parser and validator (see sync_config.hpp).
#include "pipelines/config/sync_config.hpp"

#include <algorithm>
#include <cctype>
#include <set>

#include "connectors/destinations/registry.hpp"
#include "pipelines/core/file_bytes.hpp"
#include "pipelines/core/duplicate_keys.hpp"
#include "pipelines/config/source_config.hpp"
#include "pipelines/config/sync_options.hpp"
#include "pipelines/diff/row_identity.hpp"

namespace backflow {
namespace {

std::string parse_error_location(const std::string& text, size_t byte) {
  size_t line = 1;
  size_t column = 1;
  for (size_t i = 0; i < byte && i < text.size(); ++i) {
    if (text[i] == '\n') {
      ++line;
      column = 1;
    } else {
      ++column;
    }
  }
  return "line " + std::to_string(line) + ", column " + std::to_string(column);
}

std::optional<sync_mode> parse_mode(const std::string& s) {
  if (s == "upsert")
    return sync_mode::upsert;
  if (s == "update")
    return sync_mode::update;
  if (s == "insert")
    return sync_mode::insert;
  if (s == "mirror")
    return sync_mode::mirror;
  if (s == "audience")
    return sync_mode::audience;
  return std::nullopt;
}

void collect_secrets(const nlohmann::json& value, const std::vector<option_spec>& spec,
                     std::vector<std::string>& out) {
  if (!value.is_object())
    return;
  for (const auto& s : spec) {
    auto it = value.find(s.name);
    if (it == value.end())
      continue;
    if (s.secret && it->is_string() && !it->get<std::string>().empty())
      out.push_back(it->get<std::string>());
    if (s.type == option_type::object)
      collect_secrets(*it, s.children, out);
  }
}

/// Copies `value` with every occurrence of a secret inside its strings replaced by "***".
nlohmann::json scrub_strings(const nlohmann::json& value, const std::vector<std::string>& secrets) {
  if (value.is_string()) {
    auto text = value.get<std::string>();
    for (const auto& secret : secrets)
      for (auto pos = secret.empty() ? std::string::npos : text.find(secret);
           pos != std::string::npos; pos = text.find(secret, pos + 3))
        text.replace(pos, secret.size(), "***");
    return text;
  }
  if (value.is_object() || value.is_array()) {
    auto out = value;
    for (auto& item : out)
      item = scrub_strings(item, secrets);
    return out;
  }
  return value;
}

void parse_mapping(const nlohmann::json& doc, sync_config& cfg, config_errors& errors) {
  auto it = doc.find("mapping");
  if (it == doc.end() || it->is_null())
    return;
  cfg.mapping_given = true;
  cfg.mapping_json = *it;
  if (!it->is_array()) {
    errors.add("mapping", "expected a list of {\"from\", \"to\"} objects");
    return;
  }
  if (it->empty())
    errors.add("mapping", "is empty; omit it to map every column to a field of the same name");
  std::set<std::string> targets;
  for (size_t i = 0; i < it->size(); ++i) {
    auto path = index_path("mapping", i);
    auto entry = validate_options((*it)[i], mapping_entry_options(), path, errors);
    mapping_rule rule;
    rule.from = entry.value("from", "");
    rule.to = entry.value("to", "");
    if (entry.contains("type") && entry["type"].is_string())
      rule.type = parse_field_type(entry["type"].get<std::string>()).value_or(field_type::keep);
    auto names = string_list(entry.value("transform", nlohmann::json()));
    for (size_t t = 0; t < names.size(); ++t) {
      if (auto kind = parse_transform(names[t])) {
        rule.transforms.push_back(*kind);
      } else {
        std::string known;
        for (const auto& n : transform_names())
          known += (known.empty() ? "" : ", ") + n;
        errors.add(join_path(path, "transform"),
                   "unknown transform \"" + names[t] + "\" (known: " + known + ")");
      }
    }
    if (!rule.to.empty() && !targets.insert(rule.to).second)
      errors.add(join_path(path, "to"), "field \"" + rule.to + "\" is mapped twice");
    cfg.mapping.push_back(std::move(rule));
  }
}

void parse_destination(const nlohmann::json& doc, sync_config& cfg, config_errors& errors) {
  auto it = doc.find("destination");
  if (it == doc.end())
    return;  // reported as required by the top-level table
  if (!it->is_object()) {
    errors.add("destination", "expected an object with a \"type\"");
    return;
  }
  auto type = it->find("type");
  std::string known;
  for (const auto& t : destination_types())
    known += (known.empty() ? "" : ", ") + t.name;
  if (type == it->end() || !type->is_string()) {
    errors.add("destination.type", "is required (one of: " + known + ")");
    return;
  }
  const auto* dt = find_destination_type(type->get<std::string>());
  if (dt == nullptr) {
    errors.add("destination.type", "unknown destination \"" + type->get<std::string>() +
                                       "\" (known: " + known + ")");
    return;
  }
  cfg.destination_type = dt->name;
  auto options = *it;
  options.erase("type");
  cfg.destination = validate_options(options, dt->options, "destination", errors);
  collect_secrets(cfg.destination, dt->options, cfg.secrets);
  if (std::find(dt->modes.begin(), dt->modes.end(), cfg.mode) == dt->modes.end()) {
    std::string modes;
    for (auto m : dt->modes)
      modes += (modes.empty() ? "" : ", ") + std::string(to_string(m));
    errors.add("mode", dt->name + " does not support mode \"" + to_string(cfg.mode) +
                           "\" (supported: " + modes + ")");
  }
  if (dt->check)
    dt->check(cfg.connector_context(0), "destination", errors);
}


void parse_freshness(const nlohmann::json& checked, sync_config& cfg) {
  auto it = checked.find("freshness");
  if (it == checked.end() || !it->is_object() || !it->contains("query") ||
      !it->contains("max_age"))
    return;  // errors were reported by the option table
  long long ms = 0;
  if (!parse_duration((*it)["max_age"], ms))
    return;
  cfg.freshness = freshness_config{(*it)["query"].get<std::string>(), std::chrono::milliseconds(ms)};
}

/// Statuses `notify.on` accepts; "failed" is the user's word for incomplete.
const std::vector<std::string>& notify_statuses() {
  static const std::vector<std::string> names = {"success", "partial",    "config_error", "aborted",
                                                 "incomplete", "failed", "stale"};
  return names;
}

void parse_notify(const nlohmann::json& checked, sync_config& cfg, config_errors& errors) {
  auto it = checked.find("notify");
  if (it == checked.end() || !it->is_object() || !it->contains("url"))
    return;  // errors were reported by the option table
  notify_config n;
  n.url = (*it)["url"].get<std::string>();
  n.secret = it->value("secret", "");
  if (it->contains("rejected_over"))
    n.rejected_over = (*it)["rejected_over"].get<uint64_t>();
  if (!it->contains("on")) {
    n.on = {"incomplete", "aborted", "config_error", "stale"};
  } else {
    const auto& on = (*it)["on"];
    auto names = string_list(on);
    for (size_t i = 0; i < names.size(); ++i) {
      const auto& known = notify_statuses();
      if (std::find(known.begin(), known.end(), names[i]) == known.end()) {
        std::string list;
        for (const auto& k : known)
          list += (list.empty() ? "" : ", ") + k;
        errors.add(on.is_array() ? index_path("notify.on", i) : "notify.on",
                   "unknown run status \"" + names[i] + "\" (known: " + list + ")");
      }
      n.on.push_back(names[i] == "failed" ? "incomplete" : names[i]);
    }
  }
  cfg.notify = std::move(n);
}

}  // namespace

bool valid_sync_name(const std::string& name) {
  if (name.empty() || name.size() > 100)
    return false;
  for (char c : name)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-' && c != '.')
      return false;
  return true;
}

destination_context sync_config::connector_context(uint64_t run_id) const {
  std::vector<std::string> fields;
  for (const auto& rule : mapping)
    fields.push_back(rule.to);
  return {destination, name, run_id, mode, key_columns, fields};
}

uint64_t sync_config::config_fingerprint() const {
  nlohmann::json shape = {{"mode", to_string(mode)},
                          {"key", key_columns},
                          {"mapping", mapping_given ? mapping_json : nlohmann::json("default")},
                          {"destination", destination_type}};
  if (binary == binary_policy::reject)  // only when set, so existing syncs keep their fingerprint
    shape["binary"] = "reject";
  if (const auto* dt = find_destination_type(destination_type))
    for (const auto& o : dt->options)
      if (o.fingerprint && destination.contains(o.name))
        shape["destination_" + o.name] = destination[o.name];
  return fingerprint_of(shape.dump());
}

uint64_t sync_config::payload_fingerprint() const {
  nlohmann::json shape = {{"destination", destination_type}, {"key_columns", key_columns.size()}};
  if (const auto* dt = find_destination_type(destination_type))
    for (const auto& o : dt->options)
      if (o.fingerprint && destination.contains(o.name))
        shape["destination_" + o.name] = destination[o.name];
  return fingerprint_of(shape.dump());
}

config_result parse_sync_config(const std::string& text, const std::filesystem::path& base_dir,
                                const env_lookup& env) {
  config_result out;
  auto& errors = out.errors;
  nlohmann::json raw;
  try {
    raw = nlohmann::json::parse(text, nullptr, true, /*ignore_comments=*/true);
  } catch (const nlohmann::json::parse_error& e) {
    auto what = std::string(e.what());
    auto pos = what.find("syntax error");
    // parse_error::byte counts from 1.
    errors.add("", "not valid JSON at " + parse_error_location(text, e.byte > 0 ? e.byte - 1 : 0) +
                       ": " +
                       (pos == std::string::npos ? what : what.substr(pos)));
    return out;
  } catch (const nlohmann::json::out_of_range& e) {
    // A number beyond double's range, e.g. 1e999: "[json.exception.out_of_range.406] number ...".
    auto what = std::string(e.what());
    auto pos = what.find("] ");
    errors.add("", "not valid JSON: " + (pos == std::string::npos ? what : what.substr(pos + 2)));
    return out;
  }
  if (!raw.is_object()) {
    errors.add("", "a sync file is a JSON object with name, source, destination and mapping");
    return out;
  }
  for (const auto& path : duplicate_key_paths(text))
    errors.add(path, "is given more than once; only one value may be meant (the last would win)");
  sync_config cfg;
  auto doc = interpolate_env(raw, env, errors, cfg.secrets);
  auto checked = validate_options(doc, sync_options(), "", errors);

  cfg.name = checked.value("name", "");
  cfg.description = checked.value("description", "");
  cfg.owner = checked.value("owner", nlohmann::json());
  if (doc.contains("name") && doc["name"].is_string() && !valid_sync_name(cfg.name))
    errors.add("name", "\"" + cfg.name + "\" may only contain letters, digits, '_', '-' and '.'");
  cfg.mode = parse_mode(checked.value("mode", "upsert")).value_or(sync_mode::upsert);
  cfg.retry_rejected = checked.value("retry_rejected", "changed") == "always"
                           ? retry_rejected_policy::always
                           : retry_rejected_policy::changed;
  parse_source(doc, base_dir, cfg, errors);
  collect_secrets(checked, sync_options(), cfg.secrets);
  cfg.binary = checked.value("binary", "base64") == "reject" ? binary_policy::reject
                                                             : binary_policy::base64;
  parse_mapping(doc, cfg, errors);
  for (auto& rule : cfg.mapping)
    rule.binary = cfg.binary;
  parse_destination(doc, cfg, errors);
  cfg.when = parse_sync_schedule(checked.value("schedule", nlohmann::json()), errors);

  auto guards = checked.value("guards", nlohmann::json::object());
  if (guards.contains("max_changed_ratio"))
    cfg.guards.max_changed_ratio = guards["max_changed_ratio"].get<double>();
  if (guards.contains("max_deleted_ratio"))
    cfg.guards.max_deleted_ratio = guards["max_deleted_ratio"].get<double>();
  if (guards.contains("min_rows"))
    cfg.guards.min_rows = guards["min_rows"].get<uint64_t>();
  if (guards.contains("max_row_drop_ratio"))
    cfg.guards.max_row_drop_ratio = guards["max_row_drop_ratio"].get<double>();
  cfg.guards.max_value_bytes = guards.value("max_value_bytes", cfg.guards.max_value_bytes);
  auto delivery = checked.value("delivery", nlohmann::json::object());
  long long ms = 0;
  cfg.delivery.concurrency = delivery.value("concurrency", 4);
  cfg.delivery.retry.max_attempts = delivery.value("max_attempts", 6);
  if (parse_duration(delivery.value("request_timeout", nlohmann::json("30s")), ms))
    cfg.delivery.request_timeout = std::chrono::milliseconds(ms);
  if (parse_duration(delivery.value("retry_initial", nlohmann::json("500ms")), ms))
    cfg.delivery.retry.initial = std::chrono::milliseconds(ms);
  if (parse_duration(delivery.value("retry_max", nlohmann::json("30s")), ms))
    cfg.delivery.retry.max = std::chrono::milliseconds(ms);
  if (parse_duration(delivery.value("max_pause", nlohmann::json("5m")), ms))
    cfg.delivery.max_pause = std::chrono::milliseconds(ms);
  if (delivery.contains("max_wait") && parse_duration(delivery["max_wait"], ms))
    cfg.delivery.max_wait = std::chrono::milliseconds(ms);
  cfg.schedule = checked.value("schedule", nlohmann::json());
  parse_freshness(checked, cfg);
  parse_notify(checked, cfg, errors);
  parse_writeback(doc, base_dir, cfg, errors);

  cfg.redacted = doc;
  if (doc.contains("source") && doc["source"].is_object())
    cfg.redacted["source"] = redact_source(doc["source"]);
  if (doc.contains("writeback"))
    cfg.redacted["writeback"] = redact_writeback(doc["writeback"]);
  if (const auto* dt = find_destination_type(cfg.destination_type))
    cfg.redacted["destination"] = redact(doc["destination"], dt->options);
  cfg.redacted = scrub_strings(cfg.redacted, cfg.secrets);
  // Errors may quote values; none of them may show a secret or an environment value.
  errors.redact(cfg.secrets);
  out.secrets = cfg.secrets;
  if (errors.empty())
    out.config = std::move(cfg);
  return out;
}

config_result load_sync_file(const std::filesystem::path& file, const env_lookup& env) {
  auto text = file_bytes(file);
  if (!text) {
    config_result out;
    out.errors.add("", "cannot read sync file " + file.string());
    return out;
  }
  auto out = parse_sync_config(*text, file.parent_path(), env);
  if (out.config)
    out.config->file = file;
  return out;
}

std::vector<mapping_rule> effective_mapping(const sync_config& config, const schema& columns) {
  if (config.mapping_given)
    return config.mapping;
  std::vector<mapping_rule> rules;
  for (const auto& c : columns) {
    bool is_key = std::find(config.key_columns.begin(), config.key_columns.end(), c.name) !=
                  config.key_columns.end();
    if (!is_key)
      rules.push_back({c.name, c.name, field_type::keep, {}, config.binary});
  }
  return rules;
}

void check_model_columns(const sync_config& config, const schema& columns, config_errors& errors) {
  std::string names;
  for (const auto& c : columns)
    names += (names.empty() ? "" : ", ") + c.name;
  for (const auto& k : config.key_columns)
    if (!find_column(columns, k))
      errors.add("source.key", "column \"" + k + "\" is not returned by the query (columns: " +
                                   names + ")");
  if (config.mapping_given)
    for (size_t i = 0; i < config.mapping.size(); ++i)
      if (!find_column(columns, config.mapping[i].from))
        errors.add(join_path(index_path("mapping", i), "from"),
                   "column \"" + config.mapping[i].from +
                       "\" is not returned by the query (columns: " + names + ")");
}

}  // namespace backflow
