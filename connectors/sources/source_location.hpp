// Where a source's data lives, as text without secrets: part of a sync's recorded identity.
#pragma once

#include <string>

#include "connectors/sources/source.hpp"

namespace backflow {

/// "sqlite:/abs/path.db" or "postgres:host=h port=5432 dbname=d": the warehouse a sync reads,
/// never its credentials. Two specs with the same location read the same data.
std::string source_location(const source_spec& spec);

}  // namespace backflow
