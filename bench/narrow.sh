#!/usr/bin/env bash
# Benchmark (not a test): the unchanged re-run of a narrow model (email, firstname, integer score;
# key email, in no key order) against the sqlite3 CLI reading the same query, warm and cold page
# cache, with peak RSS. Prints a Markdown table for bench/RESULTS.md.
#
#   bench/narrow.sh             1M rows, 3 interleaved rounds
#   bench/narrow.sh 2000000 5   2M rows, 5 rounds
set -euo pipefail
cd "$(dirname "$0")/.."
rows=${1:-1000000}
rounds=${2:-3}
backflow=${BACKFLOW:-build/pipelines/backflow}
emulator=${EMULATOR:-build/emulators/backflow-emulator}
[[ -x $backflow && -x $emulator ]] || { echo "build first: scripts/build.sh" >&2; exit 1; }
command -v /usr/bin/time > /dev/null || { echo "needs GNU time (apt-get install time)" >&2; exit 1; }

work=bench/data/narrow-$rows
mkdir -p "$work"
db=$work/model.sqlite
query="SELECT email, firstname, score FROM t"
if [[ ! -f $db ]]; then
  echo "generating $rows rows in $db" >&2
  # Reproducible (no random()): a multiplicative bijection of the row number scrambles the key
  # order and keeps the emails unique. Mixed case, dots, plus tags, subdomains, non-ASCII local
  # parts, spaces around some (the key is trimmed and lowercased), empty and NULL first names,
  # negative scores and scores past 2^53.
  sqlite3 "$db" "CREATE TABLE t (email TEXT NOT NULL, firstname TEXT, score INTEGER);
    WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $rows),
    f(k, name) AS (VALUES (0, 'Anna'), (1, 'José'), (2, 'Zoë'), (3, 'Mohammed'), (4, 'Li'),
      (5, 'O''Brien'), (6, 'Åsa'), (7, 'Jean-Luc'), (8, 'Siobhán'), (9, 'Ελένη'), (10, 'Дмитрий'),
      (11, 'Chidi'), (12, 'Þór'), (13, 'Ngozi'), (14, 'Łukasz'), (15, 'Mary Ann')),
    l(k, name) AS (VALUES (0, 'smith'), (1, 'garcia'), (2, 'muller'), (3, 'nguyen'),
      (4, 'okafor'), (5, 'kowalski'), (6, 'tanaka'), (7, 'silva'), (8, 'o.neil'), (9, 'van.dijk'),
      (10, 'svensson'), (11, 'dubois'), (12, 'rossi'), (13, 'haddad')),
    d(k, name) AS (VALUES (0, 'gmail.com'), (1, 'Example.COM'), (2, 'mail.example.co.uk'),
      (3, 'outlook.com'), (4, 'yahoo.co.jp'), (5, 'posteo.de'), (6, 'corp.internal.example.org'),
      (7, 'proton.me'), (8, 'xn--mller-kva.de'), (9, 'icloud.com'), (10, 'fastmail.fm')),
    s(i, h) AS (SELECT i, (i * 1103515245 + 12345) % 2147483648 FROM n)
    INSERT INTO t SELECT
      CASE WHEN s.i % 97 = 0 THEN '  ' ELSE '' END ||
      CASE s.i % 4 WHEN 0 THEN lower(f.name) WHEN 1 THEN f.name ELSE substr(f.name, 1, 1) END ||
      '.' || CASE WHEN s.i % 3 = 0 THEN upper(l.name) ELSE l.name END || s.h ||
      CASE WHEN s.i % 5 = 0 THEN '+news' WHEN s.i % 11 = 0 THEN '+crm.' || (s.i % 7) ELSE '' END ||
      '@' || d.name || CASE WHEN s.i % 89 = 0 THEN ' ' ELSE '' END,
      CASE WHEN s.i % 53 = 0 THEN NULL WHEN s.i % 59 = 0 THEN '' ELSE f.name END,
      CASE WHEN s.i % 1009 = 0 THEN 9007199254740993 + s.i ELSE (s.h % 200001) - 100000 END
    FROM s CROSS JOIN f CROSS JOIN l CROSS JOIN d  -- CROSS JOIN: s outermost, or it is quadratic
    WHERE f.k = s.i % 16 AND l.k = (s.i / 16) % 14 AND d.k = s.h % 11;"
fi

"$emulator" hubspot --port 0 --per-10s 0 --daily 0 > "$work/emulator.out" 2> "$work/emulator.log" &
emulator_pid=$!
trap 'kill $emulator_pid 2>/dev/null || true' EXIT
for _ in $(seq 50); do grep -q listening "$work/emulator.out" && break; sleep 0.1; done
endpoint=$(sed -n 's/^listening on //p' "$work/emulator.out")

