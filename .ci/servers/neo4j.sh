#!/usr/bin/env bash
# Neo4j Community with Bolt on 127.0.0.1:57687 (HTTP 57474), authentication on: user neo4j, password
# homelab-neo4j-pw (test-only; tests/verify/test_real_servers.py holds the same). Neo4j's own jars from
# Maven Central at the version pinned in neo4j/pom.xml, started with the server's entry point
# (org.neo4j.server.CommunityEntryPoint, as bin/neo4j console does); home under /tmp/homelab-ci/neo4j.
# ci: background
. "$(dirname "$0")/lib.bash"
HERE=$(cd "$(dirname "$0")/neo4j" && pwd)
HOME_DIR=$CI_ROOT/neo4j/home
# The HTTP API answers an authenticated Cypher query once the database is up (Bolt listens before that).
check() { curl -fsS -u neo4j:homelab-neo4j-pw -H 'Content-Type: application/json' \
  -d '{"statements":[{"statement":"RETURN 1"}]}' http://127.0.0.1:57474/db/neo4j/tx/commit | grep -q '"errors":\[\]'; }
if check >/dev/null 2>&1; then echo "neo4j: already up"; exit 0; fi
version=$(sed -n 's:.*<neo4j.version>\(.*\)</neo4j.version>.*:\1:p' "$HERE/pom.xml")
maven_classpath neo4j "$version" "$HERE"
mkdir -p "$HOME_DIR/conf"
cat >"$HOME_DIR/conf/neo4j.conf" <<CONF
server.default_listen_address=127.0.0.1
server.default_advertised_address=127.0.0.1
server.bolt.listen_address=127.0.0.1:57687
server.bolt.advertised_address=127.0.0.1:57687
server.http.listen_address=127.0.0.1:57474
server.https.enabled=false
server.memory.heap.initial_size=256m
server.memory.heap.max_size=512m
server.memory.pagecache.size=64m
dbms.security.auth_enabled=true
dbms.usage_report.enabled=false
CONF
if [ ! -d "$HOME_DIR/data/dbms" ]; then  # the initial password is set once, before the first start
  NEO4J_HOME=$HOME_DIR NEO4J_CONF=$HOME_DIR/conf java -cp "$LIB/*" org.neo4j.cli.AdminTool \
    dbms set-initial-password homelab-neo4j-pw >"$CI_ROOT/neo4j/password.log" 2>&1 || { cat "$CI_ROOT/neo4j/password.log" >&2; exit 1; }
fi
start neo4j java -Xms256m -Xmx512m -XX:+UseSerialGC -cp "$LIB/*" org.neo4j.server.CommunityEntryPoint \
  --home-dir="$HOME_DIR" --config-dir="$HOME_DIR/conf"
wait_until 300 neo4j check
