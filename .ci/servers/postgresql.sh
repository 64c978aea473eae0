#!/usr/bin/env bash
# PostgreSQL on 127.0.0.1:5432, trust authentication, superuser postgres, database "test".
. "$(dirname "$0")/lib.bash"
DIR=$CI_ROOT/postgresql
check() { psql -h 127.0.0.1 -p 5432 -U postgres -d test -Atc 'select 1' | grep -q 1; }
if check >/dev/null 2>&1; then echo "postgresql: already up"; exit 0; fi
BIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
as_postgres() { setpriv --reuid=postgres --regid=postgres --init-groups "$@"; }
install -d -o postgres "$DIR" "$DIR/sock"
if [ ! -f "$DIR/data/PG_VERSION" ]; then
  as_postgres "$BIN/initdb" -D "$DIR/data" -A trust -U postgres >"$DIR/initdb.log" 2>&1
fi
start postgresql setpriv --reuid=postgres --regid=postgres --init-groups "$BIN/postgres" -D "$DIR/data" \
  -k "$DIR/sock" -c listen_addresses=127.0.0.1 -p 5432 -c max_connections=200 -c fsync=off
wait_until 30 "postgresql listening" psql -h 127.0.0.1 -p 5432 -U postgres -Atc 'select 1'
psql -h 127.0.0.1 -p 5432 -U postgres -Atc "select 1 from pg_database where datname = 'test'" | grep -q 1 ||
  psql -h 127.0.0.1 -p 5432 -U postgres -qc 'create database test'
wait_until 5 postgresql check
