#!/usr/bin/env bash
# Benchmark (not a test): a 1M-member Meta audience push (hashing and end-to-end), and a 100k-record
# Salesforce upsert through collections vs Bulk API 2.0, against the local emulators.
# Prints Markdown for bench/RESULTS.md. Needs bench/run.sh's 1M-row model (it is made if absent).
set -euo pipefail
cd "$(dirname "$0")/.."
backflow=build/pipelines/backflow
emulator=build/emulators/backflow-emulator
cmake --build build --target meta_hash_bench > /dev/null
db=bench/data/1000000/model.sqlite
[[ -f $db ]] || bench/run.sh 1000000 > /dev/null
work=bench/data/destinations
rm -rf "$work" && mkdir -p "$work"
cp "$db" "$work/model.sqlite"

start_emulator() {  # KIND ARGS... → prints the endpoint; the emulator is killed on exit
  local kind=$1
  shift
  "$emulator" "$kind" --port 0 "$@" > "$work/$kind.out" 2> "$work/$kind.log" &
  pids+=($!)
  for _ in $(seq 50); do grep -q listening "$work/$kind.out" && break; sleep 0.1; done
  sed -n 's/^listening on //p' "$work/$kind.out"
}
pids=()
trap 'kill "${pids[@]}" 2>/dev/null || true' EXIT
field() { sed -n "s/.*\"$1\":\([0-9]*\).*/\1/p" "$2"; }
timed_run() {  # LABEL SYNC → "seconds peak_mb"
  /usr/bin/time -f "%e %M" -o "$work/$1.time" "$backflow" run "$2" --state "$work/state-$1" --json \
    > "$work/$1.out"
  read -r secs kb < "$work/$1.time"
  echo "$secs $((kb / 1024))"
}

echo "== hashing"
hash_line=$(build/bench/meta_hash_bench 1000000)
echo "$hash_line"

echo "== Meta: 1M members"
meta=$(start_emulator meta)
cat > "$work/meta.json" <<JSON
{ "name": "bench_meta",
  "source": { "type": "sqlite", "path": "model.sqlite",
              "query": "SELECT email, first_name FROM contacts", "key": "email" },
  "destination": { "type": "meta_audience", "endpoint": "$meta", "token": "emulator-token",
                   "audience_id": "23850000000000001" },
  "mode": "audience",
  "mapping": [ { "from": "email", "to": "EMAIL" }, { "from": "first_name", "to": "FN" } ],
  "delivery": { "concurrency": 4 } }
JSON
read -r meta_s meta_mb < <(timed_run meta "$work/meta.json")
meta_apply=$(field apply_ms "$work/meta.out")
meta_calls=$(field api_calls "$work/meta.out")
meta_sent=$(field delivered "$work/meta.out")

echo "== Salesforce: 100k records, collections then Bulk API 2.0"
sf=$(start_emulator salesforce --daily 0)
sf_sync() {  # NAME BULK_THRESHOLD
  cat > "$work/$1.json" <<JSON
{ "name": "$1",
  "source": { "type": "sqlite", "path": "model.sqlite",
              "query": "SELECT email, first_name, score, tier FROM contacts WHERE id <= 100000",
              "key": "email" },
  "destination": { "type": "salesforce", "instance_url": "$sf", "token": "emulator-token",
                   "object": "Contact", "external_id_field": "Key_$1__c",
                   "bulk_threshold": $2, "bulk_job_size": 25000,
                   "bulk_poll_initial": "200ms", "bulk_poll_max": "2s" },
  "mapping": [ { "from": "email", "to": "Email" }, { "from": "first_name", "to": "FirstName" },
               { "from": "score", "to": "Score__c", "type": "number" },
               { "from": "tier", "to": "Tier__c" } ],
  "delivery": { "concurrency": 4 } }
JSON
}
sf_sync collections 0
sf_sync bulk 10000
read -r col_s col_mb < <(timed_run collections "$work/collections.json")
read -r bulk_s bulk_mb < <(timed_run bulk "$work/bulk.json")

rate() { awk -v n="$1" -v ms="$2" 'BEGIN { printf "%.0f", (ms > 0 ? n * 1000 / ms : 0) }'; }
echo
echo "$(nproc) cores, $(date -u +%Y-%m-%d)"
echo
echo "| run | wall s | apply records/s | API calls | peak RSS MB | notes |"
echo "|---|---|---|---|---|---|"
echo "| Meta audience: 1M members (EMAIL + FN, hashed) | $meta_s | $(rate "$meta_sent" "$meta_apply") | $meta_calls | $meta_mb | $meta_sent members, 10,000 per request |"
echo "| Salesforce 100k upsert: collections (200/request) | $col_s | $(rate "$(field delivered "$work/collections.out")" "$(field apply_ms "$work/collections.out")") | $(field api_calls "$work/collections.out") | $col_mb | |"
echo "| Salesforce 100k upsert: Bulk API 2.0 (25k/job) | $bulk_s | $(rate "$(field delivered "$work/bulk.out")" "$(field apply_ms "$work/bulk.out")") | $(field api_calls "$work/bulk.out") | $bulk_mb | $(field jobs "$work/bulk.out") jobs |"
echo
echo "hashing: $hash_line"
