// The freshness guard: skip a run when the model's newest data is older than `max_age`.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "connectors/sources/source.hpp"
#include "pipelines/core/row_codec.hpp"

namespace backflow {

struct freshness_config;

/// What the freshness query found.
struct freshness_verdict {
  bool fresh = false;
  bool query_failed = false;  ///< the query itself failed (warehouse down, bad SQL)
  std::string message;        ///< names the value, its age and max_age
};

/// Reads a freshness value written as text: ISO-8601 or "YYYY-MM-DD HH:MM:SS[.fff]" with an
/// optional "Z" / "+HH[:MM]" zone (UTC when absent), a bare date, or unix seconds.
std::optional<std::chrono::system_clock::time_point> parse_freshness_text(std::string_view text);

/// Reads a freshness cell: timestamp or text as above, integer or real as unix seconds.
std::optional<std::chrono::system_clock::time_point> parse_freshness_cell(const cell& value);

/// "2h 5m 3s", "45s", "3d 1h": an age for messages.
std::string describe_age(std::chrono::milliseconds age);

/// Judges one value: fresh when it is at most `max_age` older than `now`.
freshness_verdict judge_freshness(const cell& newest, std::chrono::milliseconds max_age,
                                  std::chrono::system_clock::time_point now);

/// Runs the freshness query on the sync's source and judges its first cell. Blocking.
freshness_verdict check_freshness(const source_spec& source, const freshness_config& config,
                                  std::chrono::system_clock::time_point now);

}  // namespace backflow
