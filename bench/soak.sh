#!/usr/bin/env bash
# Benchmark (not a test): `backflow serve` over a long stretch. N syncs (half webhook, half
# HubSpot, against the emulators) under one service for D minutes, on "every" schedules taken in
# turn from a list (SOAK_SCHEDULES="1m,5m": syncs 1-2 every 1m, 3-4 every 5m, 5-6 every 1m, ...,
# so both destinations get both), while a background loop changes a few rows of every model each
# minute. bench/soak_sample.py samples the service every 10 s: CPU time, RSS (heap and
# file-backed), threads, malloc heaps (main heap, glibc arena heaps) and the scheduler gauges of
# GET /metrics. At the end bench/soak_report.py prints Markdown for bench/RESULTS.md: runs by
# status, RSS and heap over time (range and slope after warm-up: they must stay flat), CPU, and
# scheduling delay percentiles from the run summaries next to the service's lag histogram.
#
#   bench/soak.sh                                   50 syncs every 1m for 10 minutes
#   SOAK_MINUTES=2 bench/soak.sh                    a quick check
#   SOAK_SYNCS=500 SOAK_SCHEDULES=1m,5m bench/soak.sh
#   SOAK_SYNCS=2000 SOAK_MINUTES=30 SOAK_SCHEDULES=1m,5m nohup bench/soak.sh > soak.md 2> soak.err &
#
# Other knobs: SOAK_ROWS (rows per model, 200), SOAK_CHANGES (rows changed per model per minute,
# 3), SOAK_WARMUP (minutes left out of the flatness figures; default: the longest interval + 1),
# MAX_CONCURRENT_RUNS (4, the service's default), SOAK_KEEP_RUNS (100, the service's default),
# SOAK_HUBSPOT_PER_10S (the HubSpot account's requests per 10 s, given to the emulator and the
# syncs' rate_limit; default: theirs, 190 and 100, which 1,000 HubSpot syncs every minute or 5
# saturate), BUILD_DIR (build), SOAK_WORK (bench/data/soak).
# The service inherits the environment, e.g. MALLOC_ARENA_MAX.
set -euo pipefail
cd "$(dirname "$0")/.."
syncs=${SOAK_SYNCS:-50}
minutes=${SOAK_MINUTES:-10}
schedules=${SOAK_SCHEDULES:-1m}
rows=${SOAK_ROWS:-200}              # rows per model
changes=${SOAK_CHANGES:-3}          # rows changed per model per minute
max_runs=${MAX_CONCURRENT_RUNS:-4}  # the service's default
keep_runs=${SOAK_KEEP_RUNS:-100}    # the service's default
hubspot_per_10s=${SOAK_HUBSPOT_PER_10S:-}
build=${BUILD_DIR:-build}
work=${SOAK_WORK:-bench/data/soak}
backflow=$build/pipelines/backflow
emulator=$build/emulators/backflow-emulator
[[ -x $backflow && -x $emulator ]] || { echo "build first: scripts/build.sh" >&2; exit 1; }
for tool in curl python3; do
  command -v $tool > /dev/null || { echo "needs $tool" >&2; exit 1; }
