// Fuzzes the RFC 4180 parser; property: rows written back with append_csv_record re-parse equal.
#include "pipelines/core/csv.hpp"
#include "tests/fuzz/fuzz_support.hpp"

using namespace backflow;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto rows = parse_csv({reinterpret_cast<const char*>(data), size});
  if (!rows) {
    fuzz::require(!rows.error().message.empty(), "a CSV failure says why");
    return 0;
  }
  for (const char* line_ending : {"\n", "\r\n"}) {
    std::string text;
    for (const auto& row : *rows) {
      fuzz::require(!row.empty(), "a parsed row has at least one field");
      append_csv_record(text, row, line_ending);
    }
    auto again = parse_csv(text);
    fuzz::require(again.ok(), "written rows parse");
    fuzz::require(*again == *rows, "written rows parse back to the same rows");
  }
  return 0;
}
