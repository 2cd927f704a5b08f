// The destinations under test. Adding a destination: its file tests/destinations/<name>.cpp,
// one line here (declaration and list entry) and one in CMakeLists.txt.
#include "tests/destinations/test_destination.hpp"

#include <algorithm>

#include "connectors/destinations/registry.hpp"

namespace backflow::testing {

test_destination hubspot_tests();        // hubspot.cpp
test_destination webhook_tests();        // webhook.cpp
test_destination salesforce_tests();     // salesforce.cpp
test_destination meta_audience_tests();  // meta_audience.cpp
test_destination zendesk_tests();        // zendesk.cpp
test_destination mailchimp_tests();      // mailchimp.cpp
test_destination http_tests();           // http.cpp
test_destination braze_tests();          // braze.cpp
test_destination customerio_tests();     // customerio.cpp
test_destination marketo_tests();        // marketo.cpp
test_destination intercom_tests();       // intercom.cpp
test_destination klaviyo_tests();        // klaviyo.cpp
test_destination google_ads_tests();     // google_ads.cpp
test_destination iterable_tests();       // iterable.cpp

const std::vector<test_destination>& test_destinations() {
  static const std::vector<test_destination> all = {
    hubspot_tests(),
    webhook_tests(),
    salesforce_tests(),
    meta_audience_tests(),
    zendesk_tests(),
    mailchimp_tests(),
    http_tests(),
    braze_tests(),
    customerio_tests(),
    marketo_tests(),
    intercom_tests(),
    klaviyo_tests(),
    google_ads_tests(),
    iterable_tests(),
  };
  return all;
}

const test_destination* find_test_destination(const std::string& type) {
  for (const auto& d : test_destinations())
    if (d.type == type)
      return &d;
  return nullptr;
}

std::vector<std::string> registered_destinations() {
  std::vector<std::string> names;
  for (const auto& t : destination_types())
    names.push_back(t.name);
  return names;
}

std::vector<std::string> covered_destinations() {
  std::vector<std::string> names;
  for (const auto& d : test_destinations())
    names.push_back(d.type);
  return names;
}

std::vector<std::string> registry_gaps(const std::vector<std::string>& registered,
                                       const std::vector<std::string>& covered) {
  auto has = [](const std::vector<std::string>& list, const std::string& name) {
    return std::find(list.begin(), list.end(), name) != list.end();
  };
  std::vector<std::string> gaps;
  for (const auto& type : registered)
    if (!has(covered, type))
      gaps.push_back("destination '" + type +
                     "' is registered but has no test entry: add tests/destinations/" + type +
                     ".cpp and its line in tests/destinations/registry.cpp");
  for (const auto& type : covered)
    if (!has(registered, type))
      gaps.push_back("test entry '" + type + "' names no registered destination");
  return gaps;
}

}  // namespace backflow::testing
