// A BigQuery read over the REST API v2 (see bigquery_source.hpp).
#include "connectors/sources/bigquery_source.hpp"

#include <future>
#include <string>
#include <string_view>
#include <vector>

#include "connectors/sources/bigquery_client.hpp"
#include "connectors/sources/registry.hpp"
#include "connectors/sources/source_text.hpp"

namespace backflow {
namespace {

/// Reads one page at a time; the next page is already on its way while this one is read, so
/// at most two pages are in memory.
class bigquery_cursor final : public source_cursor {
 public:
  bigquery_cursor(bigquery_target target, bigquery_page first, std::vector<bq_field> fields,
                  schema columns)
      : target_(std::move(target)),
        page_(std::move(first)),
        fields_(std::move(fields)),
        columns_(std::move(columns)),
        fetcher_(std::make_shared<bigquery_client>(target_)) {
    prefetch();
  }

  ~bigquery_cursor() override {
    // After the last page nothing runs any more: there is nothing to cancel.
    if (finished_ || (page_.page_token.empty() && !next_.valid()))
      return;
    target_.stop->store(true);  // the prefetch gives up its retries
    if (next_.valid())
      next_.wait();
    bigquery_client(target_).cancel(page_.job_id, page_.location);
  }

  bigquery_cursor(const bigquery_cursor&) = delete;
  bigquery_cursor& operator=(const bigquery_cursor&) = delete;

  [[nodiscard]] const schema& columns() const override { return columns_; }

  result<size_t> fetch(packed_rows& out, size_t max_rows) override {
    if (!error_.empty())
      return failure{error_};
    size_t fetched = 0;
    while (fetched < max_rows && !finished_) {
      if (row_ == page_.rows.size()) {
        if (auto next = next_page(); !next) {
          error_ = next.error().message;
          return failure{error_};
        }
        continue;
      }
      const auto& row = page_.rows[row_++];
      const auto* cells = row.is_object() ? &row["f"] : nullptr;
      if (cells == nullptr || !cells->is_array() || cells->size() != fields_.size()) {
        error_ = "source: BigQuery API: row " + std::to_string(rows_read_) +
                 " does not have one {\"v\":…} per schema field";
        return failure{error_};
      }
      row_writer writer(out.bytes);
      for (size_t c = 0; c < fields_.size(); ++c) {
        const auto& cell = (*cells)[c];
        write_bq_value(writer, fields_[c], cell.is_object() ? cell.value("v", nlohmann::json())
                                                            : nlohmann::json());
      }
      out.finish_row();
      ++rows_read_;
      ++fetched;
    }
    return fetched;
  }

 private:
  void prefetch() {
    if (page_.page_token.empty())
      return;
    // One request at a time on the fetcher's own connection (reused from page to page).
    next_ = std::async(std::launch::async, [fetcher = fetcher_, option = target_.auth->option(),
                                            job = page_.job_id, location = page_.location,
                                            token = page_.page_token] {
      auto page = fetcher->page(job, location, token);
      return page ? page : result<bigquery_page>(bigquery_failure(page.error(), option));
    });
  }

  status next_page() {
    row_ = 0;
    if (!next_.valid()) {
      finished_ = true;
      page_.rows = nlohmann::json::array();
      return {};
    }
    auto next = next_.get();
    if (!next)
      return next.error();
    std::string job = page_.job_id;
    std::string location = page_.location;
    page_ = std::move(*next);
    page_.job_id = job;
    page_.location = location;
    prefetch();
    return {};
  }

