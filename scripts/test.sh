#!/usr/bin/env bash
# README command (b), also run by CI: installs dependencies, builds, runs the whole test suite
# (ctest starts and stops a throwaway PostgreSQL server on 127.0.0.1 for the tests that need it),
# then the hardened stage: a clang ASan + UBSan build (build-hardened) that fuzzes every parser
# for about a minute and runs the fault and config tests sanitized. BACKFLOW_HARDENED=0 skips it.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
./scripts/build.sh
# Twice as many tests as cores: most of a test's time is spent waiting on the processes it drives.
ctest --test-dir build --output-on-failure -j "$(( $(nproc) * 2 ))" --timeout 600 "$@"
if [[ ${BACKFLOW_HARDENED:-1} != 0 ]]; then
  ./scripts/fuzz.sh
  ./scripts/sanitize-tests.sh
fi
