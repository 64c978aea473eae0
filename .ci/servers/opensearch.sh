#!/usr/bin/env bash
# OpenSearch (one node, single-node discovery, no security plugin) on 127.0.0.1:59200 (transport 59300),
# data under /tmp/homelab-ci/opensearch. OpenSearch's own jars from Maven Central at the version pinned in
# opensearch/pom.xml, started by opensearch/OpenSearchNode.java (OpenSearch's Node with its Netty4 module;
# the release tarball is not on any registry here). Elasticsearch itself is on no registry here.
# ci: background
. "$(dirname "$0")/lib.bash"
HERE=$(cd "$(dirname "$0")/opensearch" && pwd)
DIR=$CI_ROOT/opensearch
check() { curl -fsS http://127.0.0.1:59200/_cluster/health | grep -qE '"status":"(green|yellow)"'; }
if check >/dev/null 2>&1; then echo "opensearch: already up"; exit 0; fi
version=$(sed -n 's:.*<opensearch.version>\(.*\)</opensearch.version>.*:\1:p' "$HERE/pom.xml")
maven_classpath opensearch "$version" "$HERE"
rm -rf "$DIR/home/data"  # a fresh cluster state each start (no block or index left from an earlier run)
mkdir -p "$DIR/home/config"
start opensearch java -Xms512m -Xmx512m -XX:+UseSerialGC -cp "$LIB/*" "$HERE/OpenSearchNode.java" "$DIR/home" 59200 59300
wait_until 300 opensearch check
