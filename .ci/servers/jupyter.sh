#!/usr/bin/env bash
# Jupyter Server on 127.0.0.1:58890 with token homelab-ci-token (a loopback test server, not a secret).
# ci: background
. "$(dirname "$0")/lib.bash"
DIR=$CI_ROOT/jupyter
check() { curl -fsS -H 'Authorization: token homelab-ci-token' http://127.0.0.1:58890/api/status | grep -q started; }
if check >/dev/null 2>&1; then echo "jupyter: already up"; exit 0; fi
# every package pinned (requirements.txt: pip freeze of a working install), so pip has nothing to resolve
venv_with jupyter -r "$(dirname "$0")/jupyter/requirements.txt"
mkdir -p "$DIR/root"
start jupyter "$VENV/bin/jupyter-server" --ip=127.0.0.1 --port=58890 --no-browser --allow-root \
  --ServerApp.token=homelab-ci-token --ServerApp.root_dir="$DIR/root"
wait_until 60 jupyter check
