#!/usr/bin/env bash
# README command (b), also run by CI: installs dependencies, builds, runs the whole test suite
# (ctest starts and stops a throwaway PostgreSQL server on 127.0.0.1 for the tests that need it).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
./scripts/build.sh
ctest --test-dir build --output-on-failure -j "$(nproc)" --timeout 600 "$@"
