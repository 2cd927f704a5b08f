// Fuzzes the webhook connector's answer handling (the shared classifier) on any status and headers.
#include "tests/fuzz/fuzz_support.hpp"

using namespace backflow;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const auto webhook = fuzz::make_destination(
      "webhook", {{"endpoint", "http://127.0.0.1:8093/hooks/backflow"}, {"secret", "whsec_ZnV6eg=="}},
      sync_mode::mirror);
  auto a = fuzz::parse_answer({reinterpret_cast<const char*>(data), size});
  auto batch = fuzz::contact_batch(delivery_op::upsert);
  if (a.has("mixed"))
    batch.records.back().op = delivery_op::remove;  // webhook batches mix upserts and deletes
  fuzz::check_verdict(webhook->interpret(batch, a.response), batch.records.size());
  fuzz::check_signal(webhook->read_rate_signal(a.response));
  return 0;
}
