#!/usr/bin/env bash
# Trino (one coordinator that also runs work) on 127.0.0.1:58088 with the memory connector as catalog
# "memory", no authentication (any user name). Trino's server-core tarball and memory plugin from Maven
# Central at the version pinned in trino/pom.xml, unpacked once into a cached folder; started with the
# tarball's main class, io.trino.server.TrinoServer, on the machine's Java 25 (Trino needs 24 or newer).
# ci: background
. "$(dirname "$0")/lib.bash"
HERE=$(cd "$(dirname "$0")/trino" && pwd)
DIR=$CI_ROOT/trino
check() { curl -fsS http://127.0.0.1:58088/v1/info | grep -q '"starting":false'; }
if check >/dev/null 2>&1; then echo "trino: already up"; exit 0; fi
JAVA=${TRINO_JAVA:-/usr/lib/jvm/temurin-25-jdk-amd64/bin/java}
[ -x "$JAVA" ] || { echo "trino: no Java 25 at $JAVA (set TRINO_JAVA)" >&2; exit 1; }
version=$(sed -n 's:.*<trino.version>\(.*\)</trino.version>.*:\1:p' "$HERE/pom.xml")
INSTALL=$CI_CACHE/trino/$version-$(pin_key "$HERE/pom.xml")/trino-server-core-$version
if [ ! -d "$INSTALL" ]; then
  echo "trino: fetching $version from Maven Central (first run only; cached at $INSTALL)"
  mkdir -p "$DIR" && rm -rf "$INSTALL.partial"
  mvn -q -B -f "$HERE/pom.xml" dependency:unpack-dependencies \
    -DoutputDirectory="$INSTALL.partial" >"$DIR/mvn.log" 2>&1 || { tail -n 30 "$DIR/mvn.log" >&2; exit 1; }
  mv "$INSTALL.partial/trino-memory-$version" "$INSTALL.partial/trino-server-core-$version/plugin/memory"
  mv "$INSTALL.partial/trino-server-core-$version" "$INSTALL" && rm -rf "$INSTALL.partial"
fi
# Only the memory connector's plugin: the tarball's other plugins are not needed here, and Maven's unpack
# shortens some of their long jar names (exchange-filesystem then misses Guava and stops the server).
mkdir -p "$DIR/etc/catalog" "$DIR/data" "$DIR/plugin"
ln -sfn "$INSTALL/plugin/memory" "$DIR/plugin/memory"
cat >"$DIR/etc/config.properties" <<PROPS
coordinator=true
node-scheduler.include-coordinator=true
http-server.http.port=58088
discovery.uri=http://127.0.0.1:58088
plugin.dir=$DIR/plugin
catalog.config-dir=$DIR/etc/catalog
query.max-memory=256MB
query.max-memory-per-node=256MB
PROPS
echo connector.name=memory >"$DIR/etc/catalog/memory.properties"
start trino "$JAVA" -Xmx1G -XX:+UseSerialGC -Dnode.environment=ci -Dnode.id=homelab-ci -Dnode.data-dir="$DIR/data" \
  -Dnode.bind-ip=127.0.0.1 -Dnode.internal-address=127.0.0.1 -Dconfig="$DIR/etc/config.properties" \
  -cp "$INSTALL/lib/*" io.trino.server.TrinoServer
wait_until 300 trino check