  bigquery_target target_;
  bigquery_page page_;  // the page being read
  std::vector<bq_field> fields_;
  schema columns_;
  std::shared_ptr<bigquery_client> fetcher_;  // used by the prefetch only
  std::future<result<bigquery_page>> next_;
  size_t row_ = 0;
  size_t rows_read_ = 0;
  bool finished_ = false;
  std::string error_;
};

/// The name of an incremental read's bound in bigquery_window_query (`@backflow_from`).
constexpr const char* bq_bound_name = "backflow_from";

/// `name` as a GoogleSQL quoted identifier: in backticks, a backtick or backslash escaped by a
/// backslash (double quotes would make a string literal).
std::string quote_bq_identifier(std::string_view name) {
  std::string out = "`";
  for (char c : name) {
    if (c == '`' || c == '\\')
      out.push_back('\\');
    out.push_back(c);
  }
  return out + "`";
}

/// Incremental reads in GoogleSQL: `@backflow_from`, an INT64 parameter for an integer cursor,
/// else a STRING one, which BigQuery coerces to the column's type (parameter coercion), so a
/// TIMESTAMP compares instants (the bound's "+00:00" honoured), a DATETIME wall times, a DATE
/// the bound's date. NULL cursors are read.
std::string bigquery_window_query(const std::string& model, const std::string& cursor, bool) {
  auto c = quote_bq_identifier(cursor);
  return wrap_model(model, "*", c + " >= @" + bq_bound_name + " OR " + c + " IS NULL");
}

std::string bigquery_key_query(const std::string& model, const std::vector<std::string>& columns) {
  std::string select;
  for (const auto& c : columns)
    select += (select.empty() ? "" : ", ") + quote_bq_identifier(c);
  return wrap_model(model, select, "");
}

/// The spec's one parameter as jobs.query's queryParameters: INT64 (its digits as a string) or
/// STRING, never spliced into the SQL.
result<nlohmann::json> bq_parameters(const source_spec& spec) {
  nlohmann::json out = nlohmann::json::array();
  if (spec.params.size() > 1)
    return failure{"source: a BigQuery incremental read binds one value, not " +
                   std::to_string(spec.params.size())};
  for (const auto& p : spec.params)
    out.push_back({{"name", bq_bound_name},
                   {"parameterType", {{"type", p.integer ? "INT64" : "STRING"}}},
                   {"parameterValue", {{"value", p.text}}}});
  return out;
}

/// Runs `sql`: its first complete page, fields and columns.
result<std::tuple<bigquery_target, bigquery_page, std::vector<bq_field>, schema>> bq_run(
    const source_spec& spec, const std::string& sql) {
  auto target = bq_target_of(spec);
  if (!target)
    return target.error();
  auto parameters = bq_parameters(spec);
  if (!parameters)
    return parameters.error();
  auto first = bigquery_client(*target).query(sql, *parameters);
  if (!first)
    return bigquery_failure(first.error(), target->auth->option());
  auto fields = bq_fields_of(first->schema);
  if (!fields)
    return fields.error();
  schema columns;
  for (const auto& f : *fields)
    columns.push_back(column{f.name, bq_column_kind(f)});
  if (auto unique = check_unique_columns(columns); !unique)
    return unique.error();
  return std::make_tuple(std::move(*target), std::move(*first), std::move(*fields),
                         std::move(columns));
}

}  // namespace

result<std::unique_ptr<source_cursor>> open_bigquery_source(const source_spec& spec) {
  auto query = spec.model_statement();
  if (!query)
    return query.error();
  auto ran = bq_run(spec, *query);
  if (!ran)
    return ran.error();
  auto& [target, first, fields, columns] = *ran;
  return std::unique_ptr<source_cursor>(std::make_unique<bigquery_cursor>(
      std::move(target), std::move(first), std::move(fields), std::move(columns)));
}

result<schema> describe_bigquery_source(const source_spec& spec) {
  auto query = spec.model_statement();
  if (!query)
    return query.error();
  auto ran = bq_run(spec, "SELECT * FROM (" + *query + ") LIMIT 0");
  if (!ran)
    return ran.error();
  return std::get<3>(*ran);
}

source_type bigquery_source_type() {
  source_type t;
  t.name = "bigquery";
  t.summary = "Google BigQuery over the REST API v2 (service-account key or access token)";
  t.options = {
    option("project", option_type::string, "Google Cloud project that runs (and pays for) the query")
        .mandatory(),
    option("credentials_file", option_type::string,
           "service-account key file (JSON with client_email, private_key, token_uri)"),
    option("access_token", option_type::string,
           "OAuth access token instead of a key file (not refreshed)").secret_value(),
    option("dataset", option_type::string,
           "default dataset of unqualified table names in the query (defaultDataset)"),
    option("location", option_type::string, "where the job runs, e.g. \"EU\" or \"us-central1\""),
    option("endpoint", option_type::url,
           "API base URL instead of https://bigquery.googleapis.com (an emulator)"),
    option("page_rows", option_type::integer, "rows per page asked for (maxResults)")
        .between(1, 100000).defaults_to(10000),
    option("timeout_ms", option_type::integer, "how long each call waits for the job (timeoutMs)")
        .between(0, 600000).defaults_to(10000),
  };
  t.open = open_bigquery_source;
  t.describe = describe_bigquery_source;
  t.check = [](const nlohmann::json& options, const std::string& path, config_errors& errors) {
    if (options.contains("credentials_file") && options.contains("access_token"))
      errors.add(path, "give one of credentials_file (service-account key) or access_token, not both");
  };
  t.resolve = [](nlohmann::json& options, const std::filesystem::path& base_dir) {
    auto it = options.find("credentials_file");
    if (it != options.end() && it->is_string() && std::filesystem::path(it->get<std::string>()).is_relative())
      *it = (base_dir / it->get<std::string>()).lexically_normal().string();
  };
  t.location = [](const source_spec& spec) {
    auto endpoint = spec.string_option("endpoint");
    return "bigquery:" + (endpoint.empty() ? std::string() : endpoint + "/") +
           spec.string_option("project");
  };
  t.window_query = bigquery_window_query;
  t.key_query = bigquery_key_query;
  t.config_problem_options = {"credentials_file", "access_token", "project"};
  return t;
}

}  // namespace backflow
