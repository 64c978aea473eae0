#!/usr/bin/env bash
# Prometheus on 127.0.0.1:59090 scraping itself and node-exporter every second.
. "$(dirname "$0")/lib.bash"
bash "$(dirname "$0")/node-exporter.sh"
DIR=$CI_ROOT/prometheus
both_up() {
  curl -fsS 'http://127.0.0.1:59090/api/v1/query?query=sum(up)' | grep -q '"value":\[[0-9.]*,"2"\]'
}
if both_up >/dev/null 2>&1; then echo "prometheus: already up"; exit 0; fi
mkdir -p "$DIR/data"
cat >"$DIR/prometheus.yml" <<CONF
global:
  scrape_interval: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: prometheus
    static_configs: [{targets: ["127.0.0.1:59090"]}]
  - job_name: node
    static_configs: [{targets: ["127.0.0.1:59100"]}]
CONF
start prometheus prometheus --config.file="$DIR/prometheus.yml" --storage.tsdb.path="$DIR/data" \
  --web.listen-address=127.0.0.1:59090
wait_until 30 "prometheus: both targets up" both_up
