#!/usr/bin/env bash
# Benchmark (not a test): how much of a known rate limit a sync at full speed uses, and whether
# the destination ever answers 429. A sync declares the same limit the emulator enforces and
# sends one record per request with several requests in flight, for several windows:
#   - HubSpot: requests per rolling 10 s (`--per-10s`, sync `rate_limit.per_10s`);
#   - webhook: requests per rolling second (`--per-second`, sync `rate_limit.per_second`).
# The emulator logs every request (--verbose, ms timestamps); from that log the script prints
# the requests in each full window, the busiest rolling window, the achieved rate vs the allowed
# one, and the 429s. Target: utilization >= 90% and no 429. Prints Markdown for bench/RESULTS.md.
#
#   bench/rate_utilization.sh                 HubSpot 100/10 s for 60 s, webhook 50/s for 20 s
#   bench/rate_utilization.sh 30 20           HubSpot for 30 s, webhook for 20 s
#   BUILD_DIR=build-config bench/rate_utilization.sh
set -euo pipefail
cd "$(dirname "$0")/.."
hubspot_seconds=${1:-60}
webhook_seconds=${2:-20}
hubspot_limit=${HUBSPOT_PER_10S:-100}
webhook_limit=${WEBHOOK_PER_SECOND:-50}
concurrency=${CONCURRENCY:-8}
build=${BUILD_DIR:-build}
backflow=$build/pipelines/backflow
emulator=$build/emulators/backflow-emulator
[[ -x $backflow && -x $emulator ]] || { echo "build first: scripts/build.sh" >&2; exit 1; }
command -v sqlite3 > /dev/null || { echo "needs the sqlite3 CLI" >&2; exit 1; }

work=bench/data/rate
rm -rf "$work" && mkdir -p "$work"
pids=()
trap 'kill "${pids[@]}" 2>/dev/null || true' EXIT  # the emulators

# start_emulator NAME KIND ARGS...: sets $endpoint. Not in a $(...) subshell, so that the
# emulator's pid reaches the exit trap.
start_emulator() {
  local name=$1 kind=$2
  shift 2
  "$emulator" "$kind" --port 0 --verbose "$@" > "$work/$name.out" 2> "$work/$name.log" &
  pids+=($!)
  for _ in $(seq 50); do grep -qs listening "$work/$name.out" && break; sleep 0.1; done
  endpoint=$(sed -n 's/^listening on //p' "$work/$name.out")
  [[ -n $endpoint ]] || { echo "the $kind emulator did not start" >&2; exit 1; }
}

make_model() {  # ROWS → $work/model-ROWS.sqlite
  local db=$work/model-$1.sqlite
  sqlite3 "$db" "CREATE TABLE contacts (email TEXT NOT NULL, first_name TEXT, score REAL, tier TEXT);
    WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $1)
    INSERT INTO contacts SELECT 'user' || i || '@example.com', 'User ' || i, i % 100, 'gold' FROM n;"
  echo "$db"
}

# analyse NAME WINDOW_S LIMIT: reads the emulator's verbose log and prints one Markdown row.
analyse() {
  local name=$1 window=$2 limit=$3
  grep -o '^\[[^]]*\] .*Request method=POST .*status=[0-9]*' "$work/$name.log" |
    sed -E 's/^\[[0-9-]+ ([0-9]+):([0-9]+):([0-9.]+)\].*status=([0-9]+)$/\1 \2 \3 \4/' |
    awk -v window="$window" -v limit="$limit" -v name="$name" -v detail="$work/$name.windows" '
      BEGIN { n = 0 }
      { t = $1 * 3600 + $2 * 60 + $3; if (n > 0 && t < times[n - 1] - 43200) t += 86400
        times[n] = t; status[n] = $4; n++ }
      END {
        if (n < 2) { print "| " name " | no requests logged |"; exit 1 }
        ok = 0; refused = 0
        for (i = 0; i < n; i++) { if (status[i] == 429) refused++; else if (status[i] < 300) ok++ }
        span = times[n - 1] - times[0]
        # The busiest rolling window: the most admitted requests within any `window` seconds.
        busiest = 0; j = 0
        for (i = 0; i < n; i++) {
          while (times[i] - times[j] >= window) j++
          if (i - j + 1 > busiest) busiest = i - j + 1
        }
        # Requests in each full window counted from the first request.
        full = int(span / window); list = ""; lo = 1e9; sum = 0
        for (w = 0; w < full; w++) count[w] = 0
        for (i = 0; i < n; i++) { w = int((times[i] - times[0]) / window); if (w < full) count[w]++ }
        for (w = 0; w < full; w++) {
          list = list (w ? " " : "") count[w]; sum += count[w]; if (count[w] < lo) lo = count[w]
        }
        print list > detail
        # Achieved rate between the first and the last request, as requests per window.
        achieved = (n - 1) * window / span
        printf "| %s | %d/%gs | %d | %.1f | %.1f | %d | %s | %.1f%% | %.1f%% | %d |\n",
               name, limit, window, n, span, achieved, busiest,
               (full > 0 ? sprintf("%.1f (min %d)", sum / full, lo) : "-"),
               100 * achieved / limit, (full > 0 ? 100 * sum / full / limit : 0), refused
      }'
}

