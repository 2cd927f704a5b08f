#!/usr/bin/env bash
# Benchmark (not a test): `backflow serve` over a long stretch. N syncs (half webhook, half
# HubSpot, against the emulators) on {"every": "1m"} schedules run under one service for D
# minutes while a background loop changes a few rows of every model each minute. Every 10 s the
# script samples the service's CPU time (/proc/PID/stat) and RSS (/proc/PID/status). At the end
# it prints Markdown for bench/RESULTS.md: runs completed (GET /metrics), RSS over time (first,
# max, last: it must stay flat), CPU seconds, and scheduling delay percentiles from the run
# summaries (GET /syncs/{name}/runs).
#
# Scheduling delay: run summaries carry started_at (ms) but not the slot they ran for. An
# "every" schedule's first slot is the moment the service loads the sync and each next slot is
# the previous one plus the interval, so the slots are anchor + k * 60 s, the anchor being the
# time of the sync's "Loaded sync" log line (the service runs with TZ=UTC so that text and JSON
# log times read alike; without that line, the time the banner appeared). The script reports
# that delay, and also the gap between consecutive starts of one sync minus 60 s, which needs
# no anchor.
#
#   bench/soak.sh                     50 syncs for 10 minutes
#   SOAK_MINUTES=2 bench/soak.sh      a quick check
#   SOAK_SYNCS=10 BUILD_DIR=build-unit bench/soak.sh
set -euo pipefail
cd "$(dirname "$0")/.."
syncs=${SOAK_SYNCS:-50}
minutes=${SOAK_MINUTES:-10}
rows=${SOAK_ROWS:-200}              # rows per model
changes=${SOAK_CHANGES:-3}          # rows changed per model per minute
max_runs=${MAX_CONCURRENT_RUNS:-4}  # the service's default
build=${BUILD_DIR:-build}
backflow=$build/pipelines/backflow
emulator=$build/connectors/emulators/backflow-emulator
[[ -x $backflow && -x $emulator ]] || { echo "build first: scripts/build.sh" >&2; exit 1; }
for tool in sqlite3 curl python3; do
  command -v $tool > /dev/null || { echo "needs $tool" >&2; exit 1; }
done

