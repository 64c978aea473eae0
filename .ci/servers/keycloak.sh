#!/usr/bin/env bash
# Keycloak on 127.0.0.1:58380, admin homelab-admin / homelab-keycloak-admin in
# the master realm (test-only; tests/keycloak_server.py holds the same), its H2 database under /tmp/homelab-ci/keycloak.
# The server is org.keycloak:keycloak-quarkus-dist from Maven Central at 26.7.3: the catalog pins 26.8.2,
# which Maven Central here does not serve (26.7.3 is the newest it has). Built once for these options
# (`kc.sh build`, Quarkus's augmentation, about a minute) into ~/.cache/homelab-ci/keycloak, then started
# with `kc.sh start --optimized`. Runs on the machine's Java (17).
# `--cache=local` (a run time option): one server, so no Infinispan cluster, whose JGroups ports listen on every interface.
# ci: background
. "$(dirname "$0")/lib.bash"
VERSION=26.7.3
PORT=58380
DIR=$CI_ROOT/keycloak
BUILD_OPTIONS=(--db=dev-file)
check() { curl -fsS "http://127.0.0.1:$PORT/realms/master/.well-known/openid-configuration" |
  grep -q "\"issuer\":\"http://127.0.0.1:$PORT/realms/master\""; }
if check >/dev/null 2>&1; then echo "keycloak: already up"; exit 0; fi

KC_HOME=$CI_CACHE/keycloak/$VERSION-$(printf '%s\n' "${BUILD_OPTIONS[@]}" | sha256sum | cut -c1-12)
if [ ! -e "$KC_HOME/.built" ]; then
  echo "keycloak: fetching $VERSION from Maven Central and building it (first run only; cached at $KC_HOME)"
  mkdir -p "$DIR" && rm -rf "$KC_HOME.partial" && mkdir -p "$KC_HOME.partial"
  # a private local repository, removed after: the unpacked server is the cache, not a second copy of the
  # archive (tar unpacks it: Maven's own unpacker drops the files whose long names sit in PAX headers)
  # (run from that folder: without a pom, the plugin writes its markers under the working directory)
  (cd "$KC_HOME.partial" && mvn -q -B dependency:copy -Dartifact="org.keycloak:keycloak-quarkus-dist:$VERSION:tar.gz" \
    -Dmaven.repo.local="$KC_HOME.partial/m2" -DoutputDirectory="$KC_HOME.partial") >"$DIR/mvn.log" 2>&1 ||
    { tail -n 30 "$DIR/mvn.log" >&2; exit 1; }
  tar -xzf "$KC_HOME.partial/keycloak-quarkus-dist-$VERSION.tar.gz" -C "$KC_HOME.partial"
  rm -rf "$KC_HOME.partial/m2" "$KC_HOME.partial/keycloak-quarkus-dist-$VERSION.tar.gz"
  mv "$KC_HOME.partial/keycloak-$VERSION" "$KC_HOME.partial/home"
  "$KC_HOME.partial/home/bin/kc.sh" build "${BUILD_OPTIONS[@]}" >"$DIR/build.log" 2>&1 ||
    { tail -n 30 "$DIR/build.log" >&2; exit 1; }
  rm -rf "$KC_HOME" && mv "$KC_HOME.partial/home" "$KC_HOME" && rm -rf "$KC_HOME.partial" && touch "$KC_HOME/.built"
fi

mkdir -p "$DIR/data"
# The bootstrap admin is created with the master realm, on the first start against an empty database.
start keycloak env KC_BOOTSTRAP_ADMIN_USERNAME=homelab-admin KC_BOOTSTRAP_ADMIN_PASSWORD=homelab-keycloak-admin \
  "$KC_HOME/bin/kc.sh" start --optimized --http-enabled=true --http-host=127.0.0.1 \
  --http-port=$PORT --hostname-strict=false --cache=local \
  --db-url="jdbc:h2:file:$DIR/data/keycloakdb;NON_KEYWORDS=VALUE"
wait_until 300 keycloak check
