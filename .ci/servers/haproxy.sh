#!/usr/bin/env bash
# HAProxy on 127.0.0.1:58081 in front of nginx (stats on 58404): the HTTP probe through a proxy.
. "$(dirname "$0")/lib.bash"
bash "$(dirname "$0")/nginx.sh"
DIR=$CI_ROOT/haproxy
check() { curl -fsS http://127.0.0.1:58081/healthz | grep -q ok; }
if check >/dev/null 2>&1; then echo "haproxy: already up"; exit 0; fi
mkdir -p "$DIR"
cat >"$DIR/haproxy.cfg" <<CONF
defaults
  mode http
  timeout connect 2s
  timeout client 10s
  timeout server 10s
frontend web
  bind 127.0.0.1:58081
  default_backend nginx
frontend stats
  bind 127.0.0.1:58404
  stats enable
  stats uri /stats
backend nginx
  server n1 127.0.0.1:58080 check inter 1s
CONF
start haproxy haproxy -W -db -f "$DIR/haproxy.cfg"
wait_until 10 haproxy check
