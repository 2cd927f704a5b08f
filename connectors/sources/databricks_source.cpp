// A Databricks SQL warehouse read over the Statement Execution API 2.0 (see databricks_source.hpp).
#include "connectors/sources/databricks_source.hpp"

#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "connectors/sources/databricks_client.hpp"
#include "connectors/sources/parts_cursor.hpp"
#include "connectors/sources/registry.hpp"
#include "connectors/sources/source_text.hpp"

namespace backflow {
namespace {

/// Streams chunk 0 (in the statement's answer), then the others from the prefetcher.
class databricks_cursor final : public parts_cursor {
 public:
  databricks_cursor(databricks_target target, databricks_result result, size_t in_flight)
      : parts_cursor(std::move(result.first), result.chunks),
        target_(std::move(target)),
        result_(std::move(result)) {
    start_parts(in_flight, [this] {
      // Each thread its own client (connection); a 401 blames the credential option.
      auto client = std::make_shared<databricks_client>(target_);
      return [client, id = result_.statement_id, cells = result_.cells,
              blamed = target_.auth->credential_option()](size_t n) -> backflow::result<packed_rows> {
        auto rows = client->chunk(id, n, cells);
        if (!rows)
          return databricks_failure(rows.error(), blamed);
        return rows;
      };
    });
  }

  ~databricks_cursor() override {
    if (!unfinished())
      return;  // everything is here already: nothing is left to cancel
    target_.stop->store(true);  // workers give up their retries
    stop_parts();
    databricks_client(target_).cancel(result_.statement_id);
  }

  databricks_cursor(const databricks_cursor&) = delete;
  databricks_cursor& operator=(const databricks_cursor&) = delete;

  [[nodiscard]] const schema& columns() const override { return result_.columns; }

 private:
  databricks_target target_;
  databricks_result result_;
};

size_t dbx_chunks_in_flight(const source_spec& spec) {
  auto it = spec.options.find("chunks_in_flight");
  return it != spec.options.end() && it->is_number_integer() ? it->get<size_t>() : 4;
}

/// The name of an incremental read's bound in databricks_window_query (`:backflow_from`).
constexpr const char* dbx_bound_name = "backflow_from";

/// `name` as a Databricks SQL identifier: in backticks, a backtick doubled (double quotes would
/// make a string literal).
std::string quote_dbx_identifier(std::string_view name) {
  std::string out = "`";
  for (char c : name) {
    if (c == '`')
      out.push_back('`');
    out.push_back(c);
  }
  return out + "`";
}

/// Incremental reads in Databricks SQL: the named marker `:backflow_from`, a BIGINT parameter
/// for an integer cursor, else a STRING one, which Databricks casts to the type of the column it
/// is compared with, so a TIMESTAMP compares instants (the bound's "+00:00" honoured), a
/// TIMESTAMP_NTZ wall times, a DATE the bound's date. NULL cursors are read.
std::string databricks_window_query(const std::string& model, const std::string& cursor, bool) {
  auto c = quote_dbx_identifier(cursor);
  return wrap_model(model, "*", c + " >= :" + dbx_bound_name + " OR " + c + " IS NULL");
}

std::string databricks_key_query(const std::string& model, const std::vector<std::string>& columns) {
  std::string select;
  for (const auto& c : columns)
    select += (select.empty() ? "" : ", ") + quote_dbx_identifier(c);
  return wrap_model(model, select, "");
}

/// The spec's parameters as the API's named parameters, never spliced into the SQL.
nlohmann::json dbx_parameters(const source_spec& spec) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& p : spec.params)
    out.push_back({{"name", dbx_bound_name}, {"value", p.text}, {"type", p.integer ? "BIGINT" : "STRING"}});
  return out;
}

result<databricks_result> run_databricks_query(const source_spec& spec, const std::string& statement,
                                    databricks_target& target) {
  if (spec.params.size() > 1)
    return failure{"source: a Databricks incremental read binds one value, not " +
                   std::to_string(spec.params.size())};
  auto ran = databricks_client(target).run(statement, dbx_parameters(spec));
  if (!ran)
    return databricks_failure(ran.error(), target.auth->credential_option());
  return ran;
}

}  // namespace

