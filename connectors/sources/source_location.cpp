// Where a source's data lives (see source_location.hpp), as each registered source type says.
#include "connectors/sources/source_location.hpp"

#include "connectors/sources/registry.hpp"

namespace backflow {

std::string source_location(const source_spec& spec) {
  const auto* t = find_source_type(spec.type);
  if (t == nullptr || !t->location)
    return spec.type + ":?";
  return t->location(spec);
}

}  // namespace backflow
