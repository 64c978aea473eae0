#!/usr/bin/env bash
# OpenStack Swift (proxy + account + container + object, tempauth, s3api) on 127.0.0.1:58888.
# One port serves both the Swift API (auth v1: test:tester / testing) and S3 (key test:tester, secret testing).
# Rings take ~13 s to build once; the four servers start in ~9 s. Started once per CI run.
. "$(dirname "$0")/lib.bash"
bash "$(dirname "$0")/memcached.sh"
DIR=$CI_ROOT/swift
ETC=$DIR/etc
check() {
  curl -fsS http://127.0.0.1:58888/healthcheck | grep -q OK &&
    curl -fsS -o /dev/null -H 'X-Auth-User: test:tester' -H 'X-Auth-Key: testing' http://127.0.0.1:58888/auth/v1.0
}
if check >/dev/null 2>&1; then echo "swift: already up"; exit 0; fi
mkdir -p "$ETC" "$DIR/node/d1" "$DIR/cache" "$DIR/run"
cat >"$ETC/swift.conf" <<CONF
[swift-hash]
swift_hash_path_prefix = homelab-ci
swift_hash_path_suffix = homelab-ci
[storage-policy:0]
name = Policy-0
default = yes
CONF
declare -A PORTS=([object]=56010 [container]=56011 [account]=56012)
for kind in object container account; do
  cat >"$ETC/$kind-server.conf" <<CONF
[DEFAULT]
bind_ip = 127.0.0.1
bind_port = ${PORTS[$kind]}
workers = 0
user = root
swift_dir = $ETC
devices = $DIR/node
mount_check = false
recon_cache_path = $DIR/cache
[pipeline:main]
pipeline = $kind-server
[app:$kind-server]
use = egg:swift#$kind
CONF
  if [ ! -f "$ETC/$kind.ring.gz" ]; then
    (cd "$ETC" && swift-ring-builder "$kind.builder" create 10 1 1 >/dev/null &&
      swift-ring-builder "$kind.builder" add "r1z1-127.0.0.1:${PORTS[$kind]}/d1" 100 >/dev/null &&
      swift-ring-builder "$kind.builder" rebalance >/dev/null)
  fi
done
cat >"$ETC/proxy-server.conf" <<CONF
[DEFAULT]
bind_ip = 127.0.0.1
bind_port = 58888
workers = 0
user = root
swift_dir = $ETC
[pipeline:main]
pipeline = catch_errors gatekeeper healthcheck proxy-logging cache listing_formats s3api tempauth copy slo dlo versioned_writes proxy-logging proxy-server
[app:proxy-server]
use = egg:swift#proxy
account_autocreate = true
[filter:tempauth]
use = egg:swift#tempauth
user_test_tester = testing .admin
user_admin_admin = admin .admin .reseller_admin
[filter:s3api]
use = egg:swift#s3api
[filter:cache]
use = egg:swift#memcache
memcache_servers = 127.0.0.1:51211
[filter:catch_errors]
use = egg:swift#catch_errors
[filter:gatekeeper]
use = egg:swift#gatekeeper
[filter:healthcheck]
use = egg:swift#healthcheck
[filter:proxy-logging]
use = egg:swift#proxy_logging
[filter:listing_formats]
use = egg:swift#listing_formats
[filter:copy]
use = egg:swift#copy
[filter:slo]
use = egg:swift#slo
[filter:dlo]
use = egg:swift#dlo
[filter:versioned_writes]
use = egg:swift#versioned_writes
CONF
for kind in object container account proxy; do
  start "swift-$kind" "swift-$kind-server" "$ETC/$kind-server.conf" -v
done
LOG=$CI_ROOT/swift-proxy/swift-proxy.log
wait_until 60 swift check
