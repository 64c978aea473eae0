#!/usr/bin/env bash
# ClickHouse server 18.16 (Debian bookworm's clickhouse-server: old, but the real server) with its HTTP
# interface on 127.0.0.1:58123 (native protocol 58124), data under /tmp/homelab-ci/clickhouse.
# One user, homelab / homelab-clickhouse-pw (test-only; tests/verify/test_real_servers.py holds the same).
. "$(dirname "$0")/lib.bash"
DIR=$CI_ROOT/clickhouse
check() { curl -fsS -u homelab:homelab-clickhouse-pw http://127.0.0.1:58123/ --data-binary 'SELECT 1' | grep -qx 1; }
if check >/dev/null 2>&1; then echo "clickhouse: already up"; exit 0; fi
mkdir -p "$DIR"
cat >"$DIR/config.xml" <<XML
<yandex>
  <logger><level>warning</level><console>1</console></logger>
  <listen_host>127.0.0.1</listen_host>
  <http_port>58123</http_port>
  <tcp_port>58124</tcp_port>
  <path>$DIR/data/</path>
  <tmp_path>$DIR/tmp/</tmp_path>
  <format_schema_path>$DIR/format_schemas/</format_schema_path>
  <mark_cache_size>67108864</mark_cache_size>
  <users_config>users.xml</users_config>
  <default_profile>default</default_profile>
  <default_database>default</default_database>
</yandex>
XML
cat >"$DIR/users.xml" <<XML
<yandex>
  <profiles><default/></profiles>
  <quotas><default/></quotas>
  <users>
    <homelab>
      <password>homelab-clickhouse-pw</password>
      <networks><ip>127.0.0.1</ip></networks>
      <profile>default</profile>
      <quota>default</quota>
    </homelab>
  </users>
</yandex>
XML
start clickhouse clickhouse-server --config-file="$DIR/config.xml"
wait_until 60 clickhouse check
