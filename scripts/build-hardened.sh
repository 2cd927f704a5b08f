#!/usr/bin/env bash
# Builds what the hardened stage runs, with clang's AddressSanitizer and UBSan, into
# build-hardened: the backflow binary (scripts/sanitize-tests.sh) and the libFuzzer targets
# (scripts/fuzz.sh). Nothing else: the tests that drive the sanitized binary and the emulators
# come from the Release build.
#
#   scripts/build-hardened.sh [TARGET...]   backflow and fuzz_targets by default
#   BUILD_DIR=build-hardened
set -euo pipefail
cd "$(dirname "$0")/.."
build=${BUILD_DIR:-build-hardened}
targets=("$@")
[[ ${#targets[@]} -gt 0 ]] || targets=(backflow fuzz_targets)

build_dir=$build
source scripts/generator.sh
CC=clang CXX=clang++ cmake -S . -B "$build" "${generator[@]}" -DCMAKE_BUILD_TYPE=Debug \
    -DBACKFLOW_FUZZ=ON -DBACKFLOW_TESTS=OFF >/dev/null
start=$SECONDS
cmake --build "$build" -j "$(nproc)" --target "${targets[@]}"
echo "build-hardened: built ${targets[*]} in $((SECONDS - start)) s"
