#!/usr/bin/env bash
# Mosquitto (MQTT 3.1.1/5) on 127.0.0.1:1883, anonymous clients allowed.
. "$(dirname "$0")/lib.bash"
DIR=$CI_ROOT/mosquitto
check() { mosquitto_pub -h 127.0.0.1 -p 1883 -t homelab/ci/ready -m ok; }
if check >/dev/null 2>&1; then echo "mosquitto: already up"; exit 0; fi
install -d -o mosquitto "$DIR" "$DIR/data"
cat >"$DIR/mosquitto.conf" <<CONF
listener 1883 127.0.0.1
allow_anonymous true
persistence true
persistence_location $DIR/data/
log_dest stderr
CONF
start mosquitto mosquitto -c "$DIR/mosquitto.conf"
wait_until 10 mosquitto check
