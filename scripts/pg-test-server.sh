#!/usr/bin/env bash
# Start (or reuse) a throwaway PostgreSQL server on loopback for the test suite and print its
# SQLAlchemy URL. Data lives in a temporary directory; `scripts/pg-test-server.sh stop` ends it.
set -euo pipefail

PORT="${SHAREWELL_PG_PORT:-55432}"
DATA="${SHAREWELL_PG_DATA:-/tmp/sharewell-pg-$PORT}"
BIN="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)"
URL="postgresql+psycopg://postgres@127.0.0.1:$PORT/postgres"

# PostgreSQL refuses to run as root; run it as the postgres system user when we are root.
as_pg() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

if [ "${1:-start}" = "stop" ]; then
  [ -d "$DATA" ] && as_pg "$BIN/pg_ctl" -D "$DATA" -m fast stop >/dev/null 2>&1 || true
  exit 0
fi

if as_pg "$BIN/pg_isready" -h 127.0.0.1 -p "$PORT" -q 2>/dev/null; then
  echo "$URL"; exit 0
fi
rm -rf "$DATA"
mkdir -p "$DATA"
[ "$(id -u)" -eq 0 ] && chown postgres "$DATA"
as_pg "$BIN/initdb" -D "$DATA" -U postgres --auth=trust -E UTF8 >/dev/null
# Tuned for a test run, not for durability: the data is thrown away.
as_pg "$BIN/pg_ctl" -D "$DATA" -l "$DATA/server.log" -w \
  -o "-p $PORT -k $DATA -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
  start >/dev/null
echo "$URL"
