// What `verify` reads from and writes to a sync's state: the synced version of each key, and
// marks that make the next run resend the records that drifted at the destination.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "state/records.hpp"
#include "state/sync_state.hpp"

namespace backflow::state {

/// A key as the state knows it, for a drift check.
struct synced_version {
  bool synced = false;   ///< the destination acknowledged a version of it (a key record exists)
  hash128 hash;          ///< the payload hash last acknowledged (zero: none held, resend)
  std::string dest_id;   ///< the destination's id for it, if known
  bool pending = false;  ///< a change of it waits in the change set (the next run sends it)
  bool rejected = false; ///< its latest version was refused (the state keeps the reason)
};

/// The synced version of each of `keys` (canonical), read in one transaction.
std::vector<synced_version> synced_versions(const sync_state& st,
                                            const std::vector<std::string>& keys);

/// Marks `keys` for resend in one write transaction: each key whose acknowledged hash is still
/// `hashes[i]` gets the zero hash (what a key holding no known version has), so the next run
/// plans it as changed and sends it, with its destination id kept. A key whose hash moved
/// meanwhile is left alone. Returns how many were marked. A crash before the commit marks none.
size_t mark_for_resend(const sync_state& st, const std::vector<std::string>& keys,
                       const std::vector<hash128>& hashes);

}  // namespace backflow::state
