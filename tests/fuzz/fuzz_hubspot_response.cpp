// Fuzzes HubSpot answer parsing: interpret(), interpret_lookup() (batch read) and read_rate_signal().
#include "tests/fuzz/fuzz_support.hpp"

using namespace backflow;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const auto hubspot = fuzz::make_destination(
      "hubspot", {{"endpoint", "http://127.0.0.1:8090"}, {"token", "pat-na1-fuzz"}}, sync_mode::mirror);
  auto a = fuzz::parse_answer({reinterpret_cast<const char*>(data), size});
  auto batch = fuzz::contact_batch(fuzz::op_from(a, delivery_op::upsert));
  fuzz::check_verdict(hubspot->interpret(batch, a.response), batch.records.size());
  fuzz::check_verdict(hubspot->interpret_lookup(batch, a.response), batch.records.size());
  fuzz::check_signal(hubspot->read_rate_signal(a.response));
  return 0;
}
