#!/usr/bin/env bash
# Starts or stops a throwaway MariaDB server on 127.0.0.1 for tests: mariadb-test-server.sh start|stop DIR
#
# start DIR: stops and removes any earlier server of DIR, installs mariadb-server if it is missing,
#            creates a new data directory (no fsync), starts the server on a free loopback port,
#            creates database backflow_test and user backflow with a random password (real
#            authentication, no --skip-grant-tables), and writes DIR/host, DIR/port, DIR/user,
#            DIR/password, DIR/database and DIR/url ("mysql://user:password@127.0.0.1:PORT/db").
# stop DIR:  stops the server of DIR and removes DIR. Both are safe to repeat.
#
# The admin socket lives in a short /tmp/backflow-mariadb.XXXXXX directory (socket paths are
# limited to about 107 bytes); DIR/home names it.
set -euo pipefail

readonly first_port=33069
readonly port_attempts=50

die() {
  echo "mariadb-test-server: $*" >&2
  exit 1
}

usage() {
  echo "usage: $0 start|stop DIR" >&2
  exit 2
}

[[ $# -eq 2 ]] || usage
command=$1
dir=$(realpath -m -- "$2")
[[ "$dir" != "/" ]] || die "refusing to use / as the server directory"

find_server() {
  local b
  for b in /usr/sbin/mariadbd /usr/bin/mariadbd; do
    [[ -x "$b" ]] && echo "$b" && return 0
  done
  return 1
}

# Installs the Debian server package when it is not there (as scripts/install-deps.sh would).
ensure_server() {
  find_server >/dev/null && command -v mariadb-install-db >/dev/null && return 0
  local sudo=()
  [[ $EUID -eq 0 ]] || sudo=(sudo)
  export DEBIAN_FRONTEND=noninteractive
  "${sudo[@]}" apt-get install -y -q --no-install-recommends mariadb-server mariadb-client >&2 ||
    { "${sudo[@]}" apt-get update -q >&2 &&
        "${sudo[@]}" apt-get install -y -q --no-install-recommends mariadb-server mariadb-client >&2; } ||
    die "could not install mariadb-server"
}

home_of() {
  if [[ -f "$dir/home" ]]; then cat "$dir/home"; fi
}

stop_server() {
  local home=$1 pid
  [[ -n "$home" && -f "$home/pid" ]] || return 0
  pid=$(cat "$home/pid" 2>/dev/null || true)
  [[ "$pid" =~ ^[0-9]+$ ]] || return 0
  kill -TERM "$pid" 2>/dev/null || return 0
  for _ in $(seq 1 100); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.1
  done
  kill -KILL "$pid" 2>/dev/null || true
}

remove_server() {
  local home
  home=$(home_of)
  if [[ -n "$home" ]]; then
    stop_server "$home"
    # Only ever delete a directory this script made.
    [[ "$home" == /tmp/backflow-mariadb.* ]] && rm -rf -- "$home"
  fi
  if [[ -d "$dir" ]]; then
    rm -rf -- "$dir/home" "$dir/host" "$dir/port" "$dir/user" "$dir/password" "$dir/database" \
      "$dir/url"
    rmdir -- "$dir" 2>/dev/null || echo "mariadb-test-server: left $dir in place: it holds other files" >&2
  fi
}

port_in_use() {
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

wait_ready() {
  local home=$1 pid=$2
  for _ in $(seq 1 300); do
    mariadb-admin --no-defaults --socket="$home/sock" -uroot ping >/dev/null 2>&1 && return 0
    kill -0 "$pid" 2>/dev/null || return 1
    sleep 0.1
  done
  return 1
}

start() {
  remove_server
  ensure_server
  local server
  server=$(find_server)
  mkdir -p -- "$dir"
  local home
  home=$(mktemp -d /tmp/backflow-mariadb.XXXXXX)
  echo "$home" >"$dir/home"
  local user
  user=$(id -un)

  if ! mariadb-install-db --no-defaults --datadir="$home/data" --user="$user" \
    --auth-root-authentication-method=socket --skip-test-db >"$home/install.log" 2>&1; then
    cat "$home/install.log" >&2
    die "mariadb-install-db failed for $home/data"
  fi

  local port=$first_port attempts=0 started=""
  while [[ $attempts -lt $port_attempts ]]; do
    if ! port_in_use "$port"; then
      "$server" --no-defaults --user="$user" --datadir="$home/data" --socket="$home/sock" \
        --pid-file="$home/pid" --bind-address=127.0.0.1 --port="$port" \
        --innodb-flush-log-at-trx-commit=0 --innodb-doublewrite=0 --innodb-flush-method=nosync \
        --innodb-buffer-pool-size=64M --skip-log-bin --character-set-server=utf8mb4 \
        --collation-server=utf8mb4_bin --log-error="$home/log" >/dev/null 2>&1 &
      local pid=$!
      if wait_ready "$home" "$pid"; then
        started=yes
        break
      fi
      # Another run may take the port between the probe and the start: then try the next one.
      if ! grep -qiE "bind on tcp/ip port|address already in use" "$home/log" 2>/dev/null; then
        tail -n 20 "$home/log" >&2 2>/dev/null || true
        die "MariaDB did not start (log: $home/log)"
      fi
    fi
    port=$((port + 1))
    attempts=$((attempts + 1))
  done
  [[ -n "$started" ]] || die "no free port in $first_port..$((first_port + port_attempts - 1))"

  local password
  password="pw-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
  mariadb --no-defaults --socket="$home/sock" -uroot <<SQL || die "could not create the test user (log: $home/log)"
CREATE DATABASE backflow_test CHARACTER SET utf8mb4 COLLATE utf8mb4_bin;
CREATE USER 'backflow'@'127.0.0.1' IDENTIFIED BY '$password';
CREATE USER 'backflow'@'localhost' IDENTIFIED BY '$password';
GRANT ALL PRIVILEGES ON *.* TO 'backflow'@'127.0.0.1';
GRANT ALL PRIVILEGES ON *.* TO 'backflow'@'localhost';
SQL

  echo 127.0.0.1 >"$dir/host"
  echo "$port" >"$dir/port"
  echo backflow >"$dir/user"
  echo "$password" >"$dir/password"
  echo backflow_test >"$dir/database"
  echo "mysql://backflow:$password@127.0.0.1:$port/backflow_test" >"$dir/url"
  chmod 644 -- "$dir"/host "$dir"/port "$dir"/user "$dir"/password "$dir"/database "$dir"/url
  echo "mysql://backflow:...@127.0.0.1:$port/backflow_test"
}

case "$command" in
  start) start ;;
  stop) remove_server ;;
  *) usage ;;
esac
