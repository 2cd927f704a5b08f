// Write-back into BigQuery (see bigquery_writer.hpp).
#include "connectors/sources/bigquery_writer.hpp"

#include "connectors/sources/bigquery_client.hpp"
#include "connectors/sources/bound_writer.hpp"

namespace backflow {
namespace {

/// "2026-12-06T13:25:00.123Z" as "2026-12-06 13:25:00.123+00:00", the canonical timestamp
/// text of BigQuery (the form its client libraries send as a TIMESTAMP parameter).
std::string bq_timestamp_text(std::string iso) {
  if (iso.size() > 10 && iso[10] == 'T')
    iso[10] = ' ';
  if (!iso.empty() && iso.back() == 'Z')
    iso.replace(iso.size() - 1, 1, "+00:00");
  return iso;
}

class bigquery_writer final : public bound_writer {
 public:
  explicit bigquery_writer(bigquery_target target)
      : target_(std::move(target)), client_(target_) {}

 protected:
  status run(const bound_statement& statement) override {
    nlohmann::json parameters = nlohmann::json::array();
    for (size_t i = 0; i < statement.params.size(); ++i) {
      const auto& p = statement.params[i];
      const char* type = p.kind == wb_kind::integer     ? "INT64"
                         : p.kind == wb_kind::timestamp ? "TIMESTAMP"
                                                        : "STRING";
      nlohmann::json value = nullptr;
      if (p.value)
        value = p.kind == wb_kind::timestamp ? bq_timestamp_text(*p.value) : *p.value;
      parameters.push_back({{"name", "p" + std::to_string(i)},
                            {"parameterType", {{"type", type}}},
                            {"parameterValue", {{"value", value}}}});
    }
    auto ran = client_.query(statement.sql, parameters);
    if (ran)
      return {};
    auto why = bigquery_failure(ran.error(), target_.auth->option()).message;
    return failure{writer_message("BigQuery", why)};
  }

  std::string placeholder(size_t index) const override { return "@p" + std::to_string(index); }

  std::string quote(const std::string& name) const override {
    std::string out = "`";
    for (char c : name) {
      if (c == '`' || c == '\\')
        out.push_back('\\');
      out.push_back(c);
    }
    return out + "`";
  }

  std::string type_of(wb_kind kind, bool) const override {
    switch (kind) {
      case wb_kind::integer:
        return "INT64";
      case wb_kind::timestamp:
        return "TIMESTAMP";
      default:  // JSON stays a STRING: the JSON type refuses numbers past float64's precision
        return "STRING";
    }
  }

  /// No PRIMARY KEY: BigQuery's are NOT ENFORCED constraints that only help the optimizer.
  std::string table_constraints(const std::string&) const override { return ""; }

 private:
  bigquery_target target_;
  bigquery_client client_;
};

}  // namespace

result<std::unique_ptr<warehouse_writer>> open_bigquery_writer(const source_spec& spec) {
  auto target = bq_target_of(spec, true);
  if (!target)
    return failure{"writeback: BigQuery: " + target.error().message};
  target->dataset.clear();  // statements name their dataset
  return std::unique_ptr<warehouse_writer>(new bigquery_writer(std::move(*target)));
}

}  // namespace backflow
