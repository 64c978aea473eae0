#!/usr/bin/env bash
# Apache Solr (standalone, one core "homelab-verify") on 127.0.0.1:58983/solr, basic authentication on: user
# homelab, password homelab-solr-pw (test-only; tests/verify/test_real_servers.py holds the same). Solr's own
# jars from Maven Central at the version pinned in solr/pom.xml, started by solr/SolrNode.java (Solr's
# JettySolrRunner; the release tarball is on no registry here). The core's configuration is solr/conf/
# (id plus *_s string fields); home, index and logs under /tmp/homelab-ci/solr.
# ci: background
. "$(dirname "$0")/lib.bash"
HERE=$(cd "$(dirname "$0")/solr" && pwd)
DIR=$CI_ROOT/solr
USER_PASSWORD=homelab:homelab-solr-pw
check() {
  curl -fsS -u "$USER_PASSWORD" "http://127.0.0.1:58983/solr/admin/cores?action=STATUS&core=homelab-verify&wt=json" \
    | grep -q '"instanceDir"'
}
if check >/dev/null 2>&1; then echo "solr: already up"; exit 0; fi
version=$(sed -n 's:.*<solr.version>\(.*\)</solr.version>.*:\1:p' "$HERE/pom.xml")
maven_classpath solr "$version" "$HERE"
core=$DIR/home/homelab-verify
mkdir -p "$core"
rm -rf "$core/conf" && cp -r "$HERE/conf" "$core/conf"
echo "name=homelab-verify" >"$core/core.properties"
start solr java -Xms256m -Xmx512m -XX:+UseSerialGC -Dsolr.log.dir="$DIR" -cp "$LIB/*" "$HERE/SolrNode.java" \
  "$DIR/home" 58983 "${USER_PASSWORD%%:*}" "${USER_PASSWORD#*:}"
wait_until 180 solr check
