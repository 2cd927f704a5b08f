// The sync file's `source` object (see source_config.hpp).
#include "pipelines/config/source_config.hpp"

#include <set>

#include "connectors/sources/registry.hpp"
#include "connectors/sources/source_text.hpp"
#include "pipelines/config/sync_options.hpp"
#include "pipelines/dbt/dbt_manifest.hpp"

namespace backflow {
namespace {

bool declares(const std::vector<option_spec>& spec, const std::string& key) {
  for (const auto& o : spec)
    if (o.name == key)
      return true;
  return false;
}

/// "postgres" or "snowflake or bigquery": the source types that declare `key`, "" if none.
std::string types_declaring(const std::string& key) {
  std::string out;
  for (const auto& t : source_types())
    if (declares(t.options, key))
      out += (out.empty() ? "" : " or ") + t.name;
  return out;
}

void collect_source_secrets(const nlohmann::json& value, const std::vector<option_spec>& spec,
                            std::vector<std::string>& out) {
  for (const auto& s : spec) {
    auto it = value.find(s.name);
    if (it == value.end())
      continue;
    if (s.secret && it->is_string() && !it->get<std::string>().empty())
      out.push_back(it->get<std::string>());
    if (s.type == option_type::object && it->is_object())
      collect_source_secrets(*it, s.children, out);
  }
}

/// Checks the options of a known type: keys of other types and missing required keys are
/// named with the type, so the message says why ("only applies to a postgres source").
nlohmann::json check_typed(const nlohmann::json& src, const source_type& type,
                           config_errors& errors) {
  auto given = src;
  for (const auto& item : src.items()) {
    const auto& key = item.key();
    if (declares(source_options(), key) || declares(type.options, key))
      continue;
    auto owners = types_declaring(key);
    if (!owners.empty()) {
      errors.add(join_path("source", key), "only applies to a " + owners + " source");
      given.erase(key);
    }
  }
  auto table = source_options(type);
  for (auto& o : table) {
    if (!o.required || declares(source_options(), o.name))
      continue;
    auto it = given.find(o.name);
    if (it == given.end() || it->is_null())
      errors.add(join_path("source", o.name),
                 "is required for a " + type.name + " source (" + o.description + ")");
    o.required = false;  // reported above, with the type
  }
  return validate_options(given, table, "source", errors);
}

bool has_errors_under(const config_errors& errors, const std::string& path) {
  for (const auto& e : errors.items())
    if (e.rfind(path + ".", 0) == 0 || e.rfind(path + ":", 0) == 0)
      return true;
  return false;
}

void check_key_and_query(const nlohmann::json& checked, const sync_config& cfg,
                         config_errors& errors) {
  std::set<std::string> seen;
  bool listed = checked.value("key", nlohmann::json()).is_array();
  for (size_t i = 0; i < cfg.key_columns.size(); ++i) {
    const auto& k = cfg.key_columns[i];
    if (k.empty())
      errors.add(listed ? index_path("source.key", i) : "source.key", "must name a column");
    else if (!seen.insert(k).second)
      errors.add("source.key", "column \"" + k + "\" is listed twice");
  }
  if (checked.contains("query") &&
      cfg.source.query.find_first_not_of(" \t\r\n;") == std::string::npos)
    errors.add("source.query", "is empty");
}

/// `source.incremental` (validated by its table) into the spec; a source type without a window
/// query cannot read incrementally.
void parse_incremental(const nlohmann::json& given, const source_type& type, source_spec& spec,
                       config_errors& errors) {
  const std::string path = "source.incremental";
  if (!type.window_query || !type.key_query) {
    errors.add(path, "a " + type.name + " source cannot read incrementally (it has no window "
                     "query); remove source.incremental");
    return;
  }
  incremental_read read;
  read.cursor = given.value("cursor", "");
  if (given.contains("cursor") && read.cursor.find_first_not_of(" \t\r\n") == std::string::npos)
    errors.add(path + ".cursor", "is empty; name the model column that grows when a row changes");
  parse_duration(given.value("lookback", nlohmann::json("0s")), read.lookback_ms);
  auto deletes = given.value("deletes", nlohmann::json("key_scan"));
  const std::string expected =
      "expected \"key_scan\", \"none\" or {\"full_scan_every\": \"24h\"}";
  if (deletes == "key_scan") {
    read.delete_detection = incremental_read::deletes::key_scan;
  } else if (deletes == "none") {
    read.delete_detection = incremental_read::deletes::none;
  } else if (deletes.is_object()) {
    read.delete_detection = incremental_read::deletes::periodic_full_scan;
    for (const auto& item : deletes.items())
      if (item.key() != "full_scan_every")
        errors.add(path + ".deletes." + item.key(), "unknown key; " + expected);
    auto every = deletes.find("full_scan_every");
    if (every == deletes.end())
      errors.add(path + ".deletes.full_scan_every", "is required in the object form");
    else if (!parse_duration(*every, read.full_scan_every_ms) || read.full_scan_every_ms <= 0)
      errors.add(path + ".deletes.full_scan_every",
                 "expected a positive duration such as \"24h\", got " + every->dump());
  } else {
    errors.add(path + ".deletes", expected + ", got " + deletes.dump());
  }
  spec.incremental = std::move(read);
}

/// The relation of `m` as SQL, when dbt did not render it: database.schema.alias quoted in the
/// source's dialect (backticks where the warehouse quotes that way).
std::string relation_sql(const dbt::model_node& m, const std::string& source_type) {
  bool backticks = source_type == "mysql" || source_type == "bigquery" ||
                   source_type == "databricks" || source_type == "clickhouse";
  auto quote = [&](const std::string& name) {
    if (!backticks)
      return quote_identifier(name);
    std::string out = "`";
    for (char c : name)
      out += c == '`' ? std::string("``") : std::string(1, c);
    return out + "`";
  };
  std::string out;
  for (const auto* part : {&m.database, &m.schema, &m.alias})
    if (!part->empty())
      out += (out.empty() ? "" : ".") + quote(*part);
  return out;
}

/// `source.dbt`: the model from the project's manifest; the query defaults to its relation.
void parse_dbt(const nlohmann::json& given, const std::filesystem::path& base_dir,
               sync_config& cfg, bool query_given, config_errors& errors) {
  const std::string path = "source.dbt";
  dbt_model_config d;
  d.project_dir = std::filesystem::absolute(base_dir / given.value("project_dir", ""))
                      .lexically_normal();
  d.target_dir = (d.project_dir / given.value("target_path", "target")).lexically_normal();
  d.model = given.value("model", "");
  d.policy.block_on_warn = given.value("warn", "allow") == "block";
  if (auto age = given.find("max_age"); age != given.end() && !age->is_null()) {
    long long ms = 0;
    if (parse_duration(*age, ms))
      d.policy.max_age = std::chrono::milliseconds(ms);
  }
  if (d.model.empty())
    return;  // the table reported it
  auto manifest = dbt::load_manifest(d.target_dir);
  if (!manifest) {
    errors.add(path + ".project_dir", manifest.error().message);
    return;
  }
  auto model = manifest->model(d.model);
  if (!model) {
    errors.add(path + ".model", model.error().message);
    return;
  }
  d.unique_id = model->unique_id;
  d.model_name = model->name;
  if (!query_given) {
    auto relation = model->relation_name.empty() ? relation_sql(*model, cfg.source.type)
                                                 : model->relation_name;
    cfg.source.query = "SELECT * FROM " + relation;
  }
  cfg.dbt = std::move(d);
}

}  // namespace

const std::vector<option_spec>& dbt_options() {
  static const std::vector<option_spec> spec = {
    option("project_dir", option_type::string,
           "the dbt project's directory (relative to the sync file)").mandatory(),
    option("model", option_type::string, "the dbt model to read: its name or unique id")
        .mandatory(),
    option("target_path", option_type::string,
           "where dbt writes manifest.json and run_results.json, relative to project_dir")
        .defaults_to("target"),
    option("max_age", option_type::duration,
           "the model must have been built at most this long ago by the latest dbt results "
           "(e.g. \"24h\"); unset: no age check").at_least(1),
    option("warn", option_type::string,
           "whether a test of severity warn that warned stops the sync").defaults_to("allow")
        .one_of({"allow", "block"}),
  };
  return spec;
}

const std::vector<option_spec>& incremental_options() {
  static const std::vector<option_spec> spec = {
    option("cursor", option_type::string,
           "the model column that grows whenever a row changes: an integer, date or timestamp "
           "(e.g. updated_at)").mandatory(),
    option("lookback", option_type::duration,
           "re-read rows this far behind the highest cursor value the last run read, for rows "
           "committed late (an integer cursor goes back this many seconds' worth of units)")
        .defaults_to("0s").at_least(0),
    option("deletes", option_type::custom,
           "how deletes are found: \"key_scan\" (a key-only read of the model each run), "
           "\"none\" (never), or {\"full_scan_every\": \"24h\"} (a full read when the last "
           "one is older)").defaults_to("key_scan"),
  };
  return spec;
}

void parse_source(const nlohmann::json& doc, const std::filesystem::path& base_dir,
                  sync_config& cfg, config_errors& errors) {
  auto it = doc.find("source");
  if (it == doc.end() || it->is_null())
    return;  // reported as required by the top-level table
  if (!it->is_object()) {
    validate_options(*it, source_options(), "source", errors);  // "expected an object, got ..."
    return;
  }
  const source_type* type = nullptr;
  if (auto t = it->find("type"); t != it->end() && t->is_string())
    type = find_source_type(t->get<std::string>());
  nlohmann::json checked;
  if (type != nullptr) {
    checked = check_typed(*it, *type, errors);
  } else {
    // No type to read the other keys by: report the type (required, or one of ...) only.
    nlohmann::json common = nlohmann::json::object();
    for (const auto& o : source_options())
      if (it->contains(o.name))
        common[o.name] = (*it)[o.name];
    checked = validate_options(common, source_options(), "source", errors);
  }
  cfg.key_columns = string_list(checked.value("key", nlohmann::json()));
  cfg.source.query = checked.value("query", "");
  check_key_and_query(checked, cfg, errors);
  if (!it->contains("query") && !it->contains("dbt"))
    errors.add("source.query", "is required (the model: a SQL query), unless source.dbt names a "
                               "dbt model");
  if (type == nullptr)
    return;
  cfg.source.type = type->name;
  cfg.source.options = checked;
  for (const auto& o : source_options())
    cfg.source.options.erase(o.name);
  // Checks beyond the table judge a source the table accepted (an unset variable is already
  // reported as such, not again as an empty value).
  if (type->check && !has_errors_under(errors, "source"))
    type->check(cfg.source.options, "source", errors);
  if (auto inc = checked.find("incremental"); inc != checked.end() && inc->is_object())
    parse_incremental(*inc, *type, cfg.source, errors);
  if (auto dbt = checked.find("dbt"); dbt != checked.end() && dbt->is_object())
    parse_dbt(*dbt, base_dir, cfg, checked.contains("query"), errors);
  if (type->resolve)
    type->resolve(cfg.source.options, base_dir);
  collect_source_secrets(cfg.source.options, type->options, cfg.secrets);
}

nlohmann::json redact_source(const nlohmann::json& source) {
  auto spec = source_options();
  for (const auto& t : source_types())
    for (const auto& o : t.options)
      if (o.secret)
        spec.push_back(o);
  return redact(source, spec);
}

}  // namespace backflow
