#!/usr/bin/env bash
# MariaDB on 127.0.0.1:3306, root without a password over TCP, database "test".
. "$(dirname "$0")/lib.bash"
DIR=$CI_ROOT/mariadb
SQL=(mariadb --protocol=tcp -h 127.0.0.1 -P 3306 -uroot)
check() { "${SQL[@]}" -D test -e 'select 1'; }
if check >/dev/null 2>&1; then echo "mariadb: already up"; exit 0; fi
install -d -o mysql "$DIR" "$DIR/data" "$DIR/run"
if [ ! -d "$DIR/data/mysql" ]; then
  mariadb-install-db --user=mysql --datadir="$DIR/data" --auth-root-authentication-method=normal \
    --skip-test-db >"$DIR/install.log" 2>&1
fi
start mariadb mariadbd --no-defaults --user=mysql --datadir="$DIR/data" --bind-address=127.0.0.1 --port=3306 \
  --socket="$DIR/run/mysqld.sock" --pid-file="$DIR/run/mysqld.pid" --skip-name-resolve \
  --innodb-buffer-pool-size=64M
wait_until 30 "mariadb listening" "${SQL[@]}" -e 'select 1'
"${SQL[@]}" -e 'create database if not exists test'
wait_until 5 mariadb check
