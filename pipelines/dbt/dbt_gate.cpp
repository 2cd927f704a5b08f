// The dbt gate (see dbt_gate.hpp).
#include "pipelines/dbt/dbt_gate.hpp"

#include "pipelines/core/clock.hpp"
#include "pipelines/sync/freshness.hpp"

namespace backflow::dbt {
namespace {

node_result read_result(const nlohmann::json& r) {
  node_result out;
  out.status = text_of(r, "status");
  out.message = text_of(r, "message");
  if (auto f = r.find("failures"); f != r.end() && f->is_number_integer())
    out.failures = f->get<long long>();
  if (auto timing = r.find("timing"); timing != r.end() && timing->is_array())
    for (const auto& t : *timing)
      if (t.is_object() && text_of(t, "name") == "execute")
        out.completed_at = parse_freshness_text(text_of(t, "completed_at"));
  return out;
}

/// "not_null_customers_id (test.jaffle.not_null_customers_id.5c2d1a) on model.jaffle.customers".
std::string describe_test(const test_node& t) {
  std::string on;
  for (const auto& id : t.tested)
    on += (on.empty() ? "" : ", ") + id;
  return t.name + " (" + t.unique_id + ") on " + on;
}

std::string describe_outcome(const node_result& r) {
  std::string out = r.status;
  if (r.failures && *r.failures > 0)
    out += ", " + std::to_string(*r.failures) + " failing rows";
  if (!r.message.empty())
    out += ": " + r.message;
  return out;
}

bool failed(const std::string& status) {
  return status == "fail" || status == "error" || status == "runtime error";
}

}  // namespace

result<run_results> run_results::parse(const nlohmann::json& doc) {
  auto results = doc.find("results");
  if (results == doc.end() || !results->is_array())
    return failure{"it has no \"results\" array: not dbt run results"};
  run_results out;
  if (auto meta = doc.find("metadata"); meta != doc.end() && meta->is_object()) {
    out.schema_version = schema_version_of(text_of(*meta, "dbt_schema_version"));
    out.generated_at = parse_freshness_text(text_of(*meta, "generated_at"));
  }
  for (const auto& r : *results) {
    auto id = r.is_object() ? text_of(r, "unique_id") : std::string();
    if (id.empty())
      return failure{"a result without a unique_id: not dbt run results"};
    out.by_node[id] = read_result(r);
  }
  return out;
}

result<run_results> load_run_results(const std::filesystem::path& target_dir) {
  auto file = target_dir / "run_results.json";
  auto doc = read_json_file(file);
  if (!doc)
    return doc.error();
  auto parsed = run_results::parse(*doc);
  if (!parsed)
    return failure{file.string() + ": " + parsed.error().message};
  return parsed;
}

gate_verdict judge(const manifest& m, const model_node& model, const run_results& results,
                   const gate_policy& policy, std::chrono::system_clock::time_point now) {
  gate_verdict v;
  auto nodes = m.upstream_of(model.unique_id);
  v.nodes_checked = nodes.size();
  // A node that failed to build: its relation holds an older version, and whatever reads it
  // was built on that.
  for (const auto& id : nodes) {
    auto r = results.by_node.find(id);
    if (r != results.by_node.end() && failed(r->second.status))
      v.blocking.push_back("node " + id + " failed to build: " + describe_outcome(r->second));
  }
  auto tests = m.tests_on(nodes);
  v.tests_checked = tests.size();
  size_t not_run = 0;
  for (const auto& t : tests) {
    auto r = results.by_node.find(t.unique_id);
    if (r == results.by_node.end() || r->second.status == "skipped") {
      ++not_run;
      continue;
    }
    const auto& outcome = r->second;
    if (failed(outcome.status))
      v.blocking.push_back("test " + describe_test(t) + ": " + describe_outcome(outcome));
    else if (outcome.status == "warn" && policy.block_on_warn)
      v.blocking.push_back("test " + describe_test(t) + " warned (warn: \"block\"): " +
                           describe_outcome(outcome));
    else if (outcome.status == "warn")
      v.notes.push_back("test " + describe_test(t) + " warned (allowed): " +
                        describe_outcome(outcome));
  }
  if (not_run > 0)
    v.notes.push_back(std::to_string(not_run) + " of " + std::to_string(tests.size()) +
                      " tests on the model and its upstream nodes are not in the latest "
                      "results (not run, or skipped)");
  auto own = results.by_node.find(model.unique_id);
  bool built = own != results.by_node.end() && own->second.status == "success" &&
               own->second.completed_at.has_value();
  if (built)
    v.built_at = iso8601(*own->second.completed_at);
  if (policy.max_age) {
    auto limit = "max_age " + describe_age(*policy.max_age);
    if (!built)
      v.blocking.push_back("model " + model.unique_id +
                           " was not built in the latest dbt results, so its age is unknown (" +
                           limit + ")");
    else if (now - *own->second.completed_at > *policy.max_age)
      v.blocking.push_back(
          "model " + model.unique_id + " was last built " +
          describe_age(std::chrono::duration_cast<std::chrono::milliseconds>(
              now - *own->second.completed_at)) +
          " ago (" + v.built_at + "), older than " + limit);
  }
  v.open = v.blocking.empty();
  return v;
}

nlohmann::json gate_verdict::to_json() const {
  nlohmann::json out = {{"open", open},
                        {"tests_checked", tests_checked},
                        {"nodes_checked", nodes_checked},
                        {"blocking", blocking},
                        {"notes", notes}};
  if (!built_at.empty())
    out["model_built_at"] = built_at;
  return out;
}

std::string gate_verdict::summary() const {
  if (open)
    return "open: " + std::to_string(tests_checked) + " tests on the model and " +
           std::to_string(nodes_checked > 0 ? nodes_checked - 1 : 0) +
           " upstream nodes, none failed";
  std::string out = "closed by dbt: ";
  for (size_t i = 0; i < blocking.size(); ++i)
    out += (i ? "; " : "") + blocking[i];
  return out;
}

}  // namespace backflow::dbt
