// Finds keys a JSON document gives twice in one object (see duplicate_keys.hpp).
#include "pipelines/core/duplicate_keys.hpp"

#include <set>

#include <nlohmann/json.hpp>

#include "pipelines/core/option_spec.hpp"

namespace backflow {
namespace {

/// Where the parser is: one frame per open object or array.
struct frame {
  bool array = false;
  long index = -1;          ///< arrays: the element being read
  std::string key;          ///< objects: the key being read
  std::set<std::string> keys;
  std::string path;         ///< of the container itself
};

/// The path of the value about to be read in `f`.
std::string child_path(const frame& f) {
  return f.array ? index_path(f.path, static_cast<size_t>(f.index)) : join_path(f.path, f.key);
}

}  // namespace

std::vector<std::string> duplicate_key_paths(const std::string& text) {
  std::vector<std::string> found;
  std::vector<frame> stack;
  // A value starts: in an array, it is the next element.
  auto value_starts = [&] {
    if (!stack.empty() && stack.back().array)
      ++stack.back().index;
  };
  auto open = [&](bool array) {
    value_starts();
    frame f;
    f.array = array;
    f.path = stack.empty() ? std::string() : child_path(stack.back());
    stack.push_back(std::move(f));
  };
  nlohmann::json::parser_callback_t callback = [&](int, nlohmann::json::parse_event_t event,
                                                   nlohmann::json& parsed) {
    using ev = nlohmann::json::parse_event_t;
    switch (event) {
      case ev::object_start:
        open(false);
        break;
      case ev::array_start:
        open(true);
        break;
      case ev::object_end:
      case ev::array_end:
        if (!stack.empty())
          stack.pop_back();
        break;
      case ev::key:
        if (!stack.empty() && parsed.is_string()) {
          auto& f = stack.back();
          f.key = parsed.get<std::string>();
          if (!f.keys.insert(f.key).second)
            found.push_back(join_path(f.path, f.key));
        }
        break;
      case ev::value:
        value_starts();
        break;
    }
    return true;
  };
  try {
    [[maybe_unused]] auto parsed =
        nlohmann::json::parse(text, callback, true, /*ignore_comments=*/true);
  } catch (const nlohmann::json::exception&) {
    return {};  // not JSON: the sync file parser says where
  }
  return found;
}

}  // namespace backflow
