// The emulator catalogue. Adding an emulator: one line here, one in CMakeLists.txt.
#include "emulators/registry.hpp"

#include <algorithm>

#include "emulators/bigquery_emulator.hpp"
#include "emulators/braze_emulator.hpp"
#include "emulators/customerio_emulator.hpp"
#include "emulators/databricks_emulator.hpp"
#include "emulators/google_ads_emulator.hpp"
#include "emulators/hubspot_emulator.hpp"
#include "emulators/mailchimp_emulator.hpp"
#include "emulators/marketo_emulator.hpp"
#include "emulators/intercom_emulator.hpp"
#include "emulators/klaviyo_emulator.hpp"
#include "emulators/iterable_emulator.hpp"
#include "emulators/meta_emulator.hpp"
#include "emulators/salesforce_emulator.hpp"
#include "emulators/snowflake_emulator.hpp"
#include "emulators/webhook_emulator.hpp"
#include "emulators/zendesk_emulator.hpp"

namespace backflow::emulators {

emulator_type http_emulator_type();  // http_emulator.cpp (no header: only this list needs it)

const std::vector<emulator_type>& emulator_types() {
  static const std::vector<emulator_type> types = {
    hubspot_emulator::type(),
    salesforce_emulator::type(),
    meta_emulator::type(),
    webhook_emulator::type(),
    http_emulator_type(),
    marketo_emulator::type(),
    intercom_emulator::type(),
    snowflake_emulator::type(),
    bigquery_emulator::type(),
    databricks_emulator::type(),
    zendesk_emulator::type(),
    mailchimp_emulator::type(),
    braze_emulator::type(),
    customerio_emulator::type(),
    klaviyo_emulator::type(),
    google_ads_emulator::type(),
    iterable_emulator::type(),
  };
  return types;
}

const emulator_type* find_emulator_type(std::string_view name) {
  for (const auto& t : emulator_types())
    if (t.name == name)
      return &t;
  return nullptr;
}

const emulator_type* find_emulator_for(std::string_view destination) {
  for (const auto& t : emulator_types())
    if (std::find(t.destinations.begin(), t.destinations.end(), destination) !=
        t.destinations.end())
      return &t;
  return nullptr;
}

std::vector<std::string> emulator_type::limit_keys() const {
  std::vector<std::string> keys = {"latency_ms"};
  for (const auto& l : own_limits)
    keys.push_back(l.key);
  return keys;
}

std::string emulator_settings::value(const std::string& flag, const std::string& fallback) const {
  auto it = values_.find(flag);
  return it == values_.end() || it->second.empty() ? fallback : it->second.back();
}

std::vector<std::string> emulator_settings::all(const std::string& flag) const {
  auto it = values_.find(flag);
  return it == values_.end() ? std::vector<std::string>() : it->second;
}

}  // namespace backflow::emulators
