// Measures how fast the ClickHouse source reads a query: clickhouse_source_bench URL USER PASSWORD QUERY [COMPRESSION].
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "connectors/sources/source.hpp"

using namespace backflow;

namespace {

double cpu_seconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
         static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 5) {
    std::fprintf(stderr, "usage: %s URL USER PASSWORD QUERY [0|1 compression]\n", argv[0]);
    return 2;
  }
  bool compression = argc < 6 || std::string(argv[5]) != "0";
  source_spec spec{"clickhouse",
                   {{"url", argv[1]}, {"user", argv[2]}, {"password", argv[3]},
                    {"compression", compression}},
                   argv[4]};
  for (int round = 0; round < 3; ++round) {
    auto start = std::chrono::steady_clock::now();
    double cpu_start = cpu_seconds();
    auto cursor = open_source(spec);
    if (!cursor) {
      std::fprintf(stderr, "%s\n", cursor.error().message.c_str());
      return 1;
    }
    packed_rows rows;
    size_t total = 0;
    for (;;) {
      rows.clear();
      auto got = (*cursor)->fetch(rows, 4096);
      if (!got) {
        std::fprintf(stderr, "%s\n", got.error().message.c_str());
        return 1;
      }
      if (*got == 0)
        break;
      total += *got;
    }
    double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::printf("round %d: %zu rows in %.2f s wall, %.2f s CPU in this process\n", round + 1,
                total, wall, cpu_seconds() - cpu_start);
  }
  return 0;
}
