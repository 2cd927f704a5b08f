// The option tables of a sync file: its top-level keys, its source, and each mapping entry.
#pragma once

#include <vector>

#include "pipelines/core/option_spec.hpp"

namespace backflow {

/// The top-level keys of a sync file (source, destination, mode, guards, delivery, schedule, ...).
const std::vector<option_spec>& sync_options();
/// The keys of `source` (sqlite or postgres).
const std::vector<option_spec>& source_options();
/// The keys of one `mapping` entry.
const std::vector<option_spec>& mapping_entry_options();

}  // namespace backflow
