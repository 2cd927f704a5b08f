#!/usr/bin/env bash
# Benchmark (not a test): unchanged re-run of a generated 1M-row MariaDB model (mysql source)
# against the `mariadb` CLI reading the same query to /dev/null. Starts its own throwaway server
# (scripts/mariadb-test-server.sh) and the HubSpot emulator; prints a Markdown table.
#
#   bench/mysql.sh            1M rows
#   bench/mysql.sh 200000     fewer
set -euo pipefail
cd "$(dirname "$0")/.."
rows=${1:-1000000}
backflow=build/pipelines/backflow
emulator=build/emulators/backflow-emulator
[[ -x $backflow && -x $emulator ]] || { echo "build first: scripts/build.sh" >&2; exit 1; }
command -v /usr/bin/time > /dev/null || { echo "needs GNU time (apt-get install time)" >&2; exit 1; }

work=$(realpath -m bench/data/mysql-$rows)
rm -rf "$work"
mkdir -p "$work"
server=$work/server
scripts/mariadb-test-server.sh start "$server" > /dev/null
"$emulator" hubspot --port 0 --per-10s 0 --daily 0 > "$work/emulator.out" 2> "$work/emulator.log" &
emulator_pid=$!
trap 'kill $emulator_pid 2>/dev/null || true; scripts/mariadb-test-server.sh stop "$server"' EXIT
for _ in $(seq 50); do grep -q listening "$work/emulator.out" && break; sleep 0.1; done
endpoint=$(sed -n 's/^listening on //p' "$work/emulator.out")

password=$(cat "$server/password")
port=$(cat "$server/port")
cli=(mariadb --no-defaults -h 127.0.0.1 -P "$port" -u backflow "-p$password" backflow_test)
query="SELECT email, first_name, score, tier, updated_at FROM contacts"
echo "generating $rows rows" >&2
"${cli[@]}" -e "CREATE TABLE contacts (id INT PRIMARY KEY, email VARCHAR(64) NOT NULL,
    first_name VARCHAR(64), score DOUBLE, tier VARCHAR(8), updated_at DATETIME);
  INSERT INTO contacts SELECT seq, CONCAT('user', seq, '@example.com'), CONCAT('User ', seq),
    (seq * 37 % 1000) / 10.0, ELT(seq % 3 + 1, 'green', 'yellow', 'red'), '2026-11-01 08:00:00'
    FROM seq_1_to_$rows;"

cat > "$work/sync.json" <<JSON
{
  "name": "bench_mysql_contacts",
  "source": { "type": "mysql", "url": "\${BENCH_MYSQL_URL}", "query": "$query", "key": "email" },
  "destination": { "type": "hubspot", "endpoint": "$endpoint", "token": "emulator-token",
                   "rate_limit": { "per_10s": 0, "daily": 0 } },
  "mode": "upsert",
  "delivery": { "concurrency": 8 }
}
JSON
export BENCH_MYSQL_URL
BENCH_MYSQL_URL=$(cat "$server/url")
state=$work/state

timed() {
  local label=$1 out=$2
  shift 2
  /usr/bin/time -f "%e %M" -o "$work/$label.time" "$@" > "$out"
  read -r secs kb < "$work/$label.time"
  echo "$secs $((kb / 1024))"
}
run() { timed "$1" "$work/$1.out" "$backflow" run "$work/sync.json" --state "$state" --json; }
"${cli[@]}" -B -e "$query" > /dev/null  # warm the buffer pool for both readers
read -r cli_s cli_mb < <(timed cli /dev/null "${cli[@]}" -B -e "$query")
read -r first_s first_mb < <(run first)
read -r lookup_s lookup_mb < <(run lookup)  # looks every row up, remembers the unchanged spans
read -r same_s same_mb < <(run same)
read -r cli2_s cli2_mb < <(timed cli2 /dev/null "${cli[@]}" -B -e "$query")
# --quick streams (mysql_use_result) as the mysql source does; plain -B buffers the result.
read -r quick_s quick_mb < <(timed quick /dev/null "${cli[@]}" -B --quick -e "$query")

echo
echo "rows: $rows on $(nproc) cores, MariaDB $("${cli[@]}" -N -e 'SELECT VERSION()'), $(date -u +%Y-%m-%d)"
echo
echo "| step | wall s | peak RSS MB | notes |"
echo "|---|---|---|---|"
echo "| \`mariadb -B -e '$query' > /dev/null\` | $cli_s (again after: $cli2_s) | $cli_mb | baseline |"
echo "| \`mariadb -B --quick\` (streams, like the source) | $quick_s | $quick_mb | |"
echo "| first run: plan + deliver everything | $first_s | $first_mb | |"
echo "| first unchanged re-run (looks every row up, remembers the unchanged spans) | $lookup_s | $lookup_mb | |"
echo "| later unchanged re-run (from the spans) | $same_s | $same_mb | $(awk -v a="$same_s" -v b="$cli_s" -v c="$cli2_s" 'BEGIN { m = (b < c ? b : c); printf "%.2f", a / m }')x the faster \`-B\` read, $(awk -v a="$same_s" -v q="$quick_s" 'BEGIN { printf "%.2f", a / q }')x \`--quick\`; $(sed -n 's/.*"api_calls":\([0-9]*\).*/\1/p' "$work/same.out") API calls |"
