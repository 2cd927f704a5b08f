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
      if (kind == change_kind::added)
        return send(delivery_op::upsert);
      return kind == change_kind::deleted ? send(delivery_op::remove) : settle(settlement::skipped);
  }
  return send(delivery_op::upsert);
}

}  // namespace backflow