# run_sync NAME: runs the sync file $work/NAME.json and prints the run's wall seconds.
run_sync() {
  local started ended
  started=$(date +%s.%N)
  "$backflow" run "$work/$1.json" --state "$work/state-$1" --json > "$work/$1.run" || true
  ended=$(date +%s.%N)
  awk -v a="$started" -v b="$ended" 'BEGIN { printf "%.1f", b - a }'
}
field() { sed -n "s/.*\"$1\":\"\{0,1\}\([a-z0-9]*\).*/\1/p" "$work/$2.run" | head -1; }

rows=()
notes=()

# measure NAME WINDOW LIMIT RECORDS DESTINATION: syncs the model $db (from make_model) to
# DESTINATION (a JSON object), one record per request, and records the run's figures.
measure() {
  local name=$1 window=$2 limit=$3 records=$4 destination=$5 wall
  cat > "$work/$name.json" <<JSON
{ "name": "bench_rate_$name",
  "source": { "type": "sqlite", "path": "$(basename "$db")",
              "query": "SELECT email, first_name, score, tier FROM contacts", "key": "email" },
  "destination": $destination,
  "mode": "upsert",
  "delivery": { "concurrency": $concurrency } }
JSON
  wall=$(run_sync "$name")
  rows+=("$(analyse "$name" "$window" "$limit")")
  notes+=("$name: $records records, wall ${wall} s, status $(field status "$name"), api_calls $(field api_calls "$name"), windows: $(cat "$work/$name.windows")")
}

echo "== HubSpot: $hubspot_limit per rolling 10 s for ${hubspot_seconds} s" >&2
hubspot_rows=$((hubspot_limit * hubspot_seconds / 10))
db=$(make_model "$hubspot_rows")
start_emulator hubspot hubspot --per-10s "$hubspot_limit" --daily 0
measure hubspot 10 "$hubspot_limit" "$hubspot_rows" \
  "{ \"type\": \"hubspot\", \"endpoint\": \"$endpoint\", \"token\": \"emulator-token\", \"batch_size\": 1,
     \"rate_limit\": { \"per_10s\": $hubspot_limit, \"daily\": 0 } }"

echo "== webhook: $webhook_limit per rolling second for ${webhook_seconds} s" >&2
webhook_rows=$((webhook_limit * webhook_seconds))
db=$(make_model "$webhook_rows")
start_emulator webhook webhook --per-second "$webhook_limit"
measure webhook 1 "$webhook_limit" "$webhook_rows" \
  "{ \"type\": \"webhook\", \"endpoint\": \"$endpoint/hooks/bench\",
     \"secret\": \"whsec_ZW11bGF0b3Itc2VjcmV0\", \"batch_size\": 1,
     \"rate_limit\": { \"per_second\": $webhook_limit } }"

echo
echo "$(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg) at the end, $(date -u +%Y-%m-%d), concurrency $concurrency, one record per request"
echo
echo "| sync | limit | requests | span s | achieved per window | busiest rolling window | per full window: mean (min) | utilization (first to last request) | utilization (full windows) | 429s |"
echo "|---|---|---|---|---|---|---|---|---|---|"
printf '%s\n' "${rows[@]}"
echo
printf -- '- %s\n' "${notes[@]}"
