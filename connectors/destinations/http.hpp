// The templated HTTP destination: any JSON API, described by method, URL and body templates.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "connectors/destinations/registry.hpp"

namespace backflow {

// -- templates (http_template.cpp) -----------------------------------------------------------

struct mustache_data;  ///< kainjow's data, in http_template.cpp only

/// What one rendering sees: `typed` holds every variable as JSON (exact numbers, NULL as null),
/// `plain` the same with decimals as their text; both have the record's fields at the top level
/// and under "fields", with the reserved names (key, sync_name, run_id, batch_id, op) on top.
struct template_values {
  nlohmann::json typed = nlohmann::json::object();
  nlohmann::json plain = nlohmann::json::object();
  /// `plain` as Mustache data, made by the first text template rendered with these values.
  mutable std::shared_ptr<const mustache_data> text_data;
};

/// A Mustache text template (kainjow/mustache). `{{name}}` is escaped for where the text goes
/// (percent-encoded in a URL, CR/LF-free in a header, as is in a JSON string); `{{{name}}}` and
/// `{{& name}}` are inserted as they are (a URL's path fragments, say).
class text_template {
 public:
  enum class escaping { none, url, header };
  text_template(const std::string& source, escaping how);

  /// The text for these values; a variable without a value (NULL, unknown) renders as "".
  [[nodiscard]] std::string render(const template_values& values) const;
  /// True when the text holds no tag at all (rendering returns it unchanged).
  [[nodiscard]] bool literal() const { return literal_; }

 private:
  struct compiled;
  std::string source_;
  std::shared_ptr<compiled> compiled_;
  bool literal_ = true;
};

/// A JSON document template: a string leaf that is exactly one placeholder ("{{score}}") becomes
/// the variable's typed JSON value (an integer past 2^53, a 38-digit decimal, null); any other
/// string (and object key) holding tags is a text template. Render with dump_exact().
class json_template {
 public:
  explicit json_template(nlohmann::json source);
  [[nodiscard]] nlohmann::json render(const template_values& values) const;

 private:
  struct node;
  std::shared_ptr<node> root_;
};

/// Whether a template may name `variable` (fields as "score" or "fields.score").
using variable_check = std::function<bool(const std::string& variable)>;

/// Every problem with a text template: Mustache syntax, partials and delimiter changes (not
/// supported), variables `known` refuses. Each message names the variable or the fault.
std::vector<std::string> text_template_problems(const std::string& source,
                                                const variable_check& known);

/// Every problem of every string in a JSON template, reported under `path` + the leaf's pointer.
/// `hint` is appended to unknown-variable messages (the names that are known there).
void check_json_template(const nlohmann::json& source, const std::string& path,
                         const variable_check& known, config_errors& errors,
                         const std::string& hint = {});

/// "upsert", "update", "insert", "delete": the `operations` keys, by delivery_op.
extern const char* const http_op_names[4];

/// A template given as JSON text is parsed (a problem goes to `errors` under `where` when it is
/// given); any other JSON value is the template itself.
std::optional<nlohmann::json> template_source(const nlohmann::json& value, const std::string& where,
                                              config_errors* errors);

/// The checks of an http destination's options beyond its table: templates (syntax, unknown
/// variables), the operations its mode sends, batch, headers, auth and result pointers.
void check_http_options(const destination_context& ctx, const std::string& path,
                        config_errors& errors);

// -- the destination (http.cpp) --------------------------------------------------------------

/// Sends each operation (upsert, update, insert, delete) as its configured method, URL and body,
/// one record per request, or in batch mode as a JSON array at `batch.path` of an envelope. A
/// 2xx answer delivers the records, or, with `results`, each record by its item of the answer.
class http_destination final : public destination {
 public:
  explicit http_destination(const destination_context& ctx);

  static destination_type type();

  [[nodiscard]] size_t batch_size(delivery_op op) const override { return batch_size_; }
  [[nodiscard]] http_request build_request(const delivery_batch& batch) const override;
  [[nodiscard]] batch_verdict interpret(const delivery_batch& batch,
                                        const http_response& response) const override;
  [[nodiscard]] std::string account() const override;
  [[nodiscard]] rate_limit_spec rate_limits() const override;

 private:
  struct operation {
    std::string method;
    std::optional<text_template> url;
    std::optional<json_template> body;
  };
  struct result_pointers {
    std::string items, success, error, id, status;
  };

  /// The operations' methods, URL and body templates, with the defaults of those not given.
  void read_operations(const nlohmann::json& ops);
  [[nodiscard]] const operation& operation_for(delivery_op op) const;
  [[nodiscard]] template_values request_values(const delivery_batch& batch) const;
  [[nodiscard]] template_values record_values(const delivery_batch& batch,
                                              const outbound_record& record) const;
  void sign(http_request& req) const;
  [[nodiscard]] record_outcome item_outcome(const nlohmann::json& item) const;

  std::string base_url_;
  std::string sync_name_;
  uint64_t run_id_;
  bool batched_;
  size_t batch_size_;
  std::string batch_path_;
  std::optional<json_template> envelope_;
  operation ops_[4];
  std::vector<std::pair<std::string, text_template>> headers_;
  nlohmann::json auth_;
  std::optional<result_pointers> results_;
  rate_limit_spec limits_;
};

}  // namespace backflow
