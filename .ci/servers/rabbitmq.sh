#!/usr/bin/env bash
# RabbitMQ on 127.0.0.1:5672 (guest/guest), management API on 15672; its own epmd on 127.0.0.1:54369.
# Slow: the broker takes ~20 s to boot. Started once per CI run.
. "$(dirname "$0")/lib.bash"
DIR=$CI_ROOT/rabbitmq
check() { curl -fsS -u guest:guest http://127.0.0.1:15672/api/health/checks/alarms | grep -q '"ok"'; }
if check >/dev/null 2>&1; then echo "rabbitmq: already up"; exit 0; fi
mkdir -p "$DIR/home" "$DIR/mnesia" "$DIR/log"
cat >"$DIR/rabbitmq.conf" <<CONF
listeners.tcp.1 = 127.0.0.1:5672
management.tcp.ip = 127.0.0.1
management.tcp.port = 15672
loopback_users = none
CONF
echo '[rabbitmq_management].' >"$DIR/enabled_plugins"
export HOME=$DIR/home ERL_EPMD_PORT=54369 ERL_EPMD_ADDRESS=127.0.0.1 RABBITMQ_NODENAME=ci@localhost
export RABBITMQ_MNESIA_BASE=$DIR/mnesia RABBITMQ_LOG_BASE=$DIR/log RABBITMQ_LOGS=-
export RABBITMQ_CONFIG_FILE=$DIR/rabbitmq.conf RABBITMQ_ENABLED_PLUGINS_FILE=$DIR/enabled_plugins
export RABBITMQ_DIST_PORT=55674 RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}"
port_open 54369 || start epmd epmd -address 127.0.0.1 -port 54369
start rabbitmq /usr/lib/rabbitmq/bin/rabbitmq-server
wait_until 120 rabbitmq check
