#!/usr/bin/env bash
# Configures and builds Backflow in Release mode into ./build (binaries: build/pipelines/backflow,
# build/emulators/backflow-emulator): every target, or only the targets named
# (scripts/build.sh backflow backflow-emulator).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/generator.sh
cmake -S . -B build "${generator[@]}" -DCMAKE_BUILD_TYPE=Release
if [[ $# -gt 0 ]]; then
  cmake --build build -j "$(nproc)" --target "$@"
else
  cmake --build build -j "$(nproc)"
fi
