#!/usr/bin/env bash
# Runs the fault and config tests against a backflow built with clang's AddressSanitizer and UBSan
# (scripts/build-hardened.sh); the tests themselves and the emulators come from the Release build
# (scripts/build.sh). Fails on any sanitizer report, also from a run whose failure a test expected.
#
#   scripts/sanitize-tests.sh [CTEST_ARGS...]
#   SANITIZE_LABELS='^(faults|config)$'   ctest labels to run (each test's folder, tests/CMakeLists.txt)
#   SANITIZE_EXCLUDE='fault_matrix_[2-6]_of_6'   tests of those labels left out: by default one
#                                        fault-matrix shard in six (every sixth row, so every
#                                        destination's rows are sampled), for the suite's time
#                                        budget; SANITIZE_EXCLUDE='^$' runs the whole matrix
#   BUILD_DIR=build-hardened
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh

hardened=${BUILD_DIR:-build-hardened}
labels=${SANITIZE_LABELS:-'^(faults|config)$'}
exclude=${SANITIZE_EXCLUDE:-'fault_matrix_[2-6]_of_6'}
reports=$PWD/$hardened/sanitizer-reports

BUILD_DIR=$hardened ./scripts/build-hardened.sh backflow
# The Release build's tests with those labels (ctest may add fixtures such as postgres_start).
[[ -f build/CMakeCache.txt ]] || ./scripts/build.sh backflow-emulator
mapfile -t tests < <(ctest --test-dir build -N -L "$labels" -E "$exclude" 2>/dev/null |
                       sed -n 's/^ *Test *#[0-9]*: //p')
declare -A is_target
while read -r t; do is_target[$t]=1; done < <(cmake --build build --target help |
                                               sed -n 's/^\.\.\. \([^ ]*\).*/\1/p')
targets=(backflow-emulator)
for t in "${tests[@]}"; do
  if [[ -n ${is_target[$t]:-} ]]; then targets+=("$t"); fi
done
./scripts/build.sh "${targets[@]}" >/dev/null

# Every report goes to a file too: a test that expects backflow to fail would not notice that it
# failed because of a sanitizer. Leaks count (CAF 0.17 leaves none at exit; no suppressions).
rm -rf "$reports" && mkdir -p "$reports"
export BACKFLOW_BIN_DIR_OVERRIDE=$PWD/$hardened/pipelines  # tests/support/process.cpp
export ASAN_OPTIONS="halt_on_error=1:detect_leaks=1:log_path=$reports/asan:log_exe_name=1"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:log_path=$reports/ubsan:log_exe_name=1"

start=$SECONDS
rc=0
ctest --test-dir build --output-on-failure -j "$(nproc)" --timeout 600 -L "$labels" -E "$exclude" "$@" ||
  rc=$?
echo "sanitize-tests: ran ${#tests[@]} tests against $hardened/pipelines/backflow in $((SECONDS - start)) s"
if compgen -G "$reports/*" >/dev/null; then
  for f in "$reports"/*; do
    echo "---- $f"
    head -n 80 "$f"
  done
  echo "sanitize-tests: FAILED: sanitizer reports in $reports" >&2
  exit 1
fi
exit "$rc"
