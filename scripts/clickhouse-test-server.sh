#!/usr/bin/env bash
# Starts or stops a throwaway ClickHouse server on 127.0.0.1 for tests: clickhouse-test-server.sh start|stop DIR
#
# start DIR: stops and removes any earlier server of DIR, installs clickhouse-server and
#            clickhouse-client from Debian if missing, starts a server with its data in DIR
#            (HTTP and native ports chosen free, listening on 127.0.0.1 only, user "backflow"
#            with a random password, time zone UTC, database backflow_test), writes DIR/url,
#            DIR/user, DIR/password and DIR/tcp_port, and prints the URL. Takes well under a second
#            once installed.
# stop DIR:  stops the server of DIR and removes DIR. Both are safe to repeat.
set -euo pipefail

readonly first_port=18123
readonly port_attempts=100

die() {
  echo "clickhouse-test-server: $*" >&2
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

server_bin=/usr/sbin/clickhouse-server

install_if_missing() {
  [[ -x "$server_bin" && -x /usr/bin/clickhouse-client ]] && return 0
  local sudo=()
  [[ $EUID -eq 0 ]] || sudo=(sudo)
  echo "clickhouse-test-server: installing clickhouse-server clickhouse-client" >&2
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -q --no-install-recommends \
    clickhouse-server clickhouse-client >&2 || die "could not install clickhouse-server"
}

port_in_use() {
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

free_port() {
  local port=$1
  while port_in_use "$port"; do
    port=$((port + 1))
    [[ $port -lt $((first_port + port_attempts * 2)) ]] || die "no free port from $1"
  done
  echo "$port"
}

stop_server() {
  [[ -f "$dir/pid" ]] || return 0
  local pid
  pid=$(cat "$dir/pid" 2>/dev/null || true)
  if [[ "$pid" =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do
      kill -0 "$pid" 2>/dev/null || return 0
      sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null || true
  fi
}

remove_server() {
  stop_server
  if [[ -d "$dir" ]]; then
    rm -rf -- "$dir/data" "$dir/tmp" "$dir/log" "$dir/user_files" "$dir/format_schemas" \
      "$dir/config.xml" "$dir/users.xml" "$dir/pid" "$dir/url" "$dir/user" "$dir/password" \
      "$dir/tcp_port" "$dir"/*-preprocessed.xml "$dir/preprocessed_configs"
    rmdir -- "$dir" 2>/dev/null ||
      echo "clickhouse-test-server: left $dir in place: it holds other files" >&2
  fi
}

write_config() {
  local http_port=$1 tcp_port=$2 password=$3
  cat >"$dir/config.xml" <<EOF
<?xml version="1.0"?>
<yandex>
  <logger><level>warning</level><log>$dir/log/server.log</log>
    <errorlog>$dir/log/server.err.log</errorlog><size>10M</size><count>1</count></logger>
  <http_port>$http_port</http_port>
  <tcp_port>$tcp_port</tcp_port>
  <listen_host>127.0.0.1</listen_host>
  <path>$dir/data/</path>
  <tmp_path>$dir/tmp/</tmp_path>
  <user_files_path>$dir/user_files/</user_files_path>
  <format_schema_path>$dir/format_schemas/</format_schema_path>
  <users_config>$dir/users.xml</users_config>
  <default_profile>default</default_profile>
  <default_database>default</default_database>
  <timezone>UTC</timezone>
  <mark_cache_size>268435456</mark_cache_size>
  <max_concurrent_queries>50</max_concurrent_queries>
</yandex>
EOF
  cat >"$dir/users.xml" <<EOF
<?xml version="1.0"?>
<yandex>
  <profiles><default><max_memory_usage>2000000000</max_memory_usage></default></profiles>
  <users>
    <default><password>$password</password><networks><ip>127.0.0.1</ip></networks>
      <profile>default</profile><quota>default</quota></default>
    <backflow><password>$password</password><networks><ip>127.0.0.1</ip></networks>
      <profile>default</profile><quota>default</quota></backflow>
  </users>
  <quotas><default><interval><duration>3600</duration><queries>0</queries><errors>0</errors>
    <result_rows>0</result_rows><read_rows>0</read_rows><execution_time>0</execution_time>
  </interval></default></quotas>
</yandex>
EOF
  chmod 600 -- "$dir/users.xml"
}

start() {
  remove_server
  install_if_missing
  mkdir -p -- "$dir/log" "$dir/data" "$dir/tmp"
  local password
  password=$(head -c 18 /dev/urandom | base64 | tr -d '/+=')
  local http_port tcp_port attempts=0
  while :; do
    http_port=$(free_port $((first_port + attempts * 2)))
    tcp_port=$(free_port $((http_port + 1)))
    write_config "$http_port" "$tcp_port" "$password"
    "$server_bin" --config-file="$dir/config.xml" --pid-file="$dir/pid" --daemon \
      >"$dir/log/stdout.log" 2>&1 || die "clickhouse-server did not start (log: $dir/log)"
    local up=""
    for _ in $(seq 1 100); do
      if curl -sf "http://127.0.0.1:$http_port/ping" >/dev/null 2>&1; then
        up=yes
        break
      fi
      [[ -f "$dir/pid" ]] && ! kill -0 "$(cat "$dir/pid")" 2>/dev/null && break
      sleep 0.1
    done
    [[ -n "$up" ]] && break
    stop_server
    # Another run may take a port between the probe and the start: then try the next ones.
    if ! grep -qiE "address already in use" "$dir/log/"*.log 2>/dev/null ||
      [[ $attempts -ge $port_attempts ]]; then
      tail -n 20 "$dir/log/server.err.log" >&2 2>/dev/null || true
      die "ClickHouse did not answer on port $http_port (log: $dir/log)"
    fi
    attempts=$((attempts + 1))
  done

  local url="http://127.0.0.1:$http_port"
  curl -sf -u "backflow:$password" "$url/" --data-binary "CREATE DATABASE IF NOT EXISTS backflow_test" \
    >/dev/null || die "could not create database backflow_test (log: $dir/log)"
  echo "$url" >"$dir/url"
  echo backflow >"$dir/user"
  echo "$password" >"$dir/password"
  echo "$tcp_port" >"$dir/tcp_port"
  chmod 600 -- "$dir/password"
  echo "$url"
}

case "$command" in
  start) start ;;
  stop) remove_server ;;
  *) usage ;;
esac
