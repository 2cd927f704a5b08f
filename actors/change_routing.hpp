// What a sync's mode does with each kind of change: send it (and how), or settle it locally.
#pragma once

#include <optional>

#include "pipelines/delivery/destination.hpp"
#include "state/records.hpp"
#include "state/sync_state.hpp"

namespace backflow {

/// Either an op to send, or a local settlement (no request).
struct change_route {
  std::optional<delivery_op> send;
  state::settlement settle = state::settlement::delivered;
};

/// upsert: added/changed → upsert, deleted → forgotten (the model dropped it; nothing is sent).
/// update: added/changed → update, deleted → forgotten.
/// insert: added → insert, changed → skipped (the hash is adopted), deleted → forgotten.
/// mirror: added/changed → upsert, deleted → remove.
/// audience: added → upsert (add member), changed → skipped, deleted → remove (remove member).
change_route route_change(sync_mode mode, state::change_kind kind);

}  // namespace backflow
