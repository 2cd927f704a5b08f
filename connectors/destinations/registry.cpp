// The destination catalogue. Adding a destination: one line here, one in CMakeLists.txt.
#include "connectors/destinations/registry.hpp"

#include "connectors/destinations/http.hpp"
#include "connectors/destinations/braze.hpp"
#include "connectors/destinations/customerio.hpp"
#include "connectors/destinations/google_ads.hpp"
#include "connectors/destinations/hubspot.hpp"
#include "connectors/destinations/mailchimp.hpp"
#include "connectors/destinations/marketo.hpp"
#include "connectors/destinations/intercom.hpp"
#include "connectors/destinations/klaviyo.hpp"
#include "connectors/destinations/iterable.hpp"
#include "connectors/destinations/meta_audience.hpp"
#include "connectors/destinations/salesforce.hpp"
#include "connectors/destinations/webhook.hpp"
#include "connectors/destinations/zendesk.hpp"

namespace backflow {

const std::vector<destination_type>& destination_types() {
  static const std::vector<destination_type> types = {
    braze_destination::type(),
    customerio_destination::type(),
    google_ads_destination::type(),
    http_destination::type(),
    hubspot_destination::type(),
    mailchimp_destination::type(),
    marketo_destination::type(),
    intercom_destination::type(),
    klaviyo_destination::type(),
    iterable_destination::type(),
    meta_audience_destination::type(),
    salesforce_destination::type(),
    webhook_destination::type(),
    zendesk_destination::type(),
  };
  return types;
}

const destination_type* find_destination_type(std::string_view name) {
  for (const auto& t : destination_types())
    if (t.name == name)
      return &t;
  return nullptr;
}

}  // namespace backflow
