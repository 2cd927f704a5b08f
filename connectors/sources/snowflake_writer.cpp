// Write-back into Snowflake (see snowflake_writer.hpp).
#include "connectors/sources/snowflake_writer.hpp"

#include "connectors/sources/bound_writer.hpp"
#include "connectors/sources/snowflake_client.hpp"

namespace backflow {
namespace {

class snowflake_writer final : public bound_writer {
 public:
  explicit snowflake_writer(snowflake_target target)
      : target_(std::move(target)), client_(target_) {}

 protected:
  status run(const bound_statement& statement) override {
    nlohmann::json bindings = nlohmann::json::object();
    for (size_t i = 0; i < statement.params.size(); ++i) {
      const auto& p = statement.params[i];
      bindings[std::to_string(i + 1)] = {
          {"type", p.kind == wb_kind::integer ? "FIXED" : "TEXT"},
          {"value", p.value ? nlohmann::json(*p.value) : nlohmann::json()}};
    }
    auto ran = client_.run(statement.sql, bindings);
    if (ran)
      return {};
    auto why = snowflake_failure(ran.error(), target_.auth->can_refresh() ? "private_key_file"
                                                                           : "token").message;
    return failure{writer_message("Snowflake", why)};
  }

  std::string placeholder(size_t) const override { return "?"; }

  std::string value_of(const std::string& placeholder, wb_kind kind) const override {
    // A TEXT binding compared with or stored into TIMESTAMP_TZ: converted explicitly, so the
    // UNION ALL of the MERGE's source has the column's type.
    return kind == wb_kind::timestamp ? "TO_TIMESTAMP_TZ(" + placeholder + ")" : placeholder;
  }

  std::string quote(const std::string& name) const override {
    std::string out = "\"";
    for (char c : name)
      out += c == '"' ? std::string("\"\"")
                      : std::string(1, static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
    return out + "\"";
  }

  std::string type_of(wb_kind kind, bool) const override {
    switch (kind) {
      case wb_kind::integer:
        return "NUMBER(38,0)";
      case wb_kind::timestamp:
        return "TIMESTAMP_TZ";
      default:  // JSON stays text: VARIANT would turn wide decimals into doubles
        return "VARCHAR";
    }
  }

 private:
  snowflake_target target_;
  snowflake_client client_;
};

}  // namespace

result<std::unique_ptr<warehouse_writer>> open_snowflake_writer(const source_spec& spec) {
  auto target = snowflake_target_of(spec);
  if (!target)
    return failure{"writeback: Snowflake: " + target.error().message};
  return std::unique_ptr<warehouse_writer>(new snowflake_writer(std::move(*target)));
}

}  // namespace backflow
