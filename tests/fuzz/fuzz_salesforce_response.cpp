// Fuzzes Salesforce collections answers: interpret(), classify_error() and read_rate_signal().
#include "connectors/destinations/salesforce.hpp"
#include "tests/fuzz/fuzz_support.hpp"

using namespace backflow;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const auto dest = fuzz::make_destination(
      "salesforce",
      {{"instance_url", "https://acme.my.salesforce.com"}, {"token", "00Dfuzz!token"},
       {"object", "Contact"}, {"external_id_field", "Ext_Id__c"}},
      sync_mode::mirror);
  const auto& salesforce = dynamic_cast<const salesforce_destination&>(*dest);
  auto a = fuzz::parse_answer({reinterpret_cast<const char*>(data), size});
  auto batch = fuzz::contact_batch(fuzz::op_from(a, delivery_op::upsert));
  fuzz::check_verdict(salesforce.interpret(batch, a.response), batch.records.size());
  fuzz::check_verdict(salesforce.classify_error(a.response, batch.records.size()),
                      batch.records.size());
  fuzz::check_signal(salesforce.read_rate_signal(a.response));
  return 0;
}
