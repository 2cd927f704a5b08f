// Write-back into Databricks (see databricks_writer.hpp).
#include "connectors/sources/databricks_writer.hpp"

#include "connectors/sources/bound_writer.hpp"
#include "connectors/sources/databricks_client.hpp"
#include "connectors/sources/writer_sql.hpp"

namespace backflow {
namespace {

class databricks_writer final : public bound_writer {
 public:
  explicit databricks_writer(databricks_target target)
      : target_(std::move(target)), client_(target_) {}

 protected:
  status run(const bound_statement& statement) override {
    nlohmann::json parameters = nlohmann::json::array();
    for (size_t i = 0; i < statement.params.size(); ++i) {
      const auto& p = statement.params[i];
      nlohmann::json param = {{"name", "p" + std::to_string(i)},
                              {"type", p.kind == wb_kind::integer     ? "BIGINT"
                                       : p.kind == wb_kind::timestamp ? "TIMESTAMP"
                                                                      : "STRING"}};
      if (p.value)  // an omitted value is NULL
        param["value"] = *p.value;
      parameters.push_back(std::move(param));
    }
    auto ran = client_.run(statement.sql, parameters);
    if (ran)
      return {};
    return failure{writer_message(
        "Databricks", databricks_failure(ran.error(), target_.auth->credential_option()).message)};
  }

  std::string placeholder(size_t index) const override { return ":p" + std::to_string(index); }

  std::string quote(const std::string& name) const override { return quote_doubling(name, '`'); }

  std::string type_of(wb_kind kind, bool) const override {
    switch (kind) {
      case wb_kind::integer:
        return "BIGINT";
      case wb_kind::timestamp:
        return "TIMESTAMP";
      default:  // JSON stays a STRING, exact
        return "STRING";
    }
  }

  /// No PRIMARY KEY: informational only, and only on Unity Catalog tables.
  std::string table_constraints(const std::string&) const override { return ""; }

  /// Backflow's cap, which keeps a MERGE's text and parameter list modest.
  size_t max_params() const override { return 2000; }

 private:
  databricks_target target_;
  databricks_client client_;
};

}  // namespace

result<std::unique_ptr<warehouse_writer>> open_databricks_writer(const source_spec& spec) {
  auto target = databricks_target_of(spec);
  if (!target)
    return failure{"writeback: Databricks: " + target.error().message};
  target->context.erase("schema");  // statements name their schema
  return std::unique_ptr<warehouse_writer>(new databricks_writer(std::move(*target)));
}

}  // namespace backflow
