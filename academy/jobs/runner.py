"""Queueing and running jobs, in-process or on RQ."""

from __future__ import annotations

import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from flask import Flask, current_app
from sqlalchemy import event

from academy.extensions import db
from academy.jobs.models import Job
from academy.jobs.registry import HANDLERS
from academy.timeutil import utcnow

log = logging.getLogger(__name__)
RQ_QUEUE = "academy"
_executor: ThreadPoolExecutor | None = None
_executor_lock = threading.Lock()


def init_app(app: Flask) -> None:
    app.extensions["academy_jobs"] = "rq" if app.config.get("REDIS_URL") else "thread"


def enqueue(kind: str, params: dict[str, Any], created_by_id: int | None = None) -> Job:
    """Create a queued job; it is handed to a worker once the transaction commits."""
    if kind not in HANDLERS:
        raise KeyError(kind)
    job = Job(kind=kind, params=params, created_by_id=created_by_id, state="queued")
    db.session.add(job)
    db.session.flush()
    app = current_app._get_current_object()
    job_id = job.id

    def _dispatch(_session) -> None:
        dispatch(app, job_id)

    event.listen(db.session(), "after_commit", _dispatch, once=True)
    return job


def dispatch(app: Flask, job_id: str) -> None:
    """Send a committed job to the configured backend."""
    backend = app.extensions.get("academy_jobs", "thread")
    if app.config.get("JOBS_INLINE"):
        worker = threading.Thread(target=_run_in_context, args=(app, job_id))
        worker.start()
        worker.join()
    elif backend == "rq":
        from redis import Redis
        from rq import Queue

        queue = Queue(RQ_QUEUE, connection=Redis.from_url(app.config["REDIS_URL"]))
        queue.enqueue("academy.jobs.worker.run_job_by_id", job_id, job_timeout=3600)
    else:
        _pool().submit(_run_in_context, app, job_id)


def _pool() -> ThreadPoolExecutor:
    global _executor
    with _executor_lock:
        if _executor is None:
            _executor = ThreadPoolExecutor(max_workers=2, thread_name_prefix="academy-job")
        return _executor


def _run_in_context(app: Flask, job_id: str) -> None:
    with app.app_context():
        run_job(job_id)


class JobContext:
    """Handed to a job handler so it can report progress."""

    def __init__(self, job: Job):
        self.job = job
        self._last_commit = 0

    def progress(self, done: int, total: int | None = None) -> None:
        self.job.done = done
        if total is not None:
            self.job.total = total
        # Commit at most every 1% so the bar moves without flooding the database.
        step = max(1, (self.job.total or 100) // 100)
        if done - self._last_commit >= step or done == self.job.total:
            db.session.commit()
            self._last_commit = done


def run_job(job_id: str) -> None:
    """Run one job by id, recording its state, progress and result."""
    job = db.session.get(Job, job_id)
    if job is None or job.state not in {"queued"}:
        return
    job.state = "running"
    job.started_at = utcnow()
    db.session.commit()
    try:
        result = HANDLERS[job.kind](JobContext(job), **(job.params or {}))
    except Exception as exc:  # the job failed; record why instead of losing it
        db.session.rollback()
        job = db.session.get(Job, job_id)
        log.exception("job %s (%s) failed", job_id, job.kind)
        job.state = "failed"
        job.error = f"{type(exc).__name__}: {exc}"[:2000]
        job.finished_at = utcnow()
        db.session.commit()
        return
    job.state = "finished"
    job.result = result or {}
    if job.total and job.done < job.total:
        job.done = job.total
    job.finished_at = utcnow()
    db.session.commit()
