// Read speed of the Snowflake source against a running emulator; built on demand, not run by ctest:
//   snowflake_source_bench URL TOKEN "SELECT ..." [partitions_in_flight]
#include <chrono>
#include <cstdio>
#include <cstdlib>

#include "connectors/sources/source.hpp"

int main(int argc, char** argv) {
  if (argc < 4) {
    std::fprintf(stderr, "usage: %s URL TOKEN QUERY [partitions_in_flight]\n", argv[0]);
    return 2;
  }
  backflow::source_spec spec{"snowflake",
                             {{"account", "bench"},
                              {"url", argv[1]},
                              {"token", argv[2]},
                              {"token_type", "OAUTH"},
                              {"partitions_in_flight", argc > 4 ? std::atoi(argv[4]) : 4}},
                             argv[3]};
  auto started = std::chrono::steady_clock::now();
  auto cursor = backflow::open_source(spec);
  if (!cursor) {
    std::fprintf(stderr, "%s\n", cursor.error().message.c_str());
    return 1;
  }
  size_t rows = 0;
  backflow::packed_rows batch;
  for (;;) {
    batch.clear();
    auto got = (*cursor)->fetch(batch, 5000);
    if (!got) {
      std::fprintf(stderr, "%s\n", got.error().message.c_str());
      return 1;
    }
    if (*got == 0)
      break;
    rows += *got;
  }
  double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  std::printf("rows=%zu seconds=%.3f rows_per_second=%.0f\n", rows, seconds, rows / seconds);
  return 0;
}
