// The stored model profile (see model_profile.hpp).
#include "state/model_profile.hpp"

#include <nlohmann/json.hpp>

namespace backflow::state {

const model_profile::column* model_profile::find(const std::string& name) const {
  for (const auto& c : columns)
    if (c.name == name)
      return &c;
  return nullptr;
}

std::optional<model_profile> load_model_profile(const sync_state& st) {
  std::optional<model_profile> out;
  st.env().read([&](transaction& txn) {
    auto v = st.meta().get(txn, model_profile_key);
    if (!v)
      return;
    auto j = nlohmann::json::parse(*v, nullptr, false);
    if (!j.is_object() || !j["columns"].is_array())
      return;  // unreadable: behave as if there were none (the guards only get laxer)
    model_profile p;
    p.run_id = j.value("run_id", uint64_t{0});
    p.rows = j.value("rows", uint64_t{0});
    for (const auto& c : j["columns"])
      if (c.is_object() && c["name"].is_string())
        p.columns.push_back({c["name"].get<std::string>(), c.value("kinds", uint8_t{0})});
    out = std::move(p);
  });
  return out;
}

void store_model_profile(transaction& txn, const sync_state& st, const model_profile& profile) {
  nlohmann::json columns = nlohmann::json::array();
  for (const auto& c : profile.columns)
    columns.push_back({{"name", c.name}, {"kinds", c.kinds}});
  nlohmann::json j = {{"run_id", profile.run_id}, {"rows", profile.rows}, {"columns", columns}};
  st.meta().put(txn, model_profile_key, j.dump());
}

void start_apply(const sync_state& st, const plan_record& plan, const model_profile& profile) {
  st.env().write([&](transaction& txn) {
    st.store_plan(txn, plan);
    st.set_applied_config(txn, plan.config_fingerprint);
    store_model_profile(txn, st, profile);
  });
}

}  // namespace backflow::state
