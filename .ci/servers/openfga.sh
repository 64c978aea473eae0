#!/usr/bin/env bash
# OpenFGA on 127.0.0.1:58480 (gRPC 58481), memory datastore, preshared-key authentication with the key
# homelab-openfga-key (test-only; tests/verify/test_real_servers.py holds the same), playground and metrics
# off. Built from the Go module proxy at the version pinned in openfga/go.mod, cached outside the repository.
# ci: background
. "$(dirname "$0")/lib.bash"
HERE=$(cd "$(dirname "$0")/openfga" && pwd)
check() { curl -fsS -H 'Authorization: Bearer homelab-openfga-key' http://127.0.0.1:58480/stores | grep -q '"stores"'; }
if check >/dev/null 2>&1; then echo "openfga: already up"; exit 0; fi
version=$(awk '$1 == "github.com/openfga/openfga" {print $2}' "$HERE/go.mod")
go_binary openfga "$version" "$HERE" github.com/openfga/openfga/cmd/openfga
start openfga "$BIN" run --datastore-engine memory --http-addr 127.0.0.1:58480 --grpc-addr 127.0.0.1:58481 \
  --playground-enabled=false --metrics-enabled=false --log-level warn \
  --authn-method preshared --authn-preshared-keys homelab-openfga-key
wait_until 60 openfga check
