"""Gunicorn settings (``gunicorn -c gunicorn.conf.py``), used by ``make run``.

Threaded workers (gthread) on 127.0.0.1:5000. With the embedded SQLite database there is
one worker process: its threads share the in-process job pool and a single SQLite writer.
With ``DATABASE_URL`` pointing at PostgreSQL, ``WEB_CONCURRENCY`` processes run (default:
2 per core plus one, at most 8). Settings in ``GUNICORN_CMD_ARGS`` (e.g. ``--bind``) win.
"""

from __future__ import annotations

import multiprocessing
import os

wsgi_app = "wsgi:app"
bind = ["127.0.0.1:5000"]
worker_class = "gthread"
threads = 4

_database_url = os.environ.get("DATABASE_URL", "")
if _database_url.startswith(("postgres://", "postgresql")):
    workers = int(os.environ.get("WEB_CONCURRENCY") or min(2 * multiprocessing.cpu_count() + 1, 8))
else:
    workers = 1

timeout = 120  # certificate batches and imports run as jobs; pages answer well within this
graceful_timeout = 30
keepalive = 5


def post_worker_init(worker) -> None:
    """Each worker process runs the periodic housekeeping (idempotent tasks, so several
    runners are harmless). RQ workers do not: they fork per job, which threads make unsafe."""
    import logging

    # The app's own log lines (jobs, periodic tasks, unexpected errors) go to gunicorn's log.
    app_log = logging.getLogger("academy")
    app_log.handlers = list(worker.log.error_log.handlers)
    app_log.setLevel(logging.INFO)
    from academy.jobs.periodic import start

    start(worker.wsgi)


accesslog = "-"
errorlog = "-"
loglevel = "info"