work=bench/data/soak
rm -rf "$work" && mkdir -p "$work/syncs" "$work/models"
pids=()
serve_pid=
cleanup() {
  # The service first (SIGTERM, then SIGKILL after 10 s), then the emulators and the change loop.
  if [[ -n $serve_pid ]] && kill -0 "$serve_pid" 2> /dev/null; then
    kill -TERM "$serve_pid" 2> /dev/null || true
    for _ in $(seq 100); do kill -0 "$serve_pid" 2> /dev/null || break; sleep 0.1; done
    kill -KILL "$serve_pid" 2> /dev/null || true
  fi
  local pid
  for pid in "${pids[@]}"; do
    pkill -P "$pid" 2> /dev/null || true  # the change loop's sleep or sqlite3
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
start_emulator hubspot hubspot --daily 0
hubspot=$endpoint

echo "== $syncs syncs, $rows rows each, $changes rows changed per model per minute, $minutes min" >&2
for i in $(seq "$syncs"); do
  sqlite3 "$work/models/m$i.sqlite" "CREATE TABLE contacts (email TEXT NOT NULL, first_name TEXT, score REAL, tier TEXT);
    WITH RECURSIVE n(k) AS (SELECT 1 UNION ALL SELECT k + 1 FROM n WHERE k < $rows)
    INSERT INTO contacts SELECT 's$i-' || k || '@example.com', 'User ' || k, k % 100, 'gold' FROM n;"
  if ((i % 2)); then
    destination="{ \"type\": \"webhook\", \"endpoint\": \"$webhook/hooks/soak$i\",
                   \"secret\": \"whsec_ZW11bGF0b3Itc2VjcmV0\", \"batch_size\": 100 }"
  else
    destination="{ \"type\": \"hubspot\", \"endpoint\": \"$hubspot\", \"token\": \"emulator-token\" }"
  fi
  cat > "$work/syncs/soak_$i.json" <<JSON
{ "name": "soak_$i",
  "source": { "type": "sqlite", "path": "../models/m$i.sqlite",
              "query": "SELECT email, first_name, score, tier FROM contacts", "key": "email" },
  "destination": $destination,
  "mode": "upsert",
  "schedule": { "every": "1m" } }
JSON
done

# Changes: every minute, a few rows of every model get a new score.
(
  while sleep 60; do
    for i in $(seq "$syncs"); do
      sqlite3 "$work/models/m$i.sqlite" \
        "UPDATE contacts SET score = score + 1 WHERE rowid IN (SELECT rowid FROM contacts ORDER BY random() LIMIT $changes);" ||
        true
    done
  done
) &
pids+=($!)

TZ=UTC "$backflow" serve --syncs "$work/syncs" --state "$work/state" --listen 127.0.0.1:0 \
  --max-concurrent-runs "$max_runs" > "$work/serve.out" 2> "$work/serve.log" &
serve_pid=$!
for _ in $(seq 200); do grep -qs listening "$work/serve.out" && break; sleep 0.05; done
anchor=$(date +%s.%N)
api=$(sed -n 's/.*listening on //p' "$work/serve.out")
[[ -n $api ]] || { echo "backflow serve did not start:" >&2; cat "$work/serve.log" >&2; exit 1; }
echo "service pid $serve_pid at $api: $(head -1 "$work/serve.out")" >&2

tick=$(getconf CLK_TCK)
sample() {  # elapsed_s cpu_s rss_kib rss_anon_kib rss_file_kib
  local stat rss
  stat=$(< "/proc/$serve_pid/stat") || return 1
  stat=${stat##*) }  # fields after the command name; utime and stime are then fields 12 and 13
  # RssAnon is the heap; RssFile the binary, its libraries and the LMDB map's pages, which grow
  # with the state (run history up to --keep-runs).
  rss=$(awk '/^(VmRSS|RssAnon|RssFile):/ { printf "%s ", $2 }' "/proc/$serve_pid/status")
  awk -v now="$(date +%s.%N)" -v start="$anchor" -v tick="$tick" -v rss="$rss" -v f="$stat" \
    'BEGIN { split(f, a, " "); printf "%.0f %.2f %s\n", now - start, (a[12] + a[13]) / tick, rss }'
}
: > "$work/samples"
end=$(($(date +%s) + minutes * 60))
while (($(date +%s) < end)); do
  kill -0 "$serve_pid" 2> /dev/null || { echo "backflow serve died:" >&2; tail "$work/serve.log" >&2; exit 1; }
  sample >> "$work/samples"
  sleep 10
done
sample >> "$work/samples"

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
echo "$(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg) at the end, $(date -u +%Y-%m-%d)," \
  "$syncs syncs x $rows rows, $changes changed per model per minute, ${minutes} min," \
  "--max-concurrent-runs $max_runs; SIGTERM to exit: ${stop_seconds} s, exit code $stop_code"
echo
python3 - "$work" "$syncs" "$anchor" "$minutes" <<'PY'
import json, os, re, sys
from datetime import datetime, timezone
work, syncs, anchor, minutes = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4])

runs_by_status, records = {}, {}
for line in open(f"{work}/metrics"):
    m = re.match(r'backflow_runs_total\{sync="[^"]*",status="([^"]*)"\} (\S+)', line)
    if m:
        runs_by_status[m[1]] = runs_by_status.get(m[1], 0) + float(m[2])
    m = re.match(r'backflow_records_total\{sync="[^"]*",outcome="([^"]*)"\} (\S+)', line)
    if m:
        records[m[1]] = records.get(m[1], 0) + float(m[2])

def seconds(iso):
    return datetime.strptime(iso, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=timezone.utc).timestamp()

