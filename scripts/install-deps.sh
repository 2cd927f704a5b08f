#!/usr/bin/env bash
# Installs every Debian package Backflow's build, tests and example need (idempotent).
set -euo pipefail

packages=(
  build-essential cmake pkg-config ninja-build
  libcaf-dev libcurl4-openssl-dev nlohmann-json3-dev liblmdb-dev libspdlog-dev
  libboost-test-dev libxxhash-dev libsqlite3-dev libpq-dev libcpp-httplib-dev libssl-dev
  libmariadb-dev mariadb-server mariadb-client  # the mysql source and its test server
  zlib1g-dev openssl  # gzip in the warehouse emulators; key pairs made by the source tests
  libkainjow-mustache-dev  # the http destination's templates (header-only Mustache)
  libicu-dev  # Unicode normalisation and case mapping (transforms, Meta identifiers)
  postgresql sqlite3 curl time procps
  clickhouse-server clickhouse-client  # the ClickHouse source tests (scripts/clickhouse-test-server.sh)
  tzdata  # zone names in cron schedules ("timezone": "Europe/Paris")
  # clang's AddressSanitizer, UBSan and libFuzzer runtimes (scripts/fuzz.sh, sanitize-tests.sh):
  # clang only recommends libclang-rt-14-dev, which --no-install-recommends would leave out.
  clang libclang-rt-14-dev
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [[ ${#missing[@]} -eq 0 ]]; then
  echo "install-deps: all ${#packages[@]} packages already installed"
  exit 0
fi

sudo=()
[[ $EUID -eq 0 ]] || sudo=(sudo)
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -q
"${sudo[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
