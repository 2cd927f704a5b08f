// Fuzzes Meta Custom Audiences answers: interpret() and read_rate_signal() (usage header JSON).
#include "tests/fuzz/fuzz_support.hpp"

using namespace backflow;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const auto meta = fuzz::make_destination(
      "meta_audience",
      {{"endpoint", "http://127.0.0.1:8091"}, {"token", "meta-fuzz-token"}, {"audience_id", "2385"}},
      sync_mode::audience, {"EMAIL", "FN", "COUNTRY"});
  auto a = fuzz::parse_answer({reinterpret_cast<const char*>(data), size});
  auto batch = fuzz::meta_batch(fuzz::op_from(a, delivery_op::upsert));
  fuzz::check_verdict(meta->interpret(batch, a.response), batch.records.size());
  fuzz::check_signal(meta->read_rate_signal(a.response));
  return 0;
}
