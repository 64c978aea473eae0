#!/usr/bin/env bash
# Apache Kafka (KRaft: broker and controller in one JVM) on 127.0.0.1:59094 (controller 59095), data under
# /tmp/homelab-ci/apache-kafka. The jars are Kafka's own artifacts on Maven Central at the version pinned
# in apache-kafka/pom.xml, copied once into a cached class path; started with kafka.Kafka like
# bin/kafka-server-start.sh does. (kafka.sh starts Tansu, a Kafka-protocol broker, beside it.)
# ci: background
. "$(dirname "$0")/lib.bash"
HERE=$(cd "$(dirname "$0")/apache-kafka" && pwd)
DIR=$CI_ROOT/apache-kafka
# The broker answers a Kafka ApiVersions request (v0) with its correlation id and error code 0.
check() { python3 -c 'import socket, struct, sys
request = struct.pack(">hhih", 18, 0, 7, 2) + b"ci"
s = socket.create_connection(("127.0.0.1", 59094), 2); s.settimeout(2)
s.sendall(struct.pack(">i", len(request)) + request)
size, correlation, error = struct.unpack(">iih", s.recv(10))
sys.exit(0 if (correlation, error) == (7, 0) else 1)'; }
if check >/dev/null 2>&1; then echo "apache-kafka: already up"; exit 0; fi
version=$(sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' "$HERE/pom.xml")
maven_classpath apache-kafka "$version" "$HERE"
mkdir -p "$DIR"
cat >"$DIR/server.properties" <<PROPS
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:59095
listeners=PLAINTEXT://127.0.0.1:59094,CONTROLLER://127.0.0.1:59095
advertised.listeners=PLAINTEXT://127.0.0.1:59094
controller.listener.names=CONTROLLER
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
inter.broker.listener.name=PLAINTEXT
log.dirs=$DIR/data
num.partitions=1
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
PROPS
if [ ! -f "$DIR/data/meta.properties" ]; then  # KRaft storage is formatted once, as kafka-storage.sh format does
  java -cp "$LIB/*" kafka.tools.StorageTool format -t "$(java -cp "$LIB/*" kafka.tools.StorageTool random-uuid 2>/dev/null)" \
    -c "$DIR/server.properties" >"$DIR/format.log" 2>&1 || { cat "$DIR/format.log" >&2; exit 1; }
fi
start apache-kafka java -Xms256m -Xmx512m -XX:+UseSerialGC -cp "$LIB/*" kafka.Kafka "$DIR/server.properties"
wait_until 180 apache-kafka check
