// Benchmark (not a test): how fast Meta identifiers are normalised and SHA-256 hashed.
//   meta_hash_bench [ROWS]   hashes ROWS (EMAIL, FN) pairs and prints identifiers per second
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "connectors/destinations/meta_identifiers.hpp"

int main(int argc, char** argv) {
  using namespace backflow;
  long rows = argc > 1 ? std::atol(argv[1]) : 1'000'000;
  size_t checksum = 0;
  auto start = std::chrono::steady_clock::now();
  for (long i = 0; i < rows; ++i) {
    auto email = " User" + std::to_string(i) + "@Example.com ";
    auto name = "User " + std::to_string(i);
    checksum += meta_identifier(meta_key::email, cell::of_text(email))[0];
    checksum += meta_identifier(meta_key::fn, cell::of_text(name))[0];
  }
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("%ld rows x 2 identifiers in %.2f s: %.0f rows/s, %.0f identifiers/s (checksum %zu)\n",
              rows, secs, rows / secs, 2 * rows / secs, checksum);
  return 0;
}
