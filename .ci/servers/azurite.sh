#!/usr/bin/env bash
# Azurite (Azure Blob/Queue/Table emulator, npm) on 127.0.0.1:50000-50002; account devstoreaccount1.
. "$(dirname "$0")/lib.bash"
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
check() { curl -sS -o /dev/null -w '%{http_code}' 'http://127.0.0.1:50000/devstoreaccount1?comp=list' | grep -q '^[24]'; }
if check >/dev/null 2>&1; then echo "azurite: already up"; exit 0; fi
[ -x "$ROOT/node_modules/.bin/azurite" ] || (cd "$ROOT" && npm ci --no-audit --no-fund --silent)
mkdir -p "$CI_ROOT/azurite/data"
start azurite "$ROOT/node_modules/.bin/azurite" --silent --disableTelemetry --location "$CI_ROOT/azurite/data" \
  --blobHost 127.0.0.1 --blobPort 50000 --queueHost 127.0.0.1 --queuePort 50001 \
  --tableHost 127.0.0.1 --tablePort 50002 --skipApiVersionCheck
wait_until 30 azurite check
