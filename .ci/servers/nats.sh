#!/usr/bin/env bash
# NATS with JetStream on 127.0.0.1:4222 (monitoring on 8222).
. "$(dirname "$0")/lib.bash"
DIR=$CI_ROOT/nats
check() { curl -fsS 'http://127.0.0.1:8222/healthz?js-enabled-only=true' | grep -q ok; }
if check >/dev/null 2>&1; then echo "nats: already up"; exit 0; fi
mkdir -p "$DIR/store"
start nats nats-server -a 127.0.0.1 -p 4222 -m 8222 -js -sd "$DIR/store"
wait_until 10 nats check
