#!/usr/bin/env bash
# FerretDB (MongoDB wire protocol; FerretDB, not MongoDB: no registry ships a MongoDB server) on
# 127.0.0.1:57017, SQLite backend under /tmp/homelab-ci/ferretdb, no authentication (FerretDB v1 on SQLite
# has none). Built from the Go module proxy at the version pinned in ferretdb/go.mod, cached outside the repo.
# ci: background
. "$(dirname "$0")/lib.bash"
HERE=$(cd "$(dirname "$0")/ferretdb" && pwd)
DIR=$CI_ROOT/ferretdb
check() { python3 -c 'import socket,struct,sys
# OP_MSG {ping: 1, $db: admin}: answered by a MongoDB wire-protocol server, not by any open port.
body = bytes.fromhex("00000000") + b"\x00" + bytes.fromhex("1e000000") + b"\x10ping\x00\x01\x00\x00\x00\x02$db\x00\x06\x00\x00\x00admin\x00\x00"
msg = struct.pack("<iiii", 16 + len(body), 1, 0, 2013) + body
s = socket.create_connection(("127.0.0.1", 57017), 2); s.sendall(msg); s.settimeout(2)
sys.exit(0 if b"\x01ok\x00\x00\x00\x00\x00\x00\x00\xf0?" in s.recv(1024) else 1)'; }
if check >/dev/null 2>&1; then echo "ferretdb: already up"; exit 0; fi
version=$(grep -oE "github.com/FerretDB/FerretDB v[^ ]+" "$HERE/go.mod" | head -n 1 | cut -d" " -f2)
go_binary ferretdb "$version" "$HERE" .
mkdir -p "$DIR/data"
start ferretdb "$BIN" 127.0.0.1:57017 "$DIR/data"
wait_until 30 ferretdb check
