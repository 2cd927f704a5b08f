#!/usr/bin/env bash
# Configures and builds Backflow in Release mode into ./build (binaries: build/pipelines/backflow,
# build/connectors/emulators/backflow-emulator).
set -euo pipefail
cd "$(dirname "$0")/.."
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release
cmake --build build -j "$(nproc)"
