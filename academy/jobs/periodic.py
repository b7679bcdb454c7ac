"""Periodic housekeeping (e.g. due-date notices), without cron.

Each task is idempotent and runs at most once per interval per process. A ticker thread
runs them in each gunicorn worker process (not in RQ workers, which fork per job).
``flask academy tick`` runs every task once (for cron, or by hand).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from flask import Flask

from academy.extensions import db

log = logging.getLogger(__name__)

PERIODIC: dict[str, tuple[float, Callable[[], Any]]] = {}
_last_run: dict[str, float] = {}
_started = threading.Event()


def periodic(name: str, every_seconds: float) -> Callable[[Callable[[], Any]], Callable[[], Any]]:
    """Register ``fn`` to run every ``every_seconds`` inside an app context (must not commit)."""

    def decorator(fn: Callable[[], Any]) -> Callable[[], Any]:
        PERIODIC[name] = (every_seconds, fn)
        return fn

    return decorator


def run_due_tasks(app: Flask, now: float | None = None, *, force: bool = False) -> list[str]:
    """Run each task whose interval has passed (all of them with ``force``); returns names."""
    now = time.monotonic() if now is None else now
    ran = []
    for name, (every, fn) in sorted(PERIODIC.items()):
        last = _last_run.get(name)
        if not force and last is not None and now - last < every:
            continue
        _last_run[name] = now
        with app.app_context():
            try:
                fn()
                db.session.commit()
            except Exception:  # one failing task must not stop the others, or the ticker
                db.session.rollback()
                log.exception("periodic task %s failed", name)
                continue
        log.info("periodic task %s ran", name)
        ran.append(name)
    return ran


def start(app: Flask, tick_seconds: float = 60.0) -> bool:
    """Start the ticker thread once per process; False if it was already running."""
    if _started.is_set():
        return False
    _started.set()

    def loop() -> None:
        while True:
            run_due_tasks(app)
            time.sleep(tick_seconds)

    threading.Thread(target=loop, name="academy-periodic", daemon=True).start()
    return True
