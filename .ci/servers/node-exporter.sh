#!/usr/bin/env bash
# prometheus-node-exporter on 127.0.0.1:59100 (a scrape target for the Prometheus probe).
. "$(dirname "$0")/lib.bash"
check() { curl -fsS http://127.0.0.1:59100/metrics | grep -q '^node_'; }
if check >/dev/null 2>&1; then echo "node-exporter: already up"; exit 0; fi
start node-exporter prometheus-node-exporter --web.listen-address=127.0.0.1:59100
wait_until 10 node-exporter check
