// A Snowflake warehouse read over the SQL API v2 (see snowflake_source.hpp).
#include "connectors/sources/snowflake_source.hpp"

#include <memory>

#include "connectors/sources/parts_cursor.hpp"
#include "connectors/sources/registry.hpp"
#include "connectors/sources/snowflake_client.hpp"
#include "connectors/sources/snowflake_rows.hpp"
#include "connectors/sources/source_text.hpp"

namespace backflow {
namespace {

/// Streams partition 0 (inline in the answer), then the others from the prefetcher.
class snowflake_cursor final : public parts_cursor {
 public:
  snowflake_cursor(snowflake_target target, snowflake_result result, packed_rows first,
                   size_t in_flight)
      : parts_cursor(std::move(first), result.partitions),
        target_(std::move(target)),
        result_(std::move(result)) {
    start_parts(in_flight, [this] {
      // Each thread its own client (connection); a 401 blames the credential option.
      auto client = std::make_shared<snowflake_client>(target_);
      return [client, handle = result_.handle, cells = result_.cells,
              blamed = credential_option()](size_t n) -> backflow::result<packed_rows> {
        auto body = client->partition(handle, n);
        if (!body)
          return snowflake_failure(body.error(), blamed);
        return decode_sf_partition(*body, cells);
      };
    });
  }

  ~snowflake_cursor() override {
    // A one-partition result is all here already: nothing is left to cancel.
    if (!unfinished())
      return;
    target_.stop->store(true);  // workers give up their retries
    stop_parts();
    snowflake_client(target_).cancel(result_.handle);
  }

  snowflake_cursor(const snowflake_cursor&) = delete;
  snowflake_cursor& operator=(const snowflake_cursor&) = delete;

  [[nodiscard]] const schema& columns() const override { return result_.columns; }

 private:
  [[nodiscard]] std::string credential_option() const {
    return target_.auth->can_refresh() ? "private_key_file" : "token";
  }

  snowflake_target target_;
  snowflake_result result_;
};

size_t in_flight_of(const source_spec& spec) {
  auto it = spec.options.find("partitions_in_flight");
  return it != spec.options.end() && it->is_number_integer() ? it->get<size_t>() : 4;
}

std::string failure_option(const snowflake_target& target) {
  return target.auth->can_refresh() ? "private_key_file" : "token";
}

/// The spec's parameters as SQL API bindings, "1", "2", ... in order: an integer as FIXED, the
/// rest as TEXT (which Snowflake casts to the type of the column it is compared with).
nlohmann::json bindings_of(const source_spec& spec) {
  nlohmann::json out = nlohmann::json::object();
  for (size_t i = 0; i < spec.params.size(); ++i)
    out[std::to_string(i + 1)] = {{"type", spec.params[i].integer ? "FIXED" : "TEXT"},
                                  {"value", spec.params[i].text}};
  return out;
}

/// Incremental reads in Snowflake's dialect: the bound (a TEXT binding, or FIXED for an integer
/// cursor) is compared with the column as it is, so Snowflake casts it to the column's own
/// type: TIMESTAMP_TZ/LTZ compare instants (the bound's "+00:00" honoured), TIMESTAMP_NTZ wall
/// times, NUMBER exactly. NULL cursors are read.
std::string snowflake_window_query(const std::string& model, const std::string& cursor, bool) {
  auto c = quote_identifier(cursor);
  return wrap_model(model, "*", c + " >= ? OR " + c + " IS NULL");
}

}  // namespace

result<std::unique_ptr<source_cursor>> open_snowflake_source(const source_spec& spec) {
  auto query = spec.model_statement();
  if (!query)
    return query.error();
  auto target = snowflake_target_of(spec);
  if (!target)
    return target.error();
  auto ran = snowflake_client(*target).run(*query, bindings_of(spec));
  if (!ran)
    return snowflake_failure(ran.error(), failure_option(*target));
  auto first = encode_sf_rows(ran->first, ran->cells);
  if (!first)
    return first.error();
  ran->first = nlohmann::json();
  return std::unique_ptr<source_cursor>(std::make_unique<snowflake_cursor>(
      std::move(*target), std::move(*ran), std::move(*first), in_flight_of(spec)));
}

result<schema> describe_snowflake_source(const source_spec& spec) {
  auto query = spec.model_statement();
  if (!query)
    return query.error();
  auto target = snowflake_target_of(spec);
  if (!target)
    return target.error();
  auto ran = snowflake_client(*target).run("SELECT * FROM (" + *query + ") LIMIT 0",
                                          bindings_of(spec));
  if (!ran)
    return snowflake_failure(ran.error(), failure_option(*target));
  return ran->columns;
}

source_type snowflake_source_type() {
  source_type t;
  t.name = "snowflake";
  t.summary = "a Snowflake account over the SQL API v2 (key-pair JWT or OAuth/PAT token)";
  t.options = {
    option("account", option_type::string,
           "account identifier, e.g. \"myorg-myaccount\" (the host's first part)").mandatory(),
    option("url", option_type::url,
           "base URL instead of https://<account>.snowflakecomputing.com (an emulator)"),
    option("user", option_type::string, "login name; needed for key-pair auth"),
    option("private_key_file", option_type::string,
           "PEM private key (PKCS#8) registered as the user's RSA_PUBLIC_KEY"),
    option("private_key_passphrase", option_type::string,
           "passphrase of an encrypted private key").secret_value(),
    option("token", option_type::string,
           "OAuth access token or programmatic access token, instead of a key").secret_value(),
    option("token_type", option_type::string, "what `token` is")
        .one_of({"OAUTH", "PROGRAMMATIC_ACCESS_TOKEN"}).defaults_to("OAUTH"),
    option("warehouse", option_type::string, "virtual warehouse to run the query on"),
    option("database", option_type::string, "default database of the query"),
    option("schema", option_type::string, "default schema of the query"),
    option("role", option_type::string, "role to run the query as"),
    option("timeout", option_type::integer, "statement timeout in seconds; 0: Snowflake's")
        .between(0, 604800).defaults_to(0),
    option("partitions_in_flight", option_type::integer,
           "result partitions fetched at once (and held in memory at most)")
        .between(1, 16).defaults_to(4),
  };
  t.open = open_snowflake_source;
  t.describe = describe_snowflake_source;
  t.check = [](const nlohmann::json& options, const std::string& path, config_errors& errors) {
    // Neither is reported when the source opens ("source.token: missing"), so that a bare
    // source lists only its required options.
    bool key = options.contains("private_key_file");
    if (key && options.contains("token"))
      errors.add(path, "give one of private_key_file (key-pair auth) or token, not both");
    if (key && !options.contains("user"))
      errors.add(join_path(path, "user"), "is required with private_key_file");
  };
  t.resolve = [](nlohmann::json& options, const std::filesystem::path& base_dir) {
    auto it = options.find("private_key_file");
    if (it != options.end() && it->is_string() && std::filesystem::path(it->get<std::string>()).is_relative())
      *it = (base_dir / it->get<std::string>()).lexically_normal().string();
  };
  t.location = [](const source_spec& spec) {
    auto url = spec.string_option("url");
    return "snowflake:" + (url.empty() ? spec.string_option("account") : url) + "/" +
           spec.string_option("database") + "/" + spec.string_option("schema");
  };
  t.window_query = snowflake_window_query;
  t.key_query = standard_key_query;
  t.config_problem_options = {"private_key_file", "token", "user", "account"};
  return t;
}

}  // namespace backflow
