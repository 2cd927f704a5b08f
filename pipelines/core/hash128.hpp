// The 128-bit hash kept per synced key: what the destination last acknowledged for it.
#pragma once

#include <cstdint>

namespace backflow {

/// XXH3-128 of a record's mapped payload, seeded with the sync's payload fingerprint.
struct hash128 {
  uint64_t low = 0;
  uint64_t high = 0;
  friend bool operator==(const hash128& a, const hash128& b) {
    return a.low == b.low && a.high == b.high;
  }
  friend bool operator!=(const hash128& a, const hash128& b) { return !(a == b); }
};

}  // namespace backflow
