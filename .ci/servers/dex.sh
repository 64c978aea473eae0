#!/usr/bin/env bash
# Dex, an OpenID Connect provider, on 127.0.0.1:55556 (issuer http://127.0.0.1:55556/dex), in memory:
# one static confidential client (homelab-portal) and one static password user, for the portal's
# login tests and the reference app's bearer-token tests (tests/oidc.py holds the same names).
# Built from the Go module proxy at the version pinned in dex/go.mod; the binary is cached outside
# the repository under $HOMELAB_CI_CACHE (default ~/.cache/homelab-ci), one per pinned version.
# ci: background
. "$(dirname "$0")/lib.bash"
HERE=$(cd "$(dirname "$0")/dex" && pwd)
command -v go >/dev/null || PATH=$PATH:/usr/local/go/bin  # where the machine image puts Go
PORT=55556
ISSUER="http://127.0.0.1:$PORT/dex"
DIR=$CI_ROOT/dex
check() { curl -fsS "$ISSUER/.well-known/openid-configuration" | grep -q "\"issuer\": *\"$ISSUER\""; }
if check >/dev/null 2>&1; then echo "dex: already up"; exit 0; fi

version=$(awk '$1 == "github.com/dexidp/dex" {print $2}' "$HERE/go.mod")
BIN=${HOMELAB_CI_CACHE:-$HOME/.cache/homelab-ci}/dex/$version/dex
if [ ! -x "$BIN" ]; then
  echo "dex: building $version (first run only; cached at $BIN)"
  mkdir -p "$(dirname "$BIN")"
  (cd "$HERE" && go build -trimpath -o "$BIN.partial" github.com/dexidp/dex/cmd/dex)
  mv "$BIN.partial" "$BIN"
fi

mkdir -p "$DIR"
# bcrypt (cost 10) of the test user's password "homelab-test-password"; test-only, like the client secret.
cat >"$DIR/config.yaml" <<YAML
issuer: $ISSUER
storage: {type: memory}
web: {http: 127.0.0.1:$PORT}
logger: {level: warn}
expiry: {idTokens: 10m}
oauth2:
  skipApprovalScreen: true
  passwordConnector: local
enablePasswordDB: true
staticPasswords:
  - email: admin@homelab.test
    username: admin
    userID: 5d2f9c3e-8a41-4c1b-9f0e-3b7a6d1c2e44
    hash: "\$2b\$10\$pfu58z6pjEx744ZPs0Pd5ODUijJiC4adP1XorstfzbkbRjLcJbh3O"
staticClients:
  - id: homelab-portal
    name: homelab portal (tests)
    secret: homelab-portal-test-secret
    redirectURIs:
      - http://testserver/auth/callback
      - http://127.0.0.1:55560/auth/callback
      - http://127.0.0.1:55561/auth/callback
      - http://127.0.0.1:55562/auth/callback
      - http://127.0.0.1:55563/auth/callback
YAML
start dex "$BIN" serve "$DIR/config.yaml"
wait_until 30 dex check
