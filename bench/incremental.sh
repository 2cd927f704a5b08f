#!/usr/bin/env bash
# Benchmark (not a test): incremental reads by cursor. A PostgreSQL model of N rows (default 1M)
# with 1% touched since the last run, synced to the local webhook emulator twice over: once as a
# full read, once by cursor (window + key scan for deletes). Prints a Markdown table.
#
#   bench/incremental.sh             1M rows
#   bench/incremental.sh 10000000    10M rows
set -euo pipefail
cd "$(dirname "$0")/.."
rows=${1:-1000000}
backflow=build/pipelines/backflow
emulator=build/emulators/backflow-emulator
[[ -x $backflow && -x $emulator ]] || { echo "build first: scripts/build.sh" >&2; exit 1; }

work=$(realpath -m "bench/data/incremental-$rows")
rm -rf "$work"
mkdir -p "$work"
dsn=$(scripts/pg-test-server.sh start "$work/pg" | tail -n 1)
secret="whsec_YmVuY2gtc2VjcmV0"
"$emulator" webhook --port 0 --secret "$secret" > "$work/emulator.out" 2> "$work/emulator.log" &
emulator_pid=$!
trap 'kill $emulator_pid 2>/dev/null || true; scripts/pg-test-server.sh stop "$work/pg" > /dev/null' EXIT
for _ in $(seq 50); do grep -q listening "$work/emulator.out" && break; sleep 0.1; done
endpoint=$(sed -n 's/^listening on //p' "$work/emulator.out")

echo "generating $rows rows" >&2
psql -q "$dsn" <<SQL
CREATE TABLE items AS
  SELECT 'item-' || i AS id, 'Name ' || i AS name, i AS score,
         timestamptz '2026-03-01 00:00:00+00' + i * interval '1 second' AS updated_at
  FROM generate_series(1, $rows) AS i;
ALTER TABLE items ADD PRIMARY KEY (id);
CREATE INDEX items_updated_at ON items (updated_at);
VACUUM ANALYZE items;
SQL

sync_file() {  # NAME INCREMENTAL_JSON
  cat > "$work/$1.json" <<JSON
{
  "name": "$1",
  "source": { "type": "postgres", "dsn": "$dsn", "key": "id",
              "query": "SELECT id, name, score, updated_at FROM items" $2 },
  "destination": { "type": "webhook", "endpoint": "$endpoint/hooks/bench", "secret": "$secret",
                   "batch_size": 1000 },
  "mode": "mirror",
  "mapping": [ { "from": "name", "to": "name" }, { "from": "score", "to": "score" } ]
}
JSON
}
sync_file full ""
sync_file cursor ', "incremental": { "cursor": "updated_at", "lookback": "15m" }'

timed() {  # LABEL SYNC: one run, its wall seconds and summary
  /usr/bin/time -f "%e" -o "$work/$1.time" "$backflow" run "$work/$2.json" --state "$work/state" \
    --json > "$work/$1.out"
  cat "$work/$1.time"
}
field() { sed -n "s/.*\"$1\":\([0-9]*\).*/\1/p" "$work/$2.out" | head -n 1; }

echo "first runs (deliver everything)" >&2
timed full-first full > /dev/null
timed cursor-first cursor > /dev/null
# 1% touched, a minute after the mark: score changed on half of them, the rest touched only.
psql -q "$dsn" -c "UPDATE items SET updated_at = updated_at + interval '1 year',
                     score = score + (CASE WHEN score % 200 = 0 THEN 1 ELSE 0 END)
                   WHERE score % 100 = 0"
full_s=$(timed full-1pct full)
cursor_s=$(timed cursor-1pct cursor)
# Then 0.01% of the rows deleted: the count no longer adds up, and the key scan finds them.
psql -q "$dsn" -c "DELETE FROM items WHERE score % 10000 = 7"
full_del_s=$(timed full-del full)
cursor_del_s=$(timed cursor-del cursor)

echo
echo "rows: $rows in PostgreSQL $(psql -tAq "$dsn" -c 'SHOW server_version'), $(nproc) cores, $(date -u +%Y-%m-%d)"
echo
echo "| run after 1% touched | wall s | rows read | keys scanned | sent |"
echo "|---|---|---|---|---|"
echo "| full read | $full_s | $(field extracted full-1pct) | - | $(field delivered full-1pct) |"
echo "| by cursor (window; the count proves no delete) | $cursor_s | $(field rows_read cursor-1pct) | $(field keys_scanned cursor-1pct) counted | $(field delivered cursor-1pct) |"
echo "| full read, after 0.01% deleted | $full_del_s | $(field extracted full-del) | - | $(field deleted full-del) deleted |"
echo "| by cursor, after 0.01% deleted (window + key scan) | $cursor_del_s | $(field rows_read cursor-del) | $(field keys_scanned cursor-del) | $(field deleted cursor-del) deleted |"
awk -v a="$cursor_s" -v b="$full_s" 'BEGIN { printf "\ncursor run / full read, 1%% touched: %.1f%%\n", 100 * a / b }'
awk -v a="$cursor_del_s" -v b="$full_del_s" 'BEGIN { printf "cursor run / full read, with deletes: %.1f%%\n", 100 * a / b }'
