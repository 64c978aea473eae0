#!/usr/bin/env bash
# Memcached 1.6 on 127.0.0.1:51211 (verify's memcached probe; Swift's tempauth token cache).
. "$(dirname "$0")/lib.bash"
check() { exec 3<>/dev/tcp/127.0.0.1/51211 && printf 'version\r\n' >&3 && timeout 2 head -c 7 <&3 | grep -q VERSION; }
if check >/dev/null 2>&1; then echo "memcached: already up"; exit 0; fi
start memcached memcached -l 127.0.0.1 -p 51211 -U 0 -m 64 -u nobody
wait_until 10 memcached check
