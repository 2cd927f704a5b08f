#!/usr/bin/env bash
# Builds backflow, backflow-emulator and the fault and config tests with clang's AddressSanitizer
# and UBSan (in build-hardened, next to scripts/fuzz.sh's targets) and runs those tests; fails on
# any sanitizer report, also from a binary a test started and whose exit status it expected.
#
#   scripts/sanitize-tests.sh [CTEST_ARGS...]
#   SANITIZE_LABELS='^(faults|config)$'   ctest labels to run (each test's folder, tests/CMakeLists.txt)
#   BUILD_DIR=build-hardened
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh

build=${BUILD_DIR:-build-hardened}
labels=${SANITIZE_LABELS:-'^(faults|config)$'}
reports=$PWD/$build/sanitizer-reports

CC=clang CXX=clang++ cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Debug -DBACKFLOW_FUZZ=ON >/dev/null

# A test is named after its executable (backflow_test); ctest may add fixtures (postgres_start).
mapfile -t tests < <(ctest --test-dir "$build" -N -L "$labels" 2>/dev/null | sed -n 's/^ *Test *#[0-9]*: //p')
declare -A is_target
while read -r t; do is_target[$t]=1; done < <(cmake --build "$build" --target help |
                                               sed -n 's/^\.\.\. \([^ ]*\).*/\1/p')
targets=(backflow backflow-emulator)
for t in "${tests[@]}"; do
  if [[ -n ${is_target[$t]:-} ]]; then targets+=("$t"); fi
done
start=$SECONDS
cmake --build "$build" -j "$(nproc)" --target "${targets[@]}"
echo "sanitize-tests: built ${targets[*]} in $((SECONDS - start)) s"

# Every report goes to a file too: a test that expects backflow to fail would not notice that it
# failed because of a sanitizer. Leaks count (CAF 0.17 leaves none at exit; no suppressions).
rm -rf "$reports" && mkdir -p "$reports"
export ASAN_OPTIONS="halt_on_error=1:detect_leaks=1:log_path=$reports/asan:log_exe_name=1"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:log_path=$reports/ubsan:log_exe_name=1"

start=$SECONDS
rc=0
ctest --test-dir "$build" --output-on-failure -j "$(nproc)" --timeout 600 -L "$labels" "$@" || rc=$?
echo "sanitize-tests: ran ${#tests[@]} tests in $((SECONDS - start)) s"
if compgen -G "$reports/*" >/dev/null; then
  for f in "$reports"/*; do
    echo "---- $f"
    head -n 80 "$f"
  done
  echo "sanitize-tests: FAILED: sanitizer reports in $reports" >&2
  exit 1
fi
exit "$rc"
