#!/usr/bin/env bash
# README command (b), also run by CI: installs dependencies, builds, runs the whole test suite
# (ctest starts and stops a throwaway PostgreSQL server on 127.0.0.1 for the tests that need it),
# then the hardened stage: clang ASan + UBSan builds of backflow and the fuzz targets
# (build-hardened), every parser fuzzed for about 36 s while the fault and config tests run
# against the sanitized backflow. BACKFLOW_HARDENED=0 skips that stage.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
./scripts/build.sh

hardened=${BACKFLOW_HARDENED:-1}
build_pid=
if [[ $hardened != 0 ]]; then
  # The tests spend most of their time waiting on the processes they drive; the hardened build
  # takes the CPU they leave, at the lowest priority so that it never slows them down.
  mkdir -p build-hardened
  nice -n 19 ./scripts/build-hardened.sh >build-hardened/build.log 2>&1 &
  build_pid=$!
fi
# Twice as many tests as cores, for the same reason.
rc=0
ctest --test-dir build --output-on-failure -j "$(( $(nproc) * 2 ))" --timeout 600 "$@" || rc=$?
if [[ -n $build_pid ]]; then
  if ! wait "$build_pid"; then
    tail -n 60 build-hardened/build.log
    echo "test: the hardened build failed (build-hardened/build.log)" >&2
    exit 1
  fi
  tail -n 1 build-hardened/build.log
fi
[[ $rc -eq 0 ]] || exit "$rc"
if [[ $hardened != 0 ]]; then
  # Fuzzing runs for a fixed wall-clock budget: the sanitized tests (mostly waiting on the
  # processes they drive) run beside it. Every target is built before either starts, so the two
  # never run a build in the same directory at once.
  ./scripts/build-hardened.sh fuzz_targets >/dev/null
  FUZZ_BUILT=1 FUZZ_SECONDS=${FUZZ_SECONDS:-36} ./scripts/fuzz.sh > build-hardened/fuzz.log 2>&1 &
  fuzz_pid=$!
  sanitize_rc=0
  ./scripts/sanitize-tests.sh || sanitize_rc=$?
  fuzz_rc=0
  wait "$fuzz_pid" || fuzz_rc=$?
  cat build-hardened/fuzz.log
  [[ $fuzz_rc -eq 0 ]] || { echo "test: fuzzing failed (build-hardened/fuzz.log)" >&2; exit "$fuzz_rc"; }
  [[ $sanitize_rc -eq 0 ]] || exit "$sanitize_rc"
fi
