#!/usr/bin/env bash
# MLflow tracking server on 127.0.0.1:55001 (SQLite store, job runner off: ~0.5 GiB instead of ~1.8).
# Slow: pip install ~2 min once, first start ~26 s (database migrations). Started once per CI run.
# ci: background
. "$(dirname "$0")/lib.bash"
DIR=$CI_ROOT/mlflow
check() { curl -fsS http://127.0.0.1:55001/health | grep -q OK; }
if check >/dev/null 2>&1; then echo "mlflow: already up"; exit 0; fi
# every package pinned (requirements.txt: pip freeze of a working install), so pip has nothing to resolve
venv_with mlflow -r "$(dirname "$0")/mlflow/requirements.txt"
mkdir -p "$DIR/artifacts"
MLFLOW_SERVER_ENABLE_JOB_EXECUTION=false start mlflow "$VENV/bin/mlflow" server --host 127.0.0.1 --port 55001 \
  --workers 1 --backend-store-uri "sqlite:///$DIR/mlflow.db" --artifacts-destination "$DIR/artifacts"
wait_until 180 mlflow check