loaded = {}
for line in open(f"{work}/serve.log"):
    m = re.search(r'(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}).*Loaded sync: sync=(\w+)', line)
    if m and m[2] not in loaded:
        loaded[m[2]] = seconds(m[1] + "Z")

slot_delays, gap_delays, per_sync = [], [], []
for i in range(1, syncs + 1):
    base = loaded.get(f"soak_{i}", anchor)
    runs = json.load(open(f"{work}/runs-{i}.json"))["runs"]
    starts = sorted(seconds(r["started_at"]) for r in runs if r.get("started_at"))
    per_sync.append(len(starts))
    for s in starts:
        k = max(0, int((s - base) // 60))
        slot_delays.append(s - (base + 60 * k))
    gap_delays += [b - a - 60 for a, b in zip(starts, starts[1:])]

def pct(values, p):
    v = sorted(values)
    return v[min(len(v) - 1, int(round(p / 100 * (len(v) - 1))))] if v else float("nan")

samples = [tuple(map(float, l.split())) for l in open(f"{work}/samples") if l.strip()]
rss = [s[2] / 1024 for s in samples]
anon = [s[3] / 1024 for s in samples]
mapped = [s[4] / 1024 for s in samples]
completed = sum(runs_by_status.values())
print(f"anchors from 'Loaded sync' log lines: {len(loaded)} of {syncs} syncs")
print()
print("| figure | value |")
print("|---|---|")
print(f"| runs finished (GET /metrics, read at the end) | {completed:.0f} ({', '.join(f'{k} {v:.0f}' for k, v in sorted(runs_by_status.items()))}); slots at 0, 1, ..., {minutes} min: {syncs * (minutes + 1)} (the last races the end) |")
print(f"| runs started (GET /syncs/{{name}}/runs, read after /metrics) | {sum(per_sync)}; per sync min {min(per_sync)}, max {max(per_sync)} |")
print(f"| records (GET /metrics) | {', '.join(f'{k} {v:.0f}' for k, v in sorted(records.items()))} |")
print(f"| CPU seconds used (user + system) | {samples[-1][1]:.1f} in {samples[-1][0]:.0f} s ({100 * samples[-1][1] / max(samples[-1][0], 1):.1f}% of one core) |")
print(f"| RSS MiB: first sample, max, last | {rss[0]:.1f}, {max(rss):.1f}, {rss[-1]:.1f} |")
print(f"| of which heap (RssAnon) / file-backed (RssFile: binary, libraries, LMDB map): first, max, last | {anon[0]:.1f}, {max(anon):.1f}, {anon[-1]:.1f} / {mapped[0]:.1f}, {max(mapped):.1f}, {mapped[-1]:.1f} |")
print(f"| state directory at the end | {sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(work + '/state') for f in fs) / 1048576:.1f} MiB |")
print(f"| scheduling delay from the slot, s: p50 / p95 / p99 / max | {pct(slot_delays, 50):.3f} / {pct(slot_delays, 95):.3f} / {pct(slot_delays, 99):.3f} / {max(slot_delays):.3f} ({len(slot_delays)} runs) |")
print(f"| gap between starts minus 60 s: p50 / p95 / p99 / max | {pct(gap_delays, 50):.3f} / {pct(gap_delays, 95):.3f} / {pct(gap_delays, 99):.3f} / {max(gap_delays):.3f} ({len(gap_delays)} gaps) |")
print()
# RSS over time, one value per minute (the sample closest to each whole minute).
per_minute = {}
for t, cpu, r, a, _ in samples:
    per_minute.setdefault(int(t // 60), (t, cpu, r, a))
print("RSS MiB per minute: " + " ".join(f"{v[2] / 1024:.1f}" for _, v in sorted(per_minute.items())) +
      "; heap MiB per minute: " + " ".join(f"{v[3] / 1024:.1f}" for _, v in sorted(per_minute.items())) +
      "; CPU s at each minute: " + " ".join(f"{v[1]:.1f}" for _, v in sorted(per_minute.items())))
PY
