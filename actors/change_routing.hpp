// What a sync's mode does with each kind of change: send it (and how), or settle it locally.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "pipelines/delivery/destination.hpp"
#include "state/records.hpp"
#include "state/sync_state.hpp"

namespace backflow {

/// Either an op to send, or a local settlement (no request).
struct change_route {
  std::optional<delivery_op> send;
  state::settlement settle = state::settlement::delivered;
};

/// upsert: added/changed → upsert, deleted → forgotten (the destination keeps the record).
/// update: added/changed → update, deleted → forgotten.
/// insert: added → insert, changed → skipped (the destination keeps its version), deleted →
///         forgotten.
/// mirror: added/changed → upsert, deleted → remove.
/// audience: added/changed → upsert (add the member with its current identifiers; adding is
///           idempotent), deleted → remove (remove the member).
change_route route_change(sync_mode mode, state::change_kind kind);

/// Which changes one pass over the change set sends.
enum class apply_pass : uint8_t {
  all,        ///< every change, in one pass
  removals,   ///< audiences, first: members that left, and identities that changed
  additions,  ///< audiences, then: members that joined or changed
};

/// The passes of an apply: audiences remove before they add, so that a member one row leaves
/// and another row joins with the same identifiers ends up in the audience.
std::vector<apply_pass> apply_passes(sync_mode mode);

const char* to_string(apply_pass pass);

/// What routing needs besides the change itself.
struct route_context {
  sync_mode mode = sync_mode::upsert;
  apply_pass pass = apply_pass::all;
  std::vector<std::string> fields;  ///< the payloads' field names
};

/// Turns one change into a record to send (appended to `out`), a settlement that needs no
/// request (appended to `settled`: the mode does not send it, or the mapping refused its row),
/// or nothing (another pass handles it).
void map_change(const route_context& ctx, state::pending_change change,
                std::vector<outbound_record>& out, std::vector<state::settled_record>& settled);

}  // namespace backflow
