#!/usr/bin/env bash
# Benchmark (not a test): plan, unchanged re-run and 1% changed run of a generated SQLite model,
# delivered to the local HubSpot emulator without rate limits; compared with reading the same
# query through the sqlite3 CLI. Prints a Markdown table for bench/RESULTS.md.
#
#   bench/run.sh            1M rows
#   bench/run.sh 10000000   10M rows (about 1 GB of SQLite and 3 GB of state on disk)
#   BACKFLOW=/tmp/bin/backflow EMULATOR=/tmp/bin/backflow-emulator bench/run.sh   other binaries
set -euo pipefail
cd "$(dirname "$0")/.."
rows=${1:-1000000}
backflow=${BACKFLOW:-build/pipelines/backflow}
emulator=${EMULATOR:-build/emulators/backflow-emulator}
[[ -x $backflow && -x $emulator ]] || { echo "build first: scripts/build.sh" >&2; exit 1; }
command -v /usr/bin/time > /dev/null || { echo "needs GNU time (apt-get install time)" >&2; exit 1; }

work=bench/data/$rows
mkdir -p "$work"
db=$work/model.sqlite
query="SELECT email, first_name, score, tier, updated_at FROM contacts"
if [[ ! -f $db ]]; then
  echo "generating $rows rows in $db" >&2
  sqlite3 "$db" "CREATE TABLE contacts (id INTEGER PRIMARY KEY, email TEXT NOT NULL, first_name TEXT,
                 score REAL, tier TEXT, updated_at TIMESTAMP);
    WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $rows)
    INSERT INTO contacts SELECT i, 'user' || i || '@example.com', 'User ' || i, (i * 37 % 1000) / 10.0,
      CASE i % 3 WHEN 0 THEN 'green' WHEN 1 THEN 'yellow' ELSE 'red' END, '2026-11-01 08:00:00' FROM n;"
fi

"$emulator" hubspot --port 0 --per-10s 0 --daily 0 > "$work/emulator.out" 2> "$work/emulator.log" &
emulator_pid=$!
trap 'kill $emulator_pid 2>/dev/null || true' EXIT
for _ in $(seq 50); do grep -q listening "$work/emulator.out" && break; sleep 0.1; done
endpoint=$(sed -n 's/^listening on //p' "$work/emulator.out")

cat > "$work/sync.json" <<JSON
{
  "name": "bench_contacts",
  "source": { "type": "sqlite", "path": "model.sqlite", "query": "$query", "key": "email" },
  "destination": { "type": "hubspot", "endpoint": "$endpoint", "token": "emulator-token",
                   "rate_limit": { "per_10s": 0, "daily": 0 } },
  "mode": "upsert",
  "delivery": { "concurrency": 8 }
}
JSON
state=$work/state
rm -rf "$state"

# timed LABEL OUT COMMAND...: runs it under GNU time with stdout to OUT; prints
# "seconds peak_rss_mb".
timed() {
  local label=$1 out=$2
  shift 2
  /usr/bin/time -f "%e %M" -o "$work/$label.time" "$@" > "$out"
  read -r secs kb < "$work/$label.time"
  echo "$secs $((kb / 1024))"
}
field() { sed -n "s/.*\"$1\":\([0-9]*\).*/\1/p" "$work/$2.out"; }

run() { timed "$1" "$work/$1.out" "$backflow" "$2" "$work/sync.json" --state "$state" --json; }
read -r sqlite_s sqlite_mb < <(timed sqlite3 /dev/null sqlite3 "$db" "$query")
read -r plan_s plan_mb < <(run plan plan)
read -r first_s first_mb < <(run first run)
read -r same_s same_mb < <(run same run)    # looks every row up, remembers the unchanged spans
read -r same2_s same2_mb < <(run same2 run)  # from the spans
sqlite3 "$db" "UPDATE contacts SET score = score + 1 WHERE id % 100 = 0"
read -r pct_s pct_mb < <(run pct run)

first_delivered=$(field delivered first)
first_apply_ms=$(field apply_ms first)
pct_delivered=$(field delivered pct)
rate() { awk -v n="$1" -v s="$2" 'BEGIN { printf "%.0f", (s > 0 ? n / s : 0) }'; }

echo
echo "rows: $rows on $(nproc) cores, $(date -u +%Y-%m-%d)"
echo
echo "| step | wall s | rows or records /s | peak RSS MB | notes |"
echo "|---|---|---|---|---|"
echo "| sqlite3 CLI reads the query to /dev/null | $sqlite_s | $(rate "$rows" "$sqlite_s") | $sqlite_mb | baseline |"
echo "| first plan (nothing sent) | $plan_s | $(rate "$rows" "$plan_s") | $plan_mb | all rows added |"
echo "| first run: plan + deliver everything | $first_s | $(rate "$first_delivered" "$(awk -v m="$first_apply_ms" 'BEGIN{print m/1000}')") delivered/s during apply | $first_mb | $first_delivered records, $(field api_calls first) calls, apply ${first_apply_ms} ms |"
echo "| first unchanged re-run (looks every row up, remembers the unchanged spans) | $same_s | $(rate "$rows" "$same_s") | $same_mb | $(awk -v a="$same_s" -v b="$sqlite_s" 'BEGIN { printf "%.2f", a / b }')x the sqlite3 read; $(field api_calls same) API calls |"
echo "| later unchanged re-run (from the spans) | $same2_s | $(rate "$rows" "$same2_s") | $same2_mb | $(awk -v a="$same2_s" -v b="$sqlite_s" 'BEGIN { printf "%.2f", a / b }')x the sqlite3 read; $(field api_calls same2) API calls |"
echo "| run after 1% changed | $pct_s | $(rate "$rows" "$pct_s") | $pct_mb | $pct_delivered records sent |"
