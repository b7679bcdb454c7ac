"""Reading job status."""

from __future__ import annotations

from typing import Any

from academy.extensions import db
from academy.jobs.models import Job


def get_job(job_id: str) -> Job | None:
    """A job by id."""
    return db.session.get(Job, job_id) if job_id and len(job_id) <= 36 else None


def job_status(job: Job) -> dict[str, Any]:
    """The public status of a job: state, done, total, result."""
    return {
        "id": job.id,
        "kind": job.kind,
        "state": job.state,
        "done": job.done,
        "total": job.total,
        "result": job.result,
        "error": job.error,
    }
