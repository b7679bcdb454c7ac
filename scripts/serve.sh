#!/usr/bin/env bash
# Serve the app with gunicorn (gunicorn.conf.py); with REDIS_URL set, an RQ worker
# (`flask academy worker`) runs beside it and stops with it.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ -z "${REDIS_URL:-}" ]; then
    exec .venv/bin/gunicorn -c gunicorn.conf.py
fi

.venv/bin/flask --app wsgi academy worker &
worker=$!
.venv/bin/gunicorn -c gunicorn.conf.py &
server=$!
stop() { kill -TERM "$server" "$worker" 2>/dev/null || true; }
trap stop INT TERM
status=0
wait "$server" || status=$?
stop
wait "$server" "$worker" 2>/dev/null || true
exit "$status"
