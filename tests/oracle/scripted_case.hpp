// A scripted oracle sequence for named cases: a destination, a fixed seed, a small model and a
// session over them, with the steps named cases are written in.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <vector>

#include "tests/oracle/model_writer.hpp"
#include "tests/oracle/session.hpp"

namespace backflow::oracle {

struct scripted {
  /// Case `name` of Boost suite `suite` (for the replay hint), writing to `destination` in
  /// `mode`; one request at a time, 3 attempts, fast retries.
  scripted(const std::string& suite, const std::string& name, const std::string& destination,
           const std::string& mode, std::uint64_t seed, sequence_features features = {});

  std::vector<row>& rows() { return s.model().rows(); }
  void add_rows(int n);
  /// Gives every row a new note (a value every destination but Meta receives).
  void touch_all(const std::string& note);
  /// One run that must finish (exit 0) and leave the destination as the model says.
  bool finishes(const std::string& step, const fault_plan& fault = {});
  /// One run that must finish without an API call.
  bool sends_nothing(const std::string& step, const std::string& why);
  /// Prints the report, if any, and fails the Boost case with its first line.
  void done();

  const profile& target;
  std::mt19937_64 rng;
  model_writer writer;
  session s;
};

/// A fault with an explicit emulator spec.
fault_plan queued(fault_kind kind, nlohmann::json spec);

/// A new row of `writer` keyed (k1, k2).
row keyed(model_writer& writer, const std::string& k1, const std::string& k2);

}  // namespace backflow::oracle
