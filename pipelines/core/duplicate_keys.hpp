// Finds keys a JSON document gives twice in one object: a sync file's later value would silently
// win, so each is an error with its key path.
#pragma once

#include <string>
#include <vector>

namespace backflow {

/// The key paths (e.g. "destination.token", "mapping[2].to") given more than once in the same
/// object of `text` (JSON with comments). Empty when there are none or `text` does not parse
/// (the parser reports that).
std::vector<std::string> duplicate_key_paths(const std::string& text);

}  // namespace backflow
