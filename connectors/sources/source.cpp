// Picks the warehouse source named by a sync's `source.type` (see source.hpp).
#include "connectors/sources/source.hpp"

#include "connectors/sources/postgres_source.hpp"
#include "connectors/sources/sqlite_source.hpp"

namespace backflow {
namespace {

failure unknown_type(const source_spec& spec) {
  return failure{"source.type: unknown source type \"" + spec.type +
                 "\"; expected \"sqlite\" or \"postgres\""};
}

}  // namespace

result<std::unique_ptr<source_cursor>> open_source(const source_spec& spec) {
  if (spec.type == "sqlite")
    return open_sqlite_source(spec);
  if (spec.type == "postgres")
    return open_postgres_source(spec);
  return unknown_type(spec);
}

result<schema> describe_source(const source_spec& spec) {
  if (spec.type == "sqlite")
    return describe_sqlite_source(spec);
  if (spec.type == "postgres")
    return describe_postgres_source(spec);
  return unknown_type(spec);
}

}  // namespace backflow
