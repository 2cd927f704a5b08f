// field_count: the member count the inspect overloads' static_asserts rely on.
#include <boost/test/unit_test.hpp>

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "pipelines/core/field_count.hpp"
#include "pipelines/core/hash128.hpp"

namespace {

struct empty_struct {};
struct three_plain {
  int a = 1;
  double b = 2;
  bool c = false;
};
struct mixed {
  std::string text;
  std::vector<std::string> list;
  std::map<std::string, int> table;
  std::optional<int> maybe;
  backflow::hash128 hash;  // a member that is itself an aggregate counts once
  uint64_t count = 0;
};

}  // namespace

BOOST_AUTO_TEST_CASE(field_count_counts_top_level_members_of_every_kind) {
  static_assert(backflow::field_count<empty_struct>() == 0);
  static_assert(backflow::field_count<three_plain>() == 3);
  static_assert(backflow::field_count<mixed>() == 6);
  static_assert(backflow::field_count<backflow::hash128>() == 2);
  BOOST_TEST(backflow::field_count<mixed>() == 6u);
}
