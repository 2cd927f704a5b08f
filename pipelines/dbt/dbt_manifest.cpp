// Reading dbt's manifest.json (see dbt_manifest.hpp).
#include "pipelines/dbt/dbt_manifest.hpp"

#include "pipelines/core/file_bytes.hpp"

#include <algorithm>
#include <deque>

namespace backflow::dbt {
namespace {

std::string lowercase(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

const nlohmann::json& object_or_empty(const nlohmann::json& doc, const char* key) {
  static const nlohmann::json empty = nlohmann::json::object();
  auto it = doc.find(key);
  return it != doc.end() && it->is_object() ? *it : empty;
}

std::vector<std::string> string_array(const nlohmann::json& value) {
  std::vector<std::string> out;
  if (value.is_array())
    for (const auto& v : value)
      if (v.is_string())
        out.push_back(v.get<std::string>());
  return out;
}

std::vector<std::string> depends_on(const nlohmann::json& node) {
  auto it = node.find("depends_on");
  if (it == node.end() || !it->is_object())
    return {};
  return string_array(it->value("nodes", nlohmann::json()));
}

bool is_data_node(const std::string& id) {
  for (const char* prefix : {"model.", "seed.", "snapshot.", "source."})
    if (id.rfind(prefix, 0) == 0)
      return true;
  return false;
}

/// Whether `node` is the model `name` (by unique id, or by name).
bool names_model(const std::string& id, const nlohmann::json& node, const std::string& name) {
  if (id == name)
    return true;
  return text_of(node, "resource_type") == "model" && text_of(node, "name") == name;
}

model_node read_model(const std::string& id, const nlohmann::json& node) {
  model_node m;
  m.unique_id = id;
  m.name = text_of(node, "name");
  m.database = text_of(node, "database");
  m.schema = text_of(node, "schema");
  m.alias = text_of(node, "alias");
  if (m.alias.empty())
    m.alias = m.name;
  m.relation_name = text_of(node, "relation_name");
  m.materialized = text_of(object_or_empty(node, "config"), "materialized");
  const auto& columns = object_or_empty(node, "columns");
  for (const auto& item : columns.items()) {
    auto name = text_of(item.value(), "name");
    m.columns.push_back(name.empty() ? item.key() : name);
  }
  return m;
}

}  // namespace

std::string text_of(const nlohmann::json& node, const char* key) {
  auto it = node.find(key);
  return it != node.end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::string schema_version_of(const std::string& url) {
  auto slash = url.rfind('/');
  auto dot = url.rfind(".json");
  if (slash == std::string::npos || dot == std::string::npos || dot <= slash)
    return {};
  return url.substr(slash + 1, dot - slash - 1);
}

result<nlohmann::json> read_json_file(const std::filesystem::path& file) {
  auto text = file_bytes(file);
  if (!text)
    return failure{"cannot read " + file.string() + " (run dbt first: `dbt build` writes it)"};
  auto doc = nlohmann::json::parse(*text, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object())
    return failure{file.string() + " is not a JSON object (a partly written file?)"};
  return doc;
}

result<manifest> manifest::parse(const nlohmann::json& doc) {
  if (!doc.contains("nodes") || !doc["nodes"].is_object())
    return failure{"it has no \"nodes\" object: not a dbt manifest"};
  manifest m;
  m.nodes_ = doc["nodes"];
  m.sources_ = object_or_empty(doc, "sources");
  m.disabled_ = object_or_empty(doc, "disabled");
  m.parent_map_ = object_or_empty(doc, "parent_map");
  m.schema_version_ = schema_version_of(text_of(object_or_empty(doc, "metadata"), "dbt_schema_version"));
  return m;
}

result<model_node> manifest::model(const std::string& name) const {
  for (const auto& item : nodes_.items()) {
    if (!names_model(item.key(), item.value(), name))
      continue;
    auto m = read_model(item.key(), item.value());
    if (text_of(item.value(), "resource_type") != "model")
      return failure{"\"" + name + "\" is a " + text_of(item.value(), "resource_type") +
                     ", not a model"};
    if (m.materialized == "ephemeral")
      return failure{"model \"" + m.name + "\" is ephemeral: it has no relation in the "
                     "warehouse to read (materialize it as a view or table)"};
    return m;
  }
  for (const auto& item : disabled_.items())
    for (const auto& node : item.value())
      if (names_model(item.key(), node, name))
        return failure{"model \"" + name + "\" is disabled in the dbt project (config "
                       "enabled: false): it is not built"};
  // The closest names help with a typo.
  std::vector<std::string> similar;
  for (const auto& item : nodes_.items()) {
    auto candidate = text_of(item.value(), "name");
    if (text_of(item.value(), "resource_type") == "model" &&
        (candidate.find(name) != std::string::npos || name.find(candidate) != std::string::npos))
      similar.push_back(candidate);
  }
  std::sort(similar.begin(), similar.end());
  std::string hint;
  for (size_t i = 0; i < similar.size() && i < 5; ++i)
    hint += (i ? ", " : "; similar models: ") + similar[i];
  return failure{"no model \"" + name + "\" in the manifest" + hint};
}

std::set<std::string> manifest::upstream_of(const std::string& unique_id) const {
  std::set<std::string> seen{unique_id};
  std::deque<std::string> queue{unique_id};
  while (!queue.empty()) {
    auto id = queue.front();
    queue.pop_front();
    std::vector<std::string> parents;
    if (auto p = parent_map_.find(id); p != parent_map_.end())
      parents = string_array(*p);
    else if (auto n = nodes_.find(id); n != nodes_.end())
      parents = depends_on(*n);
    for (auto& parent : parents)
      if (is_data_node(parent) && seen.insert(parent).second)
        queue.push_back(parent);
  }
  return seen;
}

std::vector<test_node> manifest::tests_on(const std::set<std::string>& nodes) const {
  std::vector<test_node> out;
  for (const auto& item : nodes_.items()) {
    const auto& node = item.value();
    if (text_of(node, "resource_type") != "test")
      continue;
    test_node t;
    t.unique_id = item.key();
    t.name = text_of(node, "name");
    auto severity = lowercase(text_of(object_or_empty(node, "config"), "severity"));
    t.severity = severity == "warn" ? "warn" : "error";  // dbt's default severity is ERROR
    auto attached = text_of(node, "attached_node");
    if (!attached.empty())
      t.tested.push_back(attached);
    for (auto& d : depends_on(node))
      if (d != attached)
        t.tested.push_back(d);
    bool applies = std::any_of(t.tested.begin(), t.tested.end(),
                               [&](const std::string& id) { return nodes.count(id) > 0; });
    if (applies)
      out.push_back(std::move(t));
  }
  std::sort(out.begin(), out.end(),
            [](const test_node& a, const test_node& b) { return a.unique_id < b.unique_id; });
  return out;
}

result<manifest> load_manifest(const std::filesystem::path& target_dir) {
  auto file = target_dir / "manifest.json";
  auto doc = read_json_file(file);
  if (!doc)
    return doc.error();
  auto m = manifest::parse(*doc);
  if (!m)
    return failure{file.string() + ": " + m.error().message};
  return m;
}

}  // namespace backflow::dbt
