#!/usr/bin/env bash
# Benchmark (not a test): one destination's delivery rate against its emulator, under the rate
# limit the emulator enforces by default (the vendor's documented one) and the example sync
# declares. Runs examples/pql_to_NAME.json over the example warehouse grown to ROWS rows (all new,
# so every row is sent), then prints a Markdown row for bench/RESULTS.md: records/s, requests/s
# achieved against the tightest request limit the emulator reports (`/__emulator/limits`),
# API calls per 10,000 records, records retried (a throttle answer makes a retry: 0 is the
# target) and the throttle answers the emulator logged (HTTP 429, or its own count). A run
# shorter than a few limit windows reads above 100%: a limit's first window is spent at once.
#
#   bench/destination_rate.sh hubspot            20,000 rows
#   bench/destination_rate.sh marketo 50000
#   BUILD_DIR=build-x bench/destination_rate.sh braze
set -euo pipefail
cd "$(dirname "$0")/.."
name=${1:?usage: bench/destination_rate.sh DESTINATION [ROWS]}
rows=${2:-20000}
build=${BUILD_DIR:-build}
backflow=$build/pipelines/backflow
emulator=$build/emulators/backflow-emulator
[[ -x $backflow && -x $emulator ]] || { echo "build first: scripts/build.sh" >&2; exit 1; }
example=examples/pql_to_$name.json
[[ -f $example ]] || { echo "no example $example" >&2; exit 1; }
command -v jq > /dev/null || { echo "needs jq (apt-get install -y jq)" >&2; exit 1; }

# The emulator that serves this destination, and the variable the example reads its endpoint from.
kind=$("$emulator" --list | jq -r --arg d "$name" '.[] | select(.destinations | index($d)) | .name' | head -1)
[[ -n $kind ]] || { echo "no emulator serves $name" >&2; exit 1; }
# Each ${VAR:-http://127.0.0.1:PORT/path} of the example (an API endpoint, a token endpoint):
# VAR gets the emulator's address with the same path.
endpoint_refs=$(grep -o '\${[A-Z_]*:-http://127\.0\.0\.1:[0-9]*[^}"]*}' "$example" || true)

work=bench/data/rate-$name
rm -rf "$work" && mkdir -p "$work"
sed "s/WHERE i < 1000)/WHERE i < $rows)/" examples/warehouse.sql | sqlite3 "$work/warehouse.sqlite"
grep -v '^ *//' "$example" | jq '.source.path = "warehouse.sqlite" | .guards = {}' > "$work/sync.json"

"$emulator" "$kind" --port 0 > "$work/emulator.out" 2> "$work/emulator.log" &
emulator_pid=$!
trap 'kill $emulator_pid 2>/dev/null || true' EXIT
for _ in $(seq 50); do grep -q listening "$work/emulator.out" && break; sleep 0.1; done
url=$(sed -n 's/^listening on //p' "$work/emulator.out")
[[ -n $url ]] || { echo "the emulator did not start: $work/emulator.log" >&2; exit 1; }
while read -r endpoint_ref; do
  [[ -n $endpoint_ref ]] || continue
  endpoint_var=$(sed 's/^\${\([A-Z_]*\):-.*/\1/' <<< "$endpoint_ref")
  endpoint_path=$(sed 's|^.*:-http://127\.0\.0\.1:[0-9]*\([^}]*\)}$|\1|' <<< "$endpoint_ref")
  export "$endpoint_var=$url$endpoint_path"
done <<< "$endpoint_refs"

"$backflow" run "$work/sync.json" --state "$work/state" --json > "$work/run.json" || true
curl -s "$url/__emulator/limits" > "$work/limits.json"
curl -s "$url/__emulator/requests" > "$work/requests.json"

jq -r --arg name "$name" --arg rows "$rows" --slurpfile limits "$work/limits.json" \
   --slurpfile requests "$work/requests.json" '
  def per_second($k; $v):
    if ($v | type) != "number" or $v <= 0 then empty
    elif $k == "per_second" then $v
    elif ($k | test("^per_[0-9]+s$")) then $v / ($k | ltrimstr("per_") | rtrimstr("s") | tonumber)
    elif $k == "per_minute" then $v / 60
    elif $k == "per_10s" then $v / 10
    else empty end;
  ($limits[0] | to_entries | map(per_second(.key; .value)) | min) as $allowed
  | ([$requests[0].by_endpoint[]?.status["429"] // 0] | add // 0) as $logged429
  | (.apply_ms / 1000) as $secs
  | "| \($name) | \($rows) | \(.counts.delivered) | \(.status) | \($secs) | "
    + "\(if $secs > 0 then (.counts.delivered / $secs | floor) else "-" end) | "
    + "\(if $secs > 0 then (.api_calls / $secs * 100 | floor / 100) else "-" end) | "
    + "\($allowed // "none") | "
    + "\(if $allowed and $secs > 0 then (.api_calls / $secs / $allowed * 1000 | floor / 10 | tostring) + "%" else "-" end) | "
    + "\(if .counts.delivered > 0 then (.api_calls * 10000 / .counts.delivered | floor) else "-" end) | "
    + "\(.counts.retried) | \($requests[0].throttled // $logged429) |"
' "$work/run.json" | {
  echo "| destination | rows | delivered | status | apply s | records/s | requests/s | allowed requests/s | utilisation | API calls / 10k records | retried | throttle answers |"
  echo "|---|---|---|---|---|---|---|---|---|---|---|---|"
  cat
}
