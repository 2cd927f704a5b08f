#!/usr/bin/env bash
# Fails on an #include that runs up the layers (README, Architecture): a file may include its own
# layer and the layers below it, never one above; emulators include only the core layer, so that
# none is written from the connector it checks. Run by scripts/test.sh.
set -euo pipefail
cd "$(dirname "$0")/.."

# Path prefix, layer number and name, bottom to top. The longest matching prefix wins.
layers='
pipelines/core        1 core
pipelines/mapping     2 policy
pipelines/delivery    2 policy
pipelines/diff        2 policy
pipelines/schedule    2 policy
state                 3 state
connectors            4 connectors
actors                5 actors
pipelines/config      6 engine
pipelines/dbt         6 engine
pipelines/sync        6 engine
pipelines/serve       7 application
pipelines/cli         7 application
'
emulator_dirs='^emulators/'

git ls-files -- '*.cpp' '*.hpp' | grep -Ev '^(tests|bench)/' |
  while read -r file; do
    grep -Hn '^#include "' "$file" | sed 's/^\([^:]*\):\([0-9]*\):#include "\([^"]*\)".*/\1 \2 \3/' || true
  done |
  awk -v layers="$layers" -v emulators="$emulator_dirs" '
    BEGIN {
      n = split(layers, lines, "\n")
      for (i = 1; i <= n; i++)
        if (split(lines[i], f, " ") == 3) { prefix[f[1]] = f[2]; name[f[1]] = f[3] }
    }
    # The longest prefix of `path` in the table, or "" when none matches.
    function layer_of(path,   p, best) {
      best = ""
      for (p in prefix)
        if (index(path, p "/") == 1 && length(p) > length(best)) best = p
      return best
    }
    {
      file = $1; line = $2; inc = $3
      if (file ~ emulators) {
        if (inc !~ emulators && layer_of(inc) != "pipelines/core") {
          printf "%s:%s: an emulator includes %s (emulators may include only pipelines/core)\n", file, line, inc
          bad++
        }
        next
      }
      from = layer_of(file); to = layer_of(inc)
      if (inc ~ emulators) to = "emulators"
      if (from == "") { printf "%s: in no layer (scripts/check-layers.sh)\n", file; bad++; next }
      if (to == "emulators" || to == "") {
        printf "%s:%s: includes %s, which is in no layer below it\n", file, line, inc; bad++; next
      }
      if (prefix[to] > prefix[from]) {
        printf "%s:%s: %s (%s, layer %d) includes %s (%s, layer %d)\n", file, line, file, \
               name[from], prefix[from], inc, name[to], prefix[to]
        bad++
      }
      checked++
    }
    END {
      if (bad > 0) { printf "check-layers: %d includes run up or out of the layers\n", bad; exit 1 }
      printf "check-layers: %d includes, none runs up\n", checked
    }'
