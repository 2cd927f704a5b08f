// The emulator catalogue: one entry per emulator, listed explicitly in registry.cpp.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "emulators/emulator.hpp"
#include "emulators/limits.hpp"
#include "pipelines/core/result.hpp"

namespace backflow::emulators {

/// A command-line option of one emulator (the shared ones are in emulator_cli.cpp).
struct emulator_option {
  std::string flag;         ///< "--token"
  std::string value;        ///< its placeholder in the usage text ("T")
  std::string help;         ///< one line for the usage text
  bool repeatable = false;  ///< may be given more than once (else the last one wins)
};

/// A limit an emulator honours: settable as --<key with '-' for '_'> and by /__emulator/limits.
struct limit_option {
  std::string key;   ///< a key of `limits` ("per_10s")
  std::string help;  ///< one line for the usage text; the default is appended from `initial`
};

/// The values of an emulator's own options as given on the command line, by flag.
class emulator_settings {
 public:
  void add(const std::string& flag, std::string value) { values_[flag].push_back(std::move(value)); }
  /// The last value given for `flag`, or `fallback`.
  [[nodiscard]] std::string value(const std::string& flag, const std::string& fallback) const;
  /// Every value given for `flag`, in order.
  [[nodiscard]] std::vector<std::string> all(const std::string& flag) const;

 private:
  std::map<std::string, std::vector<std::string>> values_;
};

/// Everything `backflow-emulator` needs to know about one emulator. The shared server supplies
/// the listener, latency, faults, request log, limits and the /__emulator/ control API.
struct emulator_type {
  std::string name;                       ///< the command line's emulator name ("hubspot")
  std::string summary;                    ///< one line for the usage text
  std::vector<std::string> destinations;  ///< the destination types it stands in for
  std::vector<std::string> sources;       ///< the source (warehouse) types it stands in for
  std::vector<emulator_option> options;   ///< its own flags
  std::vector<limit_option> own_limits;   ///< the limits it honours besides latency_ms
  limits initial;                         ///< limits at start and after /__emulator/reset
  /// Makes the emulator from its options; a message naming the option when one is bad.
  std::function<result<std::unique_ptr<emulator>>(const emulator_settings&)> make;

  /// The limit keys /__emulator/limits accepts: latency_ms (every emulator's), then its own.
  [[nodiscard]] std::vector<std::string> limit_keys() const;
};

/// Every emulator, in the order the usage text lists them.
const std::vector<emulator_type>& emulator_types();
/// The emulator named `name`, or nullptr.
const emulator_type* find_emulator_type(std::string_view name);
/// The emulator that stands in for destination type `destination`, or nullptr.
const emulator_type* find_emulator_for(std::string_view destination);

}  // namespace backflow::emulators
