// Random oracle sequences: a destination, its starting mode and a seed; the seed draws the
// model, its hostile features, and every step's changes and faults, so it replays exactly.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "tests/support/emulator_process.hpp"

namespace backflow::oracle {

struct sequence_spec {
  std::string destination;  ///< a profile name
  std::string mode;         ///< the mode it starts in (update starts with an upsert run)
  std::uint64_t seed = 0;
};

/// "webhook/mirror:1234": the value of BACKFLOW_ORACLE_SEQUENCE that replays `spec`.
std::string replay_of(const sequence_spec& spec);

/// Reads "destination/mode:seed"; nullopt when malformed or unknown.
std::optional<sequence_spec> parse_replay(const std::string& text);

/// Every destination with every mode it supports (seed 0).
std::vector<sequence_spec> all_combinations();

/// Runs one sequence against `emulator` (of the destination's kind). Returns "" when the
/// destination held what the model said after every run, else the report of the first mismatch.
std::string run_sequence(const sequence_spec& spec, testing::emulator_process& emulator);

}  // namespace backflow::oracle
