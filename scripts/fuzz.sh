#!/usr/bin/env bash
# Builds the libFuzzer targets of tests/fuzz (clang, ASan + UBSan) and fuzzes every parser for a
# bounded time, starting from the committed seeds; fails on any crash, leak or sanitizer report.
#
#   scripts/fuzz.sh [TARGET...]      all targets by default
#   FUZZ_SECONDS=45                  wall-clock budget for all targets together
#   FUZZ_JOBS=$(nproc)               targets fuzzed at once, in rounds that share FUZZ_SECONDS
#   BUILD_DIR=build-hardened         the clang build (scripts/build-hardened.sh)
#   FUZZ_BUILT=1                     the targets are built already: no install, no build step
#                                    (scripts/test.sh, which fuzzes while other tests run)
#
# Inputs found while fuzzing stay in $BUILD_DIR/fuzz/corpus, crashes in $BUILD_DIR/fuzz/crashes;
# nothing is written into tests/fuzz/corpus. To replay a crash: $BUILD_DIR/tests/fuzz/TARGET FILE.
set -euo pipefail
shopt -s nullglob
cd "$(dirname "$0")/.."
[[ ${FUZZ_BUILT:-0} == 1 ]] || ./scripts/install-deps.sh

build=${BUILD_DIR:-build-hardened}
seconds=${FUZZ_SECONDS:-45}
jobs=${FUZZ_JOBS:-$(nproc)}
work=$build/fuzz

[[ ${FUZZ_BUILT:-0} == 1 ]] || BUILD_DIR=$build ./scripts/build-hardened.sh fuzz_targets

if [[ $# -gt 0 ]]; then
  targets=("$@")
else
  mapfile -t targets < <(find "$build/tests/fuzz" -maxdepth 1 -type f -executable -name 'fuzz_*' \
                           -printf '%f\n' | sort)
fi
# Targets run in rounds of $jobs; libFuzzer overruns -max_total_time by about a second.
rounds=$(( (${#targets[@]} + jobs - 1) / jobs ))
per_target=$(( seconds / rounds - 1 ))
(( per_target >= 1 )) || per_target=1

# libFuzzer reads the sanitizers' reports itself (leaks included), so no log_path here.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:halt_on_error=1:allocator_may_return_null=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}

# Fuzzes one target in the background; its exit status goes to $work/TARGET.rc.
fuzz_one() {
  local t=$1 corpus=$work/corpus/$1 crashes=$work/crashes/$1 rc=0
  mkdir -p "$corpus" "$crashes"
  for seed in tests/fuzz/corpus/"$t"/*; do  # inputs found by earlier runs stay
    [[ -e $corpus/${seed##*/} ]] || cp "$seed" "$corpus/"
  done
  if [[ $t == fuzz_time_zone ]]; then  # real zone files as seeds, from tzdata (not committed)
    for z in Europe/Paris America/New_York Australia/Sydney Asia/Tokyo UTC; do
      if [[ -f /usr/share/zoneinfo/$z ]]; then cp "/usr/share/zoneinfo/$z" "$corpus/tzdata_${z//\//_}"; fi
    done
  fi
  local dict=()
  [[ -f tests/fuzz/dicts/$t.dict ]] && dict=(-dict="tests/fuzz/dicts/$t.dict")
  "$build/tests/fuzz/$t" "$corpus" "${dict[@]}" -max_total_time="$per_target" -timeout=10 \
      -rss_limit_mb=2048 -print_final_stats=1 -close_fd_mask=1 -artifact_prefix="$crashes/" \
      >"$work/$t.log" 2>&1 || rc=$?
  echo "$rc" >"$work/$t.rc"
}

summary() {
  local t=$1 rc=$2 log=$work/$1.log
  local runs secs cov
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
  secs=$(sed -n 's/^Done [0-9]* runs in \([0-9]*\) second.*/\1/p' "$log")
  cov=$(grep -o 'cov: [0-9]* ft: [0-9]*' "$log" | tail -1 || true)
  printf 'fuzz: %-26s %s  runs=%s  time=%ss  %s  corpus=%s inputs\n' "$t" \
      "$([[ $rc -eq 0 ]] && echo ok || echo FAILED)" "${runs:-?}" "${secs:-$per_target}" \
      "${cov:-}" "$(ls "$work/corpus/$t" | wc -l)"
}

mkdir -p "$work"
echo "fuzz: ${#targets[@]} targets, ${per_target} s each, $jobs at a time"
for t in "${targets[@]}"; do
  [[ -x $build/tests/fuzz/$t ]] || { echo "fuzz: no target $t" >&2; exit 2; }
done
fuzz_start=$SECONDS
for t in "${targets[@]}"; do
  while (( $(jobs -rp | wc -l) >= jobs )); do wait -n || true; done
  fuzz_one "$t" &
done
wait
failed=()
for t in "${targets[@]}"; do
  rc=$(cat "$work/$t.rc")
  summary "$t" "$rc"
  if [[ $rc -ne 0 ]]; then
    failed+=("$t")
    echo "---- $work/$t.log (last 60 lines) ----"
    tail -n 60 "$work/$t.log"
    echo "---- reproduce: $build/tests/fuzz/$t $(ls -t "$work/crashes/$t"/* 2>/dev/null | head -1)"
  fi
done
if [[ ${#failed[@]} -gt 0 ]]; then
  echo "fuzz: FAILED: ${failed[*]}" >&2
  exit 1
fi
echo "fuzz: ${#targets[@]} targets fuzzed for $((SECONDS - fuzz_start)) s: no crash, leak or sanitizer report"
