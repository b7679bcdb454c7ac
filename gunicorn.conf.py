"""Gunicorn settings (``gunicorn -c gunicorn.conf.py``), used by ``make run``.

Synchronous worker processes on 127.0.0.1:5000: ``WEB_CONCURRENCY`` of them (default: one
per core, at least 2), with SQLite as with PostgreSQL. Each process handles one request at
a time and so uses one core fully: measured with ``bench/quiz_load.py`` on 2 cores, 2 such
processes served about twice the requests of one process of 4 threads, whose threads
mostly waited for each other (Python runs one thread at a time per process), and more
processes than cores only added switching. Several SQLite processes are safe: WAL lets
readers run beside the one writer, writes wait for each other (busy timeout), and the
sign-in rate limits count in a file every process shares (``academy/ratelimit.py``).

Synchronous workers do not keep connections alive and a slow client holds a worker: keep
the default loopback binding behind the TLS proxy (nginx buffers requests and responses).
Settings in ``GUNICORN_CMD_ARGS`` (e.g. ``--bind``, ``--workers``) win.
"""

from __future__ import annotations

import multiprocessing
import os

wsgi_app = "wsgi:app"
bind = ["127.0.0.1:5000"]
worker_class = "sync"
workers = int(os.environ.get("WEB_CONCURRENCY") or max(2, multiprocessing.cpu_count()))

timeout = 120  # certificate batches and imports run as jobs; pages answer well within this
graceful_timeout = 30


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
