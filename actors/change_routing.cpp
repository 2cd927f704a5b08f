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

void map_change(sync_mode mode, row_mapper& mapper, std::string key, state::change_record change,
                std::vector<outbound_record>& out, std::vector<state::settled_record>& settled) {
  auto route = route_change(mode, change.kind);
  if (!route.send) {
    settled.push_back({std::move(key), change.kind, change.hash, route.settle, {}, {}});
    return;
  }
  outbound_record rec;
  rec.op = *route.send;
  rec.hash = change.hash;
  rec.dest_id = std::move(change.dest_id);
  if (rec.op != delivery_op::remove) {
    auto mapped = mapper.map(change.row, rec.fields);
    if (!mapped) {
      settled.push_back({std::move(key), change.kind, change.hash, state::settlement::rejected, {},
                         "mapping: " + mapped.error().message});
      return;
    }
  }
  rec.key = std::move(key);
  out.push_back(std::move(rec));
}

}  // namespace backflow