cat > "$work/sync.json" <<JSON
{
  "name": "bench_narrow",
  "source": { "type": "sqlite", "path": "model.sqlite", "query": "$query", "key": "email" },
  "destination": { "type": "hubspot", "endpoint": "$endpoint", "token": "emulator-token",
                   "rate_limit": { "per_10s": 0, "daily": 0 } },
  "mode": "upsert",
  "delivery": { "concurrency": 8 }
}
JSON
state=$work/state
rm -rf "$state"

# timed LABEL COMMAND...: runs it under GNU time, stdout to $work/LABEL.out; prints
# "seconds peak_rss_mb cpu_seconds" (user + system: steadier than wall time on a shared machine).
timed() {
  local label=$1
  shift
  /usr/bin/time -f "%e %M %U %S" -o "$work/$label.time" "$@" > "$work/$label.out"
  read -r secs kb user sys < "$work/$label.time"
  echo "$secs $((kb / 1024)) $(awk -v u="$user" -v s="$sys" 'BEGIN { printf "%.2f", u + s }')"
}
sqlite_read() { timed sqlite3 sqlite3 -batch "$db" "$query"; }
rerun() { timed rerun "$backflow" run "$work/sync.json" --state "$state" --json; }
field() { sed -n "s/.*\"$1\":\([0-9]*\).*/\1/p" "$work/$2.out"; }

# Drops the page cache of the model and the state (needs root); "" when it cannot.
drop_cache() {
  sync
  { echo 3 > /proc/sys/vm/drop_caches; } 2> /dev/null && return 0
  return 1
}

read -r first_s first_mb _ < <(timed first "$backflow" run "$work/sync.json" --state "$state" --json)
echo "first run: ${first_s}s, $(field delivered first) delivered, ${first_mb} MB" >&2

warm_sqlite=() warm_rerun=() cold_sqlite=() cold_rerun=() rss=() cpu_sqlite=() cpu_rerun=()
sqlite_read > /dev/null  # warm the model's pages
# The first unchanged re-run looks every row up and remembers the spans it proved unchanged
# (docs/RELIABILITY.md section 15); the rounds measure the re-runs after it.
read -r lookup_s lookup_mb lookup_cpu < <(rerun)
echo "first unchanged re-run (every row looked up): ${lookup_s}s, ${lookup_cpu} CPU s, ${lookup_mb} MB" >&2
for round in $(seq "$rounds"); do
  echo "round $round: load $(cut -d' ' -f1-3 /proc/loadavg)" >&2
  read -r s _ cpu < <(sqlite_read)
  warm_sqlite+=("$s")
  cpu_sqlite+=("$cpu")
  read -r s mb cpu < <(rerun)
  cpu_rerun+=("$cpu")
  [[ $(field unchanged rerun) == "$rows" ]] || { echo "re-run did not find $rows unchanged rows" >&2; cat "$work/rerun.out" >&2; exit 1; }
  warm_rerun+=("$s")
  rss+=("$mb")
  if drop_cache; then
    read -r s _ _ < <(sqlite_read)
    cold_sqlite+=("$s")
    drop_cache
    read -r s _ _ < <(rerun)
    cold_rerun+=("$s")
  fi
done

# best and median of the arguments
stats() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { printf "%s %s\n", v[1], v[int((NR + 1) / 2)] }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'; }
row() {  # row LABEL SQLITE_TIMES... -- RERUN_TIMES...
  local label=$1 sq=() re=() seen=0
  shift
  for v in "$@"; do
    [[ $v == -- ]] && { seen=1; continue; }
    ((seen)) && re+=("$v") || sq+=("$v")
  done
  read -r sq_best sq_med < <(stats "${sq[@]}")
  read -r re_best re_med < <(stats "${re[@]}")
  echo "| $label | $sq_best / $sq_med | $re_best / $re_med | $(ratio "$re_best" "$sq_best")x / $(ratio "$re_med" "$sq_med")x |"
}

echo
echo "narrow model, $rows rows, $(nproc) cores, $rounds interleaved rounds, $(date -u +%Y-%m-%d)"
echo
echo "| page cache | sqlite3 -batch s (best / median) | unchanged re-run s (best / median) | ratio (best / median) |"
echo "|---|---|---|---|"
row warm "${warm_sqlite[@]}" -- "${warm_rerun[@]}"
row "warm, CPU s (user + system)" "${cpu_sqlite[@]}" -- "${cpu_rerun[@]}"
if ((${#cold_rerun[@]})); then
  row cold "${cold_sqlite[@]}" -- "${cold_rerun[@]}"
else
  echo "| cold | cannot drop the page cache here (needs root) | | |"
fi
read -r rss_best rss_med < <(stats "${rss[@]}")
echo
echo "peak RSS of the warm re-run: ${rss_best} MB at least, ${rss_med} MB median; first run ${first_s} s, ${first_mb} MB;"
echo "first unchanged re-run (every row looked up, spans remembered): ${lookup_s} s, ${lookup_cpu} CPU s, ${lookup_mb} MB"
