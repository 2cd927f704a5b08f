// The sync file's `writeback` object (see writeback_config.hpp).
#include "pipelines/config/writeback_config.hpp"

#include "connectors/sources/registry.hpp"
#include "connectors/sources/warehouse_writer.hpp"
#include "pipelines/config/source_config.hpp"
#include "pipelines/config/sync_config.hpp"

namespace backflow {
namespace {

const std::string writeback_key = "writeback";

/// The connection's own table: its type, then that type's options.
std::vector<option_spec> connection_options(const source_type& type) {
  std::vector<option_spec> spec = {
    option("type", option_type::string, "warehouse type").mandatory(),
  };
  spec.insert(spec.end(), type.options.begin(), type.options.end());
  return spec;
}

void collect_connection_secrets(const nlohmann::json& options, const std::vector<option_spec>& spec,
             std::vector<std::string>& out) {
  for (const auto& s : spec)
    if (auto it = options.find(s.name); it != options.end()) {
      if (s.secret && it->is_string() && !it->get<std::string>().empty())
        out.push_back(it->get<std::string>());
      if (s.type == option_type::object && it->is_object())
        collect_connection_secrets(*it, s.children, out);
    }
}

/// `writeback.connection` as a source spec; nullopt after reporting why it cannot be one.
std::optional<source_spec> parse_connection(const nlohmann::json& given,
                                            const std::filesystem::path& base_dir,
                                            sync_config& cfg, config_errors& errors) {
  const std::string at = writeback_key + ".connection";
  if (!given.is_object()) {
    errors.add(at, "expected a source object ({\"type\": ..., options}), got " + given.dump());
    return std::nullopt;
  }
  auto type_name = given.value("type", nlohmann::json()).is_string()
                       ? given["type"].get<std::string>()
                       : std::string();
  const auto* type = find_source_type(type_name);
  if (type == nullptr) {
    errors.add(at + ".type", "expected one of the writable source types (" +
                                 writable_source_types() + "), got " +
                                 (given.contains("type") ? given["type"].dump() : "nothing"));
    return std::nullopt;
  }
  if (!can_write_back(type->name)) {
    errors.add(at + ".type", "a " + type->name + " source cannot be written back to; the " +
                                 "writable source types are " + writable_source_types());
    return std::nullopt;
  }
  size_t before = errors.items().size();
  auto checked = validate_options(given, connection_options(*type), at, errors);
  if (errors.items().size() != before)
    return std::nullopt;
  source_spec spec;
  spec.type = type->name;
  spec.options = checked;
  spec.options.erase("type");
  if (type->check)
    type->check(spec.options, at, errors);
  if (type->resolve)
    type->resolve(spec.options, base_dir);
  collect_connection_secrets(spec.options, type->options, cfg.secrets);
  return spec;
}

}  // namespace

const std::vector<option_spec>& writeback_options() {
  static const std::vector<option_spec> spec = {
    option("connection", option_type::custom,
           "the warehouse to write to: a source object without query and key ({\"type\": "
           "\"postgres\", \"dsn\": ...}); default: the sync's own source"),
    option("schema", option_type::string,
           "the schema (database for MySQL and ClickHouse; table prefix for SQLite) that holds "
           "sync_runs, sync_records and sync_ids").defaults_to("backflow")
        .looks_like("[A-Za-z_][A-Za-z0-9_]{0,62}", "backflow"),
    option("retention", option_type::duration,
           "runs and record outcomes older than this are deleted from the warehouse; 0 keeps "
           "them").defaults_to("30d").at_least(0),
    option("batch_rows", option_type::integer, "rows per warehouse transaction")
        .defaults_to(500).between(1, 10000),
  };
  return spec;
}

void parse_writeback(const nlohmann::json& doc, const std::filesystem::path& base_dir,
                     sync_config& cfg, config_errors& errors) {
  auto it = doc.find(writeback_key);
  if (it == doc.end() || it->is_null())
    return;
  auto checked = validate_options(*it, writeback_options(), writeback_key, errors);
  if (!it->is_object())
    return;
  writeback_config wb;
  wb.schema = checked.value("schema", wb.schema);
  long long ms = 0;
  if (parse_duration(checked.value("retention", nlohmann::json("30d")), ms))
    wb.retention = std::chrono::milliseconds(ms);
  wb.batch_rows = checked.value("batch_rows", wb.batch_rows);
  if (auto conn = it->find("connection"); conn != it->end()) {
    auto spec = parse_connection(*conn, base_dir, cfg, errors);
    if (!spec)
      return;
    wb.connection = std::move(*spec);
  } else if (!cfg.source.type.empty()) {
    if (!can_write_back(cfg.source.type)) {
      errors.add(writeback_key, "the sync's " + cfg.source.type + " source cannot be written back to; "
                       "give writeback.connection a source of a writable type (" +
                       writable_source_types() + ")");
      return;
    }
    wb.connection.type = cfg.source.type;
    wb.connection.options = cfg.source.options;
  } else {
    return;  // the source's own errors say why
  }
  cfg.writeback = std::move(wb);
}

nlohmann::json redact_writeback(const nlohmann::json& writeback) {
  auto out = writeback;
  if (out.is_object() && out.contains("connection") && out["connection"].is_object())
    out["connection"] = redact_source(out["connection"]);
  return out;
}

}  // namespace backflow
