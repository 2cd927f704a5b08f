#!/usr/bin/env bash
# README command (a): installs dependencies, builds, and runs the example sync twice against the
# local HubSpot emulator: the first run sends every row, the second only what changed in between.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
./scripts/build.sh backflow backflow-emulator  # the tests are not needed here

backflow=build/pipelines/backflow
emulator=build/emulators/backflow-emulator
work=build/example
rm -rf "$work" && mkdir -p "$work"

echo "== building the example warehouse (SQLite): examples/warehouse.sqlite"
rm -f examples/warehouse.sqlite
sqlite3 examples/warehouse.sqlite < examples/warehouse.sql

echo "== starting the HubSpot emulator on 127.0.0.1"
"$emulator" hubspot --port 0 > "$work/emulator.out" 2> "$work/emulator.log" &
emulator_pid=$!
trap 'kill "$emulator_pid" 2>/dev/null || true' EXIT
for _ in $(seq 50); do
  grep -q "listening on" "$work/emulator.out" 2>/dev/null && break
  sleep 0.1
done
endpoint=$(sed -n 's/^listening on //p' "$work/emulator.out")
[[ -n "$endpoint" ]] || { echo "the emulator did not start; see $work/emulator.log" >&2; exit 1; }
export HUBSPOT_ENDPOINT=$endpoint HUBSPOT_TOKEN=emulator-token
echo "   $endpoint"

sync=examples/pql_to_hubspot.json
state=$work/state
"$backflow" validate "$sync"

echo; echo "== run 1: everything is new"
"$backflow" run "$sync" --state "$state"

echo; echo "== the warehouse changes (examples/changes.sql)"
sqlite3 examples/warehouse.sqlite < examples/changes.sql
"$backflow" plan "$sync" --state "$state"

echo; echo "== run 2: only the changes are sent"
"$backflow" run "$sync" --state "$state"

echo; echo "== run 3: nothing changed, no API calls"
"$backflow" run "$sync" --state "$state"

echo; echo "== state"
"$backflow" status --state "$state"
echo; echo "== what the emulator received"
curl -s "$endpoint/__emulator/requests" | head -c 600; echo
