#!/usr/bin/env bash
# Redis on 127.0.0.1:6379, no password, nothing persisted.
. "$(dirname "$0")/lib.bash"
DIR=$CI_ROOT/redis
check() { redis-cli -h 127.0.0.1 -p 6379 ping | grep -q PONG; }
if check >/dev/null 2>&1; then echo "redis: already up"; exit 0; fi
mkdir -p "$DIR"
start redis redis-server --bind 127.0.0.1 --port 6379 --dir "$DIR" --save "" --appendonly no --daemonize no
wait_until 10 redis check
