#!/usr/bin/env bash
# A throwaway PostgreSQL for the cluster example, the distributed tests and the remote-call
# benchmark: Debian's packages (apt-get install postgresql), a fresh data directory, loopback
# only, trust authentication, one database.
#
#   examples/cluster/postgres.sh start   # prints the connection URL on stdout
#   examples/cluster/postgres.sh stop    # stops it and deletes the data directory
#   examples/cluster/postgres.sh url     # prints the URL
#
# Settings (environment): EFFECT_OTP_PG_PORT (default 55432), EFFECT_OTP_PG_DIR (default
# /tmp/effect-otp-pg), EFFECT_OTP_PG_DB (default effect_otp). Export the URL as
# EFFECT_OTP_PG_URL for `npm test`, the example and the benchmark:
#
#   export EFFECT_OTP_PG_URL=$(examples/cluster/postgres.sh start)
set -euo pipefail

port="${EFFECT_OTP_PG_PORT:-55432}"
dir="${EFFECT_OTP_PG_DIR:-/tmp/effect-otp-pg}"
db="${EFFECT_OTP_PG_DB:-effect_otp}"
url="postgres://postgres@127.0.0.1:${port}/${db}"

bindir() {
  if command -v initdb >/dev/null 2>&1; then dirname "$(readlink -f "$(command -v initdb)")"; return; fi
  local found
  found="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)"
  if [ -z "$found" ]; then
    echo "postgres.sh: PostgreSQL is not installed (apt-get install -y postgresql)" >&2
    exit 1
  fi
  echo "$found"
}

# PostgreSQL refuses to run as root: run its tools as the `postgres` user the package created.
as_owner() {
  if [ "$(id -u)" = "0" ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

case "${1:-}" in
  start)
    bin="$(bindir)"
    if [ -f "$dir/data/postmaster.pid" ] && as_owner "$bin/pg_ctl" -D "$dir/data" status >/dev/null 2>&1; then
      echo "$url"
      exit 0
    fi
    rm -rf "$dir"
    mkdir -p "$dir"
    if [ "$(id -u)" = "0" ]; then chown postgres:postgres "$dir"; fi
    as_owner "$bin/initdb" -D "$dir/data" -U postgres --auth=trust --encoding=UTF8 --no-sync >"$dir/initdb.log" 2>&1 ||
      { cat "$dir/initdb.log" >&2; exit 1; }
    as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
      -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
      start >/dev/null || { cat "$dir/server.log" >&2; exit 1; }
    as_owner "$bin/createdb" -h 127.0.0.1 -p "$port" -U postgres "$db"
    echo "$url"
    ;;
  stop)
    if [ -d "$dir/data" ]; then
      bin="$(bindir)"
      as_owner "$bin/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
    fi
    rm -rf "$dir"
    ;;
  url)
    echo "$url"
    ;;
  *)
    echo "usage: $0 start|stop|url" >&2
    exit 2
    ;;
esac
