#!/usr/bin/env bash
# Run a command with DATABASE_URL pointing at PostgreSQL.
# Uses $DATABASE_URL if it is a postgres:// URL, else the server on 127.0.0.1:5432 if one answers,
# else starts a throwaway server in a temporary directory (installing Debian's package if needed)
# and removes it afterwards.
set -euo pipefail
if [[ "${DATABASE_URL:-}" == postgres* ]]; then exec "$@"; fi
PROBE_PORT=${YICHUANG_PG_PROBE_PORT:-5432}
if command -v pg_isready >/dev/null && pg_isready -q -h 127.0.0.1 -p "$PROBE_PORT" -U postgres; then
  export DATABASE_URL=postgres://postgres@127.0.0.1:$PROBE_PORT/postgres
  exec "$@"
fi

pg_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1; }
if [ -z "$(pg_bin)" ]; then
  echo "no PostgreSQL found: installing Debian's postgresql package …"
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq postgresql >/dev/null
fi
BIN=$(pg_bin)
DIR=$(mktemp -d /tmp/yichuang-pg.XXXXXX)
PORT=${YICHUANG_PG_PORT:-55432}
RUNAS=()
if [ "$(id -u)" = 0 ]; then
  chown postgres "$DIR"
  RUNAS=(runuser -u postgres --)
fi
cleanup() { "${RUNAS[@]}" "$BIN/pg_ctl" -D "$DIR/data" -m immediate stop >/dev/null 2>&1 || true; rm -rf "$DIR"; }
trap cleanup EXIT
"${RUNAS[@]}" "$BIN/initdb" -D "$DIR/data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
"${RUNAS[@]}" "$BIN/pg_ctl" -D "$DIR/data" -l "$DIR/log" -w \
  -o "-p $PORT -k $DIR -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200" start >/dev/null
echo "throwaway PostgreSQL on 127.0.0.1:$PORT"
export DATABASE_URL=postgres://postgres@127.0.0.1:$PORT/postgres
"$@"