result<std::unique_ptr<source_cursor>> open_databricks_source(const source_spec& spec) {
  auto query = spec.model_statement();
  if (!query)
    return query.error();
  auto target = databricks_target_of(spec);
  if (!target)
    return target.error();
  auto ran = run_databricks_query(spec, *query, *target);
  if (!ran)
    return ran.error();
  return std::unique_ptr<source_cursor>(std::make_unique<databricks_cursor>(
      std::move(*target), std::move(*ran), dbx_chunks_in_flight(spec)));
}

result<schema> describe_databricks_source(const source_spec& spec) {
  auto query = spec.model_statement();
  if (!query)
    return query.error();
  auto target = databricks_target_of(spec);
  if (!target)
    return target.error();
  auto ran = run_databricks_query(spec, "SELECT * FROM (" + *query + ") LIMIT 0", *target);
  if (!ran)
    return ran.error();
  return ran->columns;
}

source_type databricks_source_type() {
  source_type t;
  t.name = "databricks";
  t.summary = "a Databricks SQL warehouse over the Statement Execution API 2.0 (PAT or OAuth M2M)";
  t.options = {
    option("host", option_type::string,
           "workspace URL, e.g. \"https://dbc-a1b2.cloud.databricks.com\" (or an emulator's)")
        .mandatory(),
    option("warehouse_id", option_type::string, "SQL warehouse that runs the query").mandatory(),
    option("catalog", option_type::string, "default catalog of the query"),
    option("schema", option_type::string, "default schema of the query"),
    option("token", option_type::string, "personal access token").secret_value(),
    option("client_id", option_type::string, "OAuth M2M: the service principal's client id"),
    option("client_secret", option_type::string, "OAuth M2M: its secret").secret_value(),
    option("token_url", option_type::url,
           "OAuth token endpoint instead of <host>/oidc/v1/token"),
    option("disposition", option_type::string,
           "results inline (≤ 25 MiB) or as presigned external links (large results)")
        .one_of({"INLINE", "EXTERNAL_LINKS"}).defaults_to("INLINE"),
    option("wait_timeout", option_type::string,
           "how long the submit call waits before the statement is polled (\"0s\" or 5s-50s)")
        .defaults_to("10s"),
    option("chunks_in_flight", option_type::integer,
           "result chunks fetched at once (and held in memory at most)")
        .between(1, 16).defaults_to(4),
  };
  t.open = open_databricks_source;
  t.describe = describe_databricks_source;
  t.check = [](const nlohmann::json& options, const std::string& path, config_errors& errors) {
    bool m2m = options.contains("client_id") || options.contains("client_secret");
    if (m2m && options.contains("token"))
      errors.add(path, "give one of token (personal access token) or client_id + client_secret");
    if (auto w = options.find("wait_timeout"); w != options.end() && w->is_string()) {
      const std::string text = w->get<std::string>();
      int seconds = text.size() >= 2 && text.back() == 's' &&
                            text.find_first_not_of("0123456789") == text.size() - 1
                        ? std::atoi(text.c_str())
                        : -1;
      if (seconds != 0 && (seconds < 5 || seconds > 50))
        errors.add(join_path(path, "wait_timeout"),
                   "must be \"0s\" or between \"5s\" and \"50s\", got \"" + text + "\"");
    }
    if (options.contains("client_id") != options.contains("client_secret"))
      errors.add(join_path(path, options.contains("client_id") ? "client_secret" : "client_id"),
                 "is required with OAuth M2M (client_id and client_secret go together)");
  };
  t.location = [](const source_spec& spec) {
    return "databricks:" + spec.string_option("host") + "/" + spec.string_option("warehouse_id") +
           "/" + spec.string_option("catalog") + "/" + spec.string_option("schema");
  };
  t.window_query = databricks_window_query;
  t.key_query = databricks_key_query;
  t.config_problem_options = {"token", "client_secret", "client_id", "host", "warehouse_id"};
  return t;
}

}  // namespace backflow
