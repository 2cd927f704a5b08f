// Opens the warehouse source named by a sync's `source.type` through the registry (see source.hpp).
#include "connectors/sources/source.hpp"

#include "connectors/sources/registry.hpp"
#include "connectors/sources/source_text.hpp"

namespace backflow {
namespace {

failure unknown_type(const source_spec& spec) {
  std::string known;
  for (const auto& t : source_types())
    known += (known.empty() ? "\"" : ", \"") + t.name + "\"";
  return failure{"source.type: unknown source type \"" + spec.type + "\"; expected one of " +
                 known};
}

}  // namespace

std::string source_spec::string_option(const std::string& name) const {
  auto it = options.find(name);
  return it != options.end() && it->is_string() ? it->get<std::string>() : std::string();
}

result<std::string> source_spec::model_statement() const {
  std::string_view statement = strip_query_terminator(query);
  if (statement.find_first_not_of(" \t\r\n") == std::string_view::npos)
    return failure{"source.query: is empty; give the SELECT that returns the model's rows"};
  return std::string(statement);
}

result<std::unique_ptr<source_cursor>> open_source(const source_spec& spec) {
  const auto* t = find_source_type(spec.type);
  if (t == nullptr)
    return unknown_type(spec);
  return t->open(spec);
}

result<schema> describe_source(const source_spec& spec) {
  const auto* t = find_source_type(spec.type);
  if (t == nullptr)
    return unknown_type(spec);
  return t->describe(spec);
}

bool is_config_problem(const source_spec& spec, const failure& problem) {
  auto names = [&problem](const std::string& key) {
    return problem.message.rfind("source." + key + ":", 0) == 0;
  };
  if (names("query") || names("type"))
    return true;
  if (const auto* t = find_source_type(spec.type))
    for (const auto& key : t->config_problem_options)
      if (names(key))
        return true;
  return false;
}

}  // namespace backflow
