"""Entry points for RQ worker processes."""

from __future__ import annotations

from flask import Flask

_app: Flask | None = None


def _application() -> Flask:
    global _app
    if _app is None:
        from academy import create_app

        _app = create_app()
    return _app


def run_job_by_id(job_id: str) -> None:
    """Run a queued job inside an application context (called by RQ)."""
    from academy.jobs.runner import run_job

    with _application().app_context():
        run_job(job_id)
