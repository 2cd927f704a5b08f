// What a sync's mode does with each kind of change: send it (and how), or settle it locally.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "pipelines/delivery/destination.hpp"
#include "pipelines/mapping/row_mapper.hpp"
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
/// audience: added/changed → upsert (add the member with its current identifiers; adding is
///           idempotent), deleted → remove (remove the member).
change_route route_change(sync_mode mode, state::change_kind kind);

/// Turns one change into a record to send (appended to `out`) or a settlement that needs no
/// request (appended to `settled`): the mode does not send it, or its values fail the mapping
/// (rejected, naming the column and value).
void map_change(sync_mode mode, row_mapper& mapper, std::string key, state::change_record change,
                std::vector<outbound_record>& out, std::vector<state::settled_record>& settled);

}  // namespace backflow
