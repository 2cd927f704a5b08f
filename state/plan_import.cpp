// A reviewed plan file taken into a sync's state (see plan_import.hpp).
#include "state/plan_import.hpp"

#include <cstdio>
#include <stdexcept>

#include "state/cursor_mark.hpp"
#include "state/span_memo.hpp"
#include "state/table.hpp"

namespace backflow::state {
namespace {

constexpr const char* import_marker_key = "reviewed_plan";

}  // namespace

std::string fingerprint_hex(uint64_t v) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(v));
  return buf;
}

std::optional<uint64_t> fingerprint_from_hex(const nlohmann::json& j) {
  if (!j.is_string() || j.get_ref<const std::string&>().size() != 16)
    return std::nullopt;
  try {
    size_t used = 0;
    auto v = std::stoull(j.get<std::string>(), &used, 16);
    return used == 16 ? std::optional<uint64_t>(v) : std::nullopt;
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

nlohmann::json state_position::to_json() const {
  return {{"last_run_id", last_run_id},
          {"keys", keys},
          {"rejects", rejects},
          {"orphans", orphans},
          {"committed_fingerprint", fingerprint_hex(committed_fingerprint)},
          {"applied_config", fingerprint_hex(applied_config)},
          {"cursor_mark", cursor_mark}};
}

std::optional<state_position> state_position::from_json(const nlohmann::json& j) {
  if (!j.is_object())
    return std::nullopt;
  state_position p;
  for (auto [name, field] : {std::pair{"last_run_id", &p.last_run_id}, std::pair{"keys", &p.keys},
                             std::pair{"rejects", &p.rejects}, std::pair{"orphans", &p.orphans}}) {
    auto it = j.find(name);
    if (it == j.end() || !it->is_number_unsigned())
      return std::nullopt;
    *field = it->get<uint64_t>();
  }
  auto committed = fingerprint_from_hex(j.value("committed_fingerprint", nlohmann::json()));
  auto applied = fingerprint_from_hex(j.value("applied_config", nlohmann::json()));
  auto mark = j.find("cursor_mark");
  if (!committed || !applied || mark == j.end() || !mark->is_string())
    return std::nullopt;
  p.committed_fingerprint = *committed;
  p.applied_config = *applied;
  p.cursor_mark = mark->get<std::string>();
  return p;
}

std::vector<std::string> state_position::moved(const state_position& now) const {
  std::vector<std::string> out;
  if (now.last_run_id != last_run_id)
    out.push_back("run " + std::to_string(now.last_run_id) + " started since the plan (it was made after run " +
                  std::to_string(last_run_id) + ")");
  auto count = [&](const char* what, uint64_t then, uint64_t later) {
    if (then != later)
      out.push_back(std::string(what) + " went from " + std::to_string(then) + " to " +
                    std::to_string(later));
  };
  count("synced keys", keys, now.keys);
  count("rejected records", rejects, now.rejects);
  count("orphaned records", orphans, now.orphans);
  if (committed_fingerprint != now.committed_fingerprint || applied_config != now.applied_config)
    out.push_back("the state was committed under another sync file or reset since");
  if (cursor_mark != now.cursor_mark)
    out.push_back("the incremental mark moved");
  return out;
}

state_position read_position(const sync_state& st) {
  state_position p;
  st.env().read([&](transaction& txn) {
    p.last_run_id = st.last_run_id(txn);
    auto sizes = st.count(txn);
    p.keys = sizes.keys;
    p.rejects = sizes.rejects;
    p.orphans = sizes.orphans;
    p.committed_fingerprint = st.committed_fingerprint(txn);
  });
  p.applied_config = st.applied_config();
  if (auto mark = load_cursor_mark(st))
    p.cursor_mark = mark->to_json_text();
  return p;
}

std::optional<import_marker> load_import_marker(const sync_state& st) {
  std::optional<import_marker> out;
  st.env().read([&](transaction& txn) {
    auto v = st.meta().get(txn, import_marker_key);
    if (!v)
      return;
    auto j = nlohmann::json::parse(*v, nullptr, false);
    if (!j.is_object())
      st.damaged("meta", import_marker_key);
    out = import_marker{j.value("digest", ""), j.value("run_id", uint64_t{0}),
                        j.value("imported", false)};
  });
  return out;
}

namespace {

void store_marker(transaction& txn, const sync_state& st, const import_marker& m) {
  nlohmann::json j = {{"digest", m.digest}, {"run_id", m.run_id}, {"imported", m.imported}};
  st.meta().put(txn, import_marker_key, j.dump());
}

}  // namespace

void begin_import(const sync_state& st, const std::string& digest, uint64_t run_id) {
  st.env().write([&](transaction& txn) {
    store_marker(txn, st, {digest, run_id, false});
    // The plan was not diffed against this state's remembered spans: they may hold its keys.
    forget_spans(st, txn);
  });
  st.clear_change_set();
  uint64_t last = 0;
  st.env().read([&](transaction& txn) { last = st.last_run_id(txn); });
  if (last < run_id && st.new_run_id() != run_id)
    throw std::runtime_error("the run counter moved while the plan was taken in");
}

void import_changes(const sync_state& st, const std::vector<imported_change>& changes) {
  st.env().write([&](transaction& txn) {
    std::string key;
    for (const auto& c : changes) {
      storage_key(c.key, key);
      if (!st.changes().insert(txn, key, c.record))
        throw std::runtime_error("the plan lists key \"" + c.key + "\" twice");
    }
    st.add_count(txn, counter::changes, static_cast<int64_t>(changes.size()));
  });
}

void finish_import(const sync_state& st, const plan_record& plan, const model_profile& profile,
                   const std::string& digest) {
  st.env().write([&](transaction& txn) {
    st.store_plan(txn, plan);
    st.set_applied_config(txn, plan.config_fingerprint);
    store_model_profile(txn, st, profile);
    store_marker(txn, st, {digest, plan.run_id, true});
  });
}

std::optional<model_profile> profile_from_json(const nlohmann::json& j) {
  if (!j.is_object() || !j.contains("columns") || !j["columns"].is_array())
    return std::nullopt;
  model_profile p;
  p.run_id = j.value("run_id", uint64_t{0});
  p.rows = j.value("rows", uint64_t{0});
  for (const auto& c : j["columns"]) {
    if (!c.is_object() || !c.contains("name") || !c["name"].is_string())
      return std::nullopt;
    p.columns.push_back({c["name"].get<std::string>(), c.value("kinds", uint8_t{0})});
  }
  return p;
}

nlohmann::json profile_to_json(const model_profile& p) {
  nlohmann::json columns = nlohmann::json::array();
  for (const auto& c : p.columns)
    columns.push_back({{"name", c.name}, {"kinds", c.kinds}});
  return {{"run_id", p.run_id}, {"rows", p.rows}, {"columns", columns}};
}

}  // namespace backflow::state
