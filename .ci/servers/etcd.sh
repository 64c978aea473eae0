#!/usr/bin/env bash
# etcd 3.4 on 127.0.0.1:52379 (peer 52380); the v3 JSON gateway answers on the client port.
. "$(dirname "$0")/lib.bash"
check() { curl -fsS http://127.0.0.1:52379/health | grep -q '"health":"true"'; }
if check >/dev/null 2>&1; then echo "etcd: already up"; exit 0; fi
mkdir -p "$CI_ROOT/etcd/data"
start etcd etcd --name ci --data-dir "$CI_ROOT/etcd/data" \
  --listen-client-urls http://127.0.0.1:52379 --advertise-client-urls http://127.0.0.1:52379 \
  --listen-peer-urls http://127.0.0.1:52380 --initial-advertise-peer-urls http://127.0.0.1:52380 \
  --initial-cluster ci=http://127.0.0.1:52380
wait_until 20 etcd check
