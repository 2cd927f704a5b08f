#!/usr/bin/env bash
# Starts or stops a throwaway PostgreSQL cluster on 127.0.0.1 for tests: pg-test-server.sh start|stop DIR
#
# start DIR: stops and removes any earlier cluster of DIR, creates a new one (trust auth, loopback
#            only, no fsync), creates database backflow_test, writes its DSN to DIR/dsn and prints it.
# stop DIR:  stops the cluster of DIR and removes DIR. Both are safe to repeat.
#
# The cluster lives in DIR, unless the postgres user cannot reach DIR (e.g. under /root) or the
# socket path would be too long: then it lives in /tmp/backflow-pg.XXXXXX and DIR/cluster names it.
set -euo pipefail

readonly first_port=54329
readonly port_attempts=50

die() {
  echo "pg-test-server: $*" >&2
  exit 1
}

usage() {
  echo "usage: $0 start|stop DIR" >&2
  exit 2
}

[[ $# -eq 2 ]] || usage
command=$1
dir=$(realpath -m -- "$2")
[[ "$dir" != "/" ]] || die "refusing to use / as the cluster directory"

bin_dir=$(printf '%s\n' /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
[[ -n "$bin_dir" && -x "$bin_dir/initdb" && -x "$bin_dir/pg_ctl" ]] ||
  die "no PostgreSQL server binaries under /usr/lib/postgresql/*/bin (install postgresql)"

# PostgreSQL refuses to run as root: as root, run its tools as the postgres user.
as_pg() {
  if [[ $EUID -eq 0 ]]; then
    (cd / && runuser -u postgres -- "$@")
  else
    "$@"
  fi
}

# The directory that holds the cluster of DIR: DIR itself or the one DIR/cluster points to.
cluster_home() {
  if [[ -f "$dir/cluster" ]]; then
    cat "$dir/cluster"
  else
    echo "$dir"
  fi
}

# Stops the server of a cluster home if one runs there, falling back to harsher shutdown modes.
stop_server() {
  local home=$1
  [[ -f "$home/data/postmaster.pid" ]] || return 0
  as_pg "$bin_dir/pg_ctl" -D "$home/data" -w -t 30 stop -m fast >/dev/null 2>&1 ||
    as_pg "$bin_dir/pg_ctl" -D "$home/data" -w -t 30 stop -m immediate >/dev/null 2>&1 || true
  local pid
  pid=$(head -n 1 "$home/data/postmaster.pid" 2>/dev/null || true)
  if [[ "$pid" =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null; then
    kill -KILL "$pid" 2>/dev/null || true
  fi
}

# Stops and deletes whatever an earlier start left for DIR.
remove_cluster() {
  local home
  home=$(cluster_home)
  stop_server "$home"
  if [[ "$home" != "$dir" ]]; then
    # Only ever delete a directory this script made.
    if [[ "$home" == /tmp/backflow-pg.* ]]; then
      rm -rf -- "$home"
    fi
  fi
  if [[ -d "$dir" ]]; then
    rm -rf -- "$dir/data" "$dir/log" "$dir/initdb.log" "$dir/dsn" "$dir/cluster" "$dir"/.s.PGSQL.*
    rmdir -- "$dir" 2>/dev/null || echo "pg-test-server: left $dir in place: it holds other files" >&2
  fi
}

port_in_use() {
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# Chooses where the cluster lives: DIR if the postgres user can use it, else a fresh /tmp dir.
make_home() {
  mkdir -p -- "$dir"
  local home=$dir
  if [[ $EUID -eq 0 ]]; then
    chown postgres: -- "$dir"
    if ! runuser -u postgres -- test -w "$dir" -a -x "$dir" 2>/dev/null; then
      home=""
    fi
  fi
  # Unix socket paths are limited to about 107 bytes.
  if [[ -n "$home" && ${#home} -gt 80 ]]; then
    home=""
  fi
  if [[ -z "$home" ]]; then
    home=$(mktemp -d /tmp/backflow-pg.XXXXXX)
    chmod 700 -- "$home"
    if [[ $EUID -eq 0 ]]; then
      chown postgres: -- "$home"
    fi
  fi
  echo "$home"
}

start() {
  remove_cluster
  local home
  home=$(make_home)
  echo "$home" >"$dir/cluster"

  if ! as_pg "$bin_dir/initdb" -D "$home/data" --auth=trust -U postgres -E UTF8 --locale=C \
    --no-sync >"$home/initdb.log" 2>&1; then
    cat "$home/initdb.log" >&2
    die "initdb failed for $home/data"
  fi

  local port=$first_port attempts=0 started=""
  while [[ $attempts -lt $port_attempts ]]; do
    if ! port_in_use "$port"; then
      # Another run may take the port between the probe and the start: then try the next one.
      if as_pg "$bin_dir/pg_ctl" -D "$home/data" -w -t 60 -l "$home/log" start \
        -o "-c listen_addresses=127.0.0.1 -p $port -k '$home' -c fsync=off -c full_page_writes=off -c synchronous_commit=off" \
        >/dev/null 2>&1; then
        started=yes
        break
      fi
      if ! grep -qiE "could not (bind|create listen)|address already in use" "$home/log" 2>/dev/null; then
        tail -n 20 "$home/log" >&2 2>/dev/null || true
        die "PostgreSQL did not start (log: $home/log)"
      fi
    fi
    port=$((port + 1))
    attempts=$((attempts + 1))
  done
  [[ -n "$started" ]] || die "no free port in $first_port..$((first_port + port_attempts - 1))"

  as_pg "$bin_dir/createdb" -h 127.0.0.1 -p "$port" -U postgres backflow_test ||
    die "could not create database backflow_test (log: $home/log)"

  local dsn="host=127.0.0.1 port=$port user=postgres dbname=backflow_test"
  echo "$dsn" >"$dir/dsn"
  chmod 644 -- "$dir/dsn"
  echo "$dsn"
}

case "$command" in
  start) start ;;
  stop) remove_cluster ;;
  *) usage ;;
esac
