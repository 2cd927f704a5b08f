// Model rows as the diff compares them (see row_planner.hpp).
#include "pipelines/diff/row_planner.hpp"

#include <stdexcept>

namespace backflow {
namespace {

/// Keeps the hashes of refused rows apart from those of payloads.
constexpr uint64_t refused_row_salt = 0x6d61707065640000ull;

}  // namespace

row_planner::row_planner(size_t key_columns, row_mapper mapper, uint64_t seed,
                         identity_function identity)
    : key_columns_(key_columns),
      mapper_(std::move(mapper)),
      identity_(std::move(identity)),
      hasher_(mapper_.field_names(), seed),
      seed_(seed) {}

bool row_planner::plan(std::string_view row, planned_rows& out) {
  if (!canonical_key(row, key_columns_, key_))
    return false;
  payload_.clear();
  hash128 hash;
  auto mapped = mapper_.map(row, payload_);
  bool failed = !mapped;
  if (failed) {
    payload_ = mapped.error().message;
    hash = hash_row(row, seed_ ^ refused_row_salt);
  } else if (!hasher_.hash(payload_, hash)) {
    throw std::runtime_error("the mapping produced a malformed payload");
  }
  out.keys.push_back(key_);
  out.payloads.push_back(payload_);
  out.hashes.push_back(hash);
  out.mapping_failed.push_back(failed ? 1 : 0);
  std::optional<std::string> identity;
  if (identity_ && !failed)
    identity = identity_(payload_);
  out.identities.push_back(identity ? *identity : std::string());
  return true;
}

}  // namespace backflow
