#!/usr/bin/env bash
# Started by `make run` with MOTCUA_DATABASE_URL / MOTCUA_REDIS_URL exported: migrates, seeds the
# demo data, then runs the API, the worker and the mock portal in the foreground. Ctrl-C stops all.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
bin=.venv/bin

"$bin/alembic" upgrade head
"$bin/motcua" seed-demo

pids=()
stop() {
  trap - INT TERM EXIT
  echo "stopping..." >&2
  kill "${pids[@]}" 2>/dev/null || true
  wait "${pids[@]}" 2>/dev/null || true
}
trap stop INT TERM EXIT

"$bin/uvicorn" services.portal_mock.main:app --host 127.0.0.1 --port 8090 &
pids+=($!)
# arq's worker exits when Redis goes away; restart it as systemd (Restart=on-failure) and
# Kubernetes do. Its work is in PostgreSQL, so nothing is lost meanwhile.
supervise() {
  local child
  trap 'kill "$child" 2>/dev/null; wait "$child" 2>/dev/null; exit 0' INT TERM
  while true; do
    "$@" &
    child=$!
    wait "$child" && break
    echo "run-all: $1 exited; restarting in 2 s" >&2
    sleep 2
  done
}
supervise "$bin/arq" services.worker.main.WorkerSettings &
pids+=($!)
"$bin/uvicorn" services.api.main:app --host 127.0.0.1 --port 8000 &
pids+=($!)

for _ in $(seq 1 60); do
  if curl -fsS http://127.0.0.1:8000/healthz >/dev/null 2>&1; then break; fi
  sleep 0.5
done
cat >&2 <<MSG

  motcua is running.
    Swagger UI:   http://127.0.0.1:8000/docs   (press Authorize, log in with a demo login above)
    Mock portal:  http://127.0.0.1:8090/docs
    Ctrl-C stops everything; data stays in .local/ (deploy/local/services.sh down stops the databases).

MSG
wait -n "${pids[@]}"
