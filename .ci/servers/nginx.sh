#!/usr/bin/env bash
# nginx on 127.0.0.1:58080: /healthz answers 200 "ok" (the HTTP probe's real web server).
. "$(dirname "$0")/lib.bash"
DIR=$CI_ROOT/nginx
check() { curl -fsS http://127.0.0.1:58080/healthz | grep -q ok; }
if check >/dev/null 2>&1; then echo "nginx: already up"; exit 0; fi
mkdir -p "$DIR/tmp"
cat >"$DIR/nginx.conf" <<CONF
pid $DIR/nginx.pid;
error_log stderr;
events { worker_connections 64; }
http {
  access_log off;
  client_body_temp_path $DIR/tmp/body;
  proxy_temp_path $DIR/tmp/proxy;
  fastcgi_temp_path $DIR/tmp/fastcgi;
  uwsgi_temp_path $DIR/tmp/uwsgi;
  scgi_temp_path $DIR/tmp/scgi;
  server {
    listen 127.0.0.1:58080;
    location = /healthz { default_type text/plain; return 200 "ok\n"; }
    location / { default_type text/plain; return 404 "not here\n"; }
  }
}
CONF
start nginx nginx -e stderr -p "$DIR" -c "$DIR/nginx.conf" -g 'daemon off;'
wait_until 10 nginx check