done
[[ $schedules =~ ^[0-9]+[smh](,[0-9]+[smh])*$ ]] || { echo "SOAK_SCHEDULES: e.g. 1m,5m" >&2; exit 1; }
longest=$(tr , '\n' <<< "$schedules" | python3 -c '
import sys; print(max({"s": 1, "m": 60, "h": 3600}[l.strip()[-1]] * int(l.strip()[:-1]) for l in sys.stdin))')
warmup=${SOAK_WARMUP:-$(((longest + 59) / 60 + 1))}
command_line="SOAK_SYNCS=$syncs SOAK_MINUTES=$minutes SOAK_SCHEDULES=$schedules MAX_CONCURRENT_RUNS=$max_runs"
command_line+="${SOAK_KEEP_RUNS:+ SOAK_KEEP_RUNS=$keep_runs}${hubspot_per_10s:+ SOAK_HUBSPOT_PER_10S=$hubspot_per_10s}"
command_line+="${MALLOC_ARENA_MAX:+ MALLOC_ARENA_MAX=$MALLOC_ARENA_MAX} BUILD_DIR=$build bench/soak.sh"

rm -rf "$work" && mkdir -p "$work/syncs" "$work/models"
pids=()
serve_pid=
cleanup() {
  # The service first (SIGTERM, then SIGKILL after 10 s), then the helpers.
  if [[ -n $serve_pid ]] && kill -0 "$serve_pid" 2> /dev/null; then
    kill -TERM "$serve_pid" 2> /dev/null || true
    for _ in $(seq 100); do kill -0 "$serve_pid" 2> /dev/null || break; sleep 0.1; done
    kill -KILL "$serve_pid" 2> /dev/null || true
  fi
  local pid
  for pid in "${pids[@]}"; do
    kill "$pid" 2> /dev/null || true
  done
  wait 2> /dev/null || true
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# start_emulator NAME KIND ARGS...: sets $endpoint. Not in a $(...) subshell, so that the
# emulator's pid reaches the exit trap.
start_emulator() {
  local name=$1 kind=$2
  shift 2
  "$emulator" "$kind" --port 0 "$@" > "$work/$name.out" 2> "$work/$name.log" &
  pids+=($!)
  for _ in $(seq 50); do grep -qs listening "$work/$name.out" && break; sleep 0.1; done
  endpoint=$(sed -n 's/^listening on //p' "$work/$name.out")
  [[ -n $endpoint ]] || { echo "the $kind emulator did not start" >&2; exit 1; }
}

start_emulator webhook webhook
webhook=$endpoint
start_emulator hubspot hubspot --daily 0 ${hubspot_per_10s:+--per-10s "$hubspot_per_10s"}
hubspot=$endpoint

echo "== $command_line: $syncs syncs every $schedules, $rows rows each, $changes rows changed" \
  "per model per minute, $minutes min" >&2
# Models and sync files. Sync i goes to the webhook when i is odd, HubSpot when even; its schedule
# is the ((i - 1) / 2)-th of the list, round robin (soak_report.py uses the same rule).
python3 - "$work" "$syncs" "$rows" "$schedules" "$webhook" "$hubspot" "$hubspot_per_10s" <<'PY'
import json, sqlite3, sys
work, syncs, rows, schedules, webhook, hubspot, per_10s = sys.argv[1], int(sys.argv[2]), \
    int(sys.argv[3]), sys.argv[4].split(","), sys.argv[5], sys.argv[6], sys.argv[7]
for i in range(1, syncs + 1):
    db = sqlite3.connect(f"{work}/models/m{i}.sqlite")
    db.execute("CREATE TABLE contacts (email TEXT NOT NULL, first_name TEXT, score REAL, tier TEXT)")
    db.executemany("INSERT INTO contacts VALUES (?, ?, ?, 'gold')",
                   ((f"s{i}-{k}@example.com", f"User {k}", k % 100) for k in range(1, rows + 1)))
    db.commit()
    db.close()
    if i % 2:
        destination = {"type": "webhook", "endpoint": f"{webhook}/hooks/soak{i}",
                       "secret": "whsec_ZW11bGF0b3Itc2VjcmV0", "batch_size": 100}
    else:
        destination = {"type": "hubspot", "endpoint": hubspot, "token": "emulator-token"}
        if per_10s:
            destination["rate_limit"] = {"per_10s": int(per_10s)}
    sync = {"name": f"soak_{i}",
            "source": {"type": "sqlite", "path": f"../models/m{i}.sqlite",
                       "query": "SELECT email, first_name, score, tier FROM contacts", "key": "email"},
            "destination": destination, "mode": "upsert",
            "schedule": {"every": schedules[((i - 1) // 2) % len(schedules)]}}
    with open(f"{work}/syncs/soak_{i}.json", "w") as f:
        json.dump(sync, f, indent=1)
PY

# Changes: every minute, a few rows of every model get a new score (one process for all models).
python3 - "$work" "$syncs" "$changes" <<'PY' &
import sqlite3, sys, time
work, syncs, changes = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
while True:
    time.sleep(60)
    for i in range(1, syncs + 1):
        try:
            db = sqlite3.connect(f"{work}/models/m{i}.sqlite", timeout=5)
            db.execute("UPDATE contacts SET score = score + 1 WHERE rowid IN "
                       "(SELECT rowid FROM contacts ORDER BY random() LIMIT ?)", (changes,))
            db.commit()
            db.close()
        except sqlite3.Error:
            pass
PY
pids+=($!)

TZ=UTC "$backflow" serve --syncs "$work/syncs" --state "$work/state" --listen 127.0.0.1:0 \
  --max-concurrent-runs "$max_runs" --keep-runs "$keep_runs" > "$work/serve.out" 2> "$work/serve.log" &
serve_pid=$!
for _ in $(seq 600); do grep -qs listening "$work/serve.out" && break; sleep 0.05; done
anchor=$(date +%s.%N)
api=$(sed -n 's/.*listening on //p' "$work/serve.out")
[[ -n $api ]] || { echo "backflow serve did not start:" >&2; cat "$work/serve.log" >&2; exit 1; }
echo "service pid $serve_pid at $api: $(head -1 "$work/serve.out")" >&2

end=$(awk -v a="$anchor" -v m="$minutes" 'BEGIN { printf "%.0f", a + m * 60 }')
python3 bench/soak_sample.py "$serve_pid" "$api" "$anchor" "$end" "${SOAK_SAMPLE_SECONDS:-10}" \
  "$work/samples" &
sampler=$!
pids+=($sampler)
while kill -0 "$sampler" 2> /dev/null; do
  kill -0 "$serve_pid" 2> /dev/null || { echo "backflow serve died:" >&2; tail "$work/serve.log" >&2; exit 1; }
  sleep 5
done

curl -sf "$api/metrics" > "$work/metrics"
for i in $(seq "$syncs"); do
  curl -sf "$api/syncs/soak_$i/runs?limit=1000" > "$work/runs-$i.json"
done
curl -sf "$api/syncs" > "$work/syncs.json"
stop_started=$(date +%s.%N)
kill -TERM "$serve_pid"
stop_code=0
wait "$serve_pid" || stop_code=$?
stop_seconds=$(awk -v a="$stop_started" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
serve_pid=

echo
echo "\`$command_line\`: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg) at the end," \
  "$(date -u +%Y-%m-%d), $syncs syncs x $rows rows every $schedules, $changes changed per model per" \
  "minute, ${minutes} min, --max-concurrent-runs $max_runs --keep-runs $keep_runs; SIGTERM to exit: ${stop_seconds} s," \
  "exit code $stop_code"
echo
python3 bench/soak_report.py "$work" "$syncs" "$minutes" "$anchor" "$warmup" "$schedules"
