#!/usr/bin/env bash
# HashiCorp Vault in dev mode (in memory, unsealed, KV v2 at secret/) on 127.0.0.1:58200, root token
# homelab-vault-root (test-only; tests/verify/test_real_servers.py holds the same). Built from the Go module
# proxy at the version pinned in vault/go.mod (OpenBao is not served there), cached outside the repository.
# ci: background
. "$(dirname "$0")/lib.bash"
HERE=$(cd "$(dirname "$0")/vault" && pwd)
check() { curl -fsS http://127.0.0.1:58200/v1/sys/health | grep -q '"sealed":false'; }
if check >/dev/null 2>&1; then echo "vault: already up"; exit 0; fi
version=$(awk '$1 == "github.com/hashicorp/vault" {print $2}' "$HERE/go.mod")
go_binary vault "$version" "$HERE" github.com/hashicorp/vault
mkdir -p "$CI_ROOT/vault"
HOME=$CI_ROOT/vault start vault "$BIN" server -dev -dev-listen-address=127.0.0.1:58200 \
  -dev-root-token-id=homelab-vault-root -dev-no-store-token
wait_until 60 vault check
