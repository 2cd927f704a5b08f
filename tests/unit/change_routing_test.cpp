// What each sync mode does with each kind of change: the full mode × change table.
#include <boost/test/unit_test.hpp>

#include "actors/change_routing.hpp"

using namespace backflow;
using state::change_kind;
using state::settlement;

namespace {

struct expected_route {
  sync_mode mode;
  change_kind change;
  std::optional<delivery_op> send;
  settlement settle;
};

std::string describe(const change_route& r) {
  return (r.send ? std::string("send ") + to_string(*r.send) : std::string("no request")) +
         ", settle " + std::to_string(static_cast<int>(r.settle));
}

}  // namespace

BOOST_AUTO_TEST_SUITE(change_routing)

BOOST_AUTO_TEST_CASE(every_mode_and_change_kind) {
  using op = delivery_op;
  const auto none = std::optional<delivery_op>();
  const std::vector<expected_route> table = {
      {sync_mode::upsert, change_kind::added, op::upsert, settlement::delivered},
      {sync_mode::upsert, change_kind::changed, op::upsert, settlement::delivered},
      {sync_mode::upsert, change_kind::deleted, none, settlement::forgotten},
      {sync_mode::update, change_kind::added, op::update, settlement::delivered},
      {sync_mode::update, change_kind::changed, op::update, settlement::delivered},
      {sync_mode::update, change_kind::deleted, none, settlement::forgotten},
      {sync_mode::insert, change_kind::added, op::insert, settlement::delivered},
      {sync_mode::insert, change_kind::changed, none, settlement::skipped},
      {sync_mode::insert, change_kind::deleted, none, settlement::forgotten},
      {sync_mode::mirror, change_kind::added, op::upsert, settlement::delivered},
      {sync_mode::mirror, change_kind::changed, op::upsert, settlement::delivered},
      {sync_mode::mirror, change_kind::deleted, op::remove, settlement::delivered},
      {sync_mode::audience, change_kind::added, op::upsert, settlement::delivered},
      {sync_mode::audience, change_kind::changed, op::upsert, settlement::delivered},
      {sync_mode::audience, change_kind::deleted, op::remove, settlement::delivered},
  };
  for (const auto& e : table) {
    auto r = route_change(e.mode, e.change);
    BOOST_TEST((r.send == e.send && r.settle == e.settle),
               to_string(e.mode) << " x " << state::to_string(e.change) << ": got " << describe(r));
  }
}

BOOST_AUTO_TEST_SUITE_END()
