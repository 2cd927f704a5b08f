// The option tables of a sync file (see sync_options.hpp).
#include "pipelines/config/sync_options.hpp"

#include "pipelines/config/source_config.hpp"

#include "connectors/sources/registry.hpp"
#include "pipelines/mapping/transforms.hpp"

namespace backflow {

const std::vector<option_spec>& source_options() {
  static const std::vector<option_spec> spec = [] {
    std::vector<std::string> names;
    std::string list;
    for (const auto& t : source_types()) {
      names.push_back(t.name);
      list += (list.empty() ? "" : ", ") + t.name;
    }
    return std::vector<option_spec>{
      option("type", option_type::string, "warehouse type: " + list).mandatory().one_of(names),
      option("query", option_type::string,
             "the model: a SQL query (with `dbt`: defaults to the dbt model's relation)"),
      option("key", option_type::string_list,
             "column(s) identifying a row and its destination record").mandatory(),
      option("incremental", option_type::object,
             "read only the rows whose cursor moved since the last run (README, Incremental "
             "reads)").with(incremental_options()),
      option("dbt", option_type::object,
             "read a dbt model, and run only when its tests and those upstream passed (README, "
             "Running Backflow with dbt)").with(dbt_options()),
    };
  }();
  return spec;
}

std::vector<option_spec> source_options(const source_type& type) {
  auto spec = source_options();
  spec.insert(spec.end(), type.options.begin(), type.options.end());
  return spec;
}

const std::vector<option_spec>& sync_options() {
  static const std::vector<option_spec> spec = {
    option("name", option_type::string, "unique sync name (letters, digits, _ - .)").mandatory(),
    option("description", option_type::string, "free text"),
    option("owner", option_type::object, "who answers for this sync (listed in dbt exposures)")
        .with({
          option("name", option_type::string, "a person or team"),
          option("email", option_type::string, "where to reach them"),
        }),
    option("source", option_type::custom,
           "where the model's rows come from: {\"type\": ..., \"query\": ..., \"key\": ..., "
           "options}").mandatory(),
    option("destination", option_type::custom, "where they go: {\"type\": ..., options}").mandatory(),
    option("mode", option_type::string, "what to do with changes")
        .defaults_to("upsert").one_of({"upsert", "update", "insert", "mirror", "audience"}),
    option("retry_rejected", option_type::string,
           "when records the destination rejected are sent again: when their row changes, or "
           "every run").defaults_to("changed").one_of({"changed", "always"}),
    option("mapping", option_type::custom, "list of {from, to, type, transform}"),
    option("binary", option_type::string,
           "what a binary value (BLOB, bytea) becomes: standard base64 text, or a rejected "
           "record naming the column").defaults_to("base64").one_of({"base64", "reject"}),
    option("guards", option_type::object, "abort before any write when the model looks wrong")
        .with({
          option("max_changed_ratio", option_type::number,
                 "max (added + changed) / rows synced before").at_least(0),
          option("max_deleted_ratio", option_type::number, "max deleted / rows synced before")
              .between(0, 1),
          option("min_rows", option_type::integer,
                 "the fewest rows the model may return (unset: a model that returns no rows after "
                 "a run that had some is stopped; 0 allows it)")
              .at_least(0),
          option("max_row_drop_ratio", option_type::number,
                 "max share of rows the model may lose since the previous run")
              .between(0, 1),
          option("max_value_bytes", option_type::integer,
                 "the longest text value a mapped column may hold")
              .defaults_to(65536).between(1, 1e9),
        }),
    option("delivery", option_type::object, "request concurrency and retries")
        .with({
          option("concurrency", option_type::integer, "requests in flight").defaults_to(4)
              .between(1, 64),
          option("max_attempts", option_type::integer, "sends per batch per run").defaults_to(6)
              .between(1, 100),
          option("request_timeout", option_type::duration, "per request").defaults_to("30s")
              .between(0.1, 3600),
          option("retry_initial", option_type::duration, "first backoff ceiling")
              .defaults_to("500ms").between(0, 3600),
          option("retry_max", option_type::duration, "largest backoff").defaults_to("30s")
              .between(0, 86400),
          option("max_pause", option_type::duration,
                 "longest wait a destination may ask for before the run stops (paused)")
              .defaults_to("5m").between(0, 86400),
          option("max_wait", option_type::duration,
                 "longest a destination may pause the account for (Retry-After, usage headers, "
                 "throttling codes); longer asks are cut to this (default: the destination's, "
                 "e.g. 24h for HubSpot, 1h for a webhook)")
              .between(1, 30 * 86400),
        }),
    option("freshness", option_type::object,
           "skip the run (status stale) when the model's newest data is older than max_age")
        .with({
          option("query", option_type::string,
                 "SQL on the source returning the newest timestamp (or unix seconds), e.g. "
                 "\"SELECT max(updated_at) FROM analytics.pql\"").mandatory(),
          option("max_age", option_type::duration, "how old that value may be, e.g. \"2h\"")
              .mandatory().between(0.001, 1e10),
        }),
    option("notify", option_type::object, "a signed webhook called after runs that need a human")
        .with({
          option("url", option_type::url, "where the notification is POSTed").mandatory(),
          option("secret", option_type::string,
                 "signing secret (Standard Webhooks, like the webhook destination); unsigned if "
                 "absent").secret_value(),
          option("on", option_type::string_list,
                 "run statuses that notify (default: failed, aborted, config_error, stale; "
                 "\"failed\" means incomplete)"),
          option("rejected_over", option_type::integer,
                 "also notify when a run rejects more records than this").at_least(0),
        }),
    option("schedule", option_type::object, "when `backflow serve` runs it")
        .with({
          option("every", option_type::duration, "interval, e.g. \"5m\"").between(1, 1e9),
          option("cron", option_type::string, "5-field cron expression"),
          option("manual", option_type::boolean, "only when triggered"),
          option("timezone", option_type::string, "for cron: UTC (default), \"+02:00\" or a zone name like \"Europe/Paris\""),
        }),
    option("writeback", option_type::custom,
           "after each run, copy the run, its records' outcomes and the destination ids to "
           "tables in a warehouse: {\"connection\", \"schema\", \"retention\", "
           "\"batch_rows\"} (README, Write-back to the warehouse)"),
  };
  return spec;
}

const std::vector<option_spec>& mapping_entry_options() {
  static const std::vector<option_spec> spec = {
    option("from", option_type::string, "model column").mandatory(),
    option("to", option_type::string, "destination field").mandatory(),
    option("type", option_type::string, "convert to").one_of(field_type_names()),
    option("transform", option_type::string_list, "applied in order").shapes_payload(),
  };
  return spec;
}

}  // namespace backflow
