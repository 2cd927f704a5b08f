#!/usr/bin/env bash
# Benchmark (not a test): unchanged re-run of a generated 1M-row ClickHouse model (clickhouse
# source over HTTP) against `clickhouse-client` reading the same query to /dev/null. Starts its
# own throwaway server (scripts/clickhouse-test-server.sh) and the HubSpot emulator; prints a
# Markdown table.
#
#   bench/clickhouse.sh            1M rows
#   bench/clickhouse.sh 200000     fewer
set -euo pipefail
cd "$(dirname "$0")/.."
rows=${1:-1000000}
backflow=build/pipelines/backflow
emulator=build/emulators/backflow-emulator
[[ -x $backflow && -x $emulator ]] || { echo "build first: scripts/build.sh" >&2; exit 1; }
command -v /usr/bin/time > /dev/null || { echo "needs GNU time (apt-get install time)" >&2; exit 1; }

work=$(realpath -m bench/data/clickhouse-$rows)
rm -rf "$work"
mkdir -p "$work"
server=$work/server
scripts/clickhouse-test-server.sh start "$server" > /dev/null
"$emulator" hubspot --port 0 --per-10s 0 --daily 0 > "$work/emulator.out" 2> "$work/emulator.log" &
emulator_pid=$!
trap 'kill $emulator_pid 2>/dev/null || true; scripts/clickhouse-test-server.sh stop "$server"' EXIT
for _ in $(seq 50); do grep -q listening "$work/emulator.out" && break; sleep 0.1; done
endpoint=$(sed -n 's/^listening on //p' "$work/emulator.out")

cli=(clickhouse-client --host 127.0.0.1 --port "$(cat "$server/tcp_port")" --user backflow
     --password "$(cat "$server/password")" --database backflow_test)
query="SELECT email, first_name, score, tier, updated_at FROM contacts"
echo "generating $rows rows" >&2
"${cli[@]}" --query "CREATE TABLE contacts (id UInt64, email String, first_name Nullable(String),
    score Float64, tier String, updated_at DateTime) ENGINE = MergeTree ORDER BY id"
"${cli[@]}" --query "INSERT INTO contacts SELECT number, concat('user', toString(number),
    '@example.com'), concat('User ', toString(number)), (number * 37 % 1000) / 10.0,
    ['green', 'yellow', 'red'][number % 3 + 1], toDateTime('2026-11-01 08:00:00')
    FROM system.numbers LIMIT $rows"

cat > "$work/sync.json" <<JSON
{
  "name": "bench_clickhouse_contacts",
  "source": { "type": "clickhouse", "url": "$(cat "$server/url")", "user": "backflow",
              "password": "\${BENCH_CH_PASSWORD}", "database": "backflow_test",
              "query": "$query", "key": "email" },
  "destination": { "type": "hubspot", "endpoint": "$endpoint", "token": "emulator-token",
                   "rate_limit": { "per_10s": 0, "daily": 0 } },
  "mode": "upsert",
  "delivery": { "concurrency": 8 }
}
JSON
export BENCH_CH_PASSWORD
BENCH_CH_PASSWORD=$(cat "$server/password")
state=$work/state

timed() {
  local label=$1 out=$2
  shift 2
  /usr/bin/time -f "%e %M" -o "$work/$label.time" "$@" > "$out"
  read -r secs kb < "$work/$label.time"
  echo "$secs $((kb / 1024))"
}
run() { timed "$1" "$work/$1.out" "$backflow" run "$work/sync.json" --state "$state" --json; }
"${cli[@]}" --query "$query" > /dev/null  # warm the page cache for both readers
read -r cli_s cli_mb < <(timed cli /dev/null "${cli[@]}" --query "$query")
read -r first_s first_mb < <(run first)
read -r same_s same_mb < <(run same)
read -r same2_s same2_mb < <(run same2)
read -r same3_s same3_mb < <(run same3)
read -r cli2_s cli2_mb < <(timed cli2 /dev/null "${cli[@]}" --query "$query")

echo
echo "rows: $rows on $(nproc) cores, ClickHouse $("${cli[@]}" --query 'SELECT version()'), $(date -u +%Y-%m-%d)"
echo
echo "| step | wall s | peak RSS MB | notes |"
echo "|---|---|---|---|"
echo "| \`clickhouse-client --query '$query' > /dev/null\` | $cli_s (again after: $cli2_s) | $cli_mb | baseline |"
echo "| first run: plan + deliver everything | $first_s | $first_mb | |"
echo "| first unchanged re-run (looks every row up, remembers the unchanged spans) | $same_s | $same_mb | |"
echo "| later unchanged re-runs (from the spans) | $same2_s, $same3_s | $same2_mb, $same3_mb | $(awk -v a="$same2_s" -v a2="$same3_s" -v b="$cli_s" -v c="$cli2_s" 'BEGIN { m = (b < c ? b : c); x = (a < a2 ? a : a2); printf "%.2f", x / m }')x the faster \`clickhouse-client\` read (best of each); $(sed -n 's/.*"api_calls":\([0-9]*\).*/\1/p' "$work/same3.out") API calls |"
