// What a sync's mode does with each kind of change (see change_routing.hpp).
#include "actors/change_routing.hpp"

namespace backflow {

change_route route_change(sync_mode mode, state::change_kind kind) {
  using state::change_kind;
  using state::settlement;
  auto send = [](delivery_op op) { return change_route{op, settlement::delivered}; };
  auto settle = [](settlement how) { return change_route{std::nullopt, how}; };
  switch (mode) {
    case sync_mode::upsert:
      return kind == change_kind::deleted ? settle(settlement::forgotten) : send(delivery_op::upsert);
    case sync_mode::update:
      return kind == change_kind::deleted ? settle(settlement::forgotten) : send(delivery_op::update);
    case sync_mode::insert:
      if (kind == change_kind::added)
        return send(delivery_op::insert);
      return settle(kind == change_kind::changed ? settlement::skipped : settlement::forgotten);
    case sync_mode::mirror:
      return kind == change_kind::deleted ? send(delivery_op::remove) : send(delivery_op::upsert);
    case sync_mode::audience:
      return kind == change_kind::deleted ? send(delivery_op::remove) : send(delivery_op::upsert);
  }
  return send(delivery_op::upsert);
}

std::vector<apply_pass> apply_passes(sync_mode mode) {
  if (mode == sync_mode::audience)
    return {apply_pass::removals, apply_pass::additions};
  return {apply_pass::all};
}

const char* to_string(apply_pass pass) {
  switch (pass) {
    case apply_pass::all:
      return "all";
    case apply_pass::removals:
      return "removals";
    case apply_pass::additions:
      return "additions";
  }
  return "?";
}

void map_change(const route_context& ctx, state::pending_change pc,
                std::vector<outbound_record>& out, std::vector<state::settled_record>& settled) {
  auto& change = pc.change;
  bool removal = change.kind == state::change_kind::deleted;
  bool moved = ctx.pass != apply_pass::all && change.identity_moved && !change.mapping_failed;
  if (ctx.pass == apply_pass::removals && !removal && !moved)
    return;  // an addition: the next pass sends it
  if (ctx.pass == apply_pass::additions && (removal || moved))
    return;  // its removal did not go through in this run: left for the next one
  if (change.keep_identity && (removal || moved)) {
    // Other rows hold the identity after this run: the member stays; only the key lets go.
    settled.push_back({std::move(pc.key), change.kind, change.hash,
                       removal ? state::settlement::delivered : state::settlement::retired, {},
                       {}});
    return;
  }
  auto route = route_change(ctx.mode, change.kind);
  if (!route.send) {
    settled.push_back({std::move(pc.key), change.kind, change.hash, route.settle, {}, {}});
    return;
  }
  outbound_record rec;
  rec.key = std::move(pc.key);
  rec.hash = change.hash;
  rec.dest_id = std::move(change.dest_id);
  if (moved) {
    rec.op = delivery_op::remove;  // the identity it was sent with, before the new one
    rec.retire = true;
  } else if (removal) {
    rec.op = delivery_op::remove;
  } else if (change.mapping_failed) {
    settled.push_back({std::move(rec.key), change.kind, change.hash, state::settlement::rejected,
                       {}, "mapping: " + change.payload});
    return;
  } else {
    rec.op = *route.send;
    rec.fields = std::move(change.payload);
  }
  out.push_back(std::move(rec));
}

}  // namespace backflow
