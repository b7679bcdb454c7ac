"""Background jobs: the in-process runner, the status endpoint, and RQ workers.

The RQ tests need Redis (TEST_REDIS_URL, default redis://127.0.0.1:6379/15). Without it they
are skipped, except under CI=true, where an unreachable Redis is a failure. They remove
only the Redis keys they created.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from academy.jobs import runner as job_runner
from academy.jobs.models import Job
from academy.jobs.registry import HANDLERS
from academy.jobs.runner import enqueue
from tests.conftest import PASSWORD

ROOT = Path(__file__).resolve().parent.parent
TEST_REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def count_to(ctx, *, n: int) -> dict:
    """A job that reports progress step by step."""
    for done in range(1, n + 1):
        ctx.progress(done, n)
    return {"counted": n}


def explode(ctx) -> dict:
    """A job that fails halfway."""
    ctx.progress(1, 3)
    raise ValueError("boom")


TEST_JOBS = {"test_count": count_to, "test_explode": explode}


@pytest.fixture
def test_jobs():
    """Register the test job kinds for the duration of a test."""
    saved = {kind: HANDLERS.get(kind) for kind in TEST_JOBS}
    HANDLERS.update(TEST_JOBS)
    yield
    for kind, handler in saved.items():
        if handler is None:
            HANDLERS.pop(kind, None)
        else:
            HANDLERS[kind] = handler


def _job(db, job_id: str) -> Job:
    db.session.expire_all()
    return db.session.get(Job, job_id)


# ---------------------------------------------------------------- in-process runner


def test_inline_job_records_progress_and_result(app, db, test_jobs):
    job = enqueue("test_count", {"n": 7})
    assert job.state == "queued"
    job_id = job.id
    db.session.commit()  # the job is handed to the runner only once committed

    job = _job(db, job_id)
    assert (job.state, job.done, job.total, job.result) == ("finished", 7, 7, {"counted": 7})
    assert job.error is None
    assert job.started_at is not None and job.finished_at is not None


def test_failed_job_is_recorded_with_its_error(app, db, test_jobs):
    job_id = enqueue("test_explode", {}).id
    db.session.commit()

    job = _job(db, job_id)
    assert job.state == "failed"
    assert job.error == "ValueError: boom"
    assert job.finished_at is not None
    assert job.result is None


def test_rolled_back_job_never_runs(app, db, test_jobs):
    job_id = enqueue("test_count", {"n": 1}).id
    db.session.rollback()
    assert _job(db, job_id) is None


def test_unknown_kind_is_refused(app):
    with pytest.raises(KeyError):
        enqueue("no_such_kind", {})


def test_thread_pool_runs_jobs_outside_the_request(app, db, test_jobs, monkeypatch):
    """Without JOBS_INLINE the job goes to the process's thread pool (embedded mode)."""
    monkeypatch.setitem(app.config, "JOBS_INLINE", False)
    job_id = enqueue("test_count", {"n": 3}).id
    db.session.commit()
    deadline = time.monotonic() + 30
    while _job(db, job_id).state in {"queued", "running"} and time.monotonic() < deadline:
        db.session.rollback()
        time.sleep(0.05)
    assert _job(db, job_id).state == "finished"


# ---------------------------------------------------------------- status endpoint


def _token(client, username: str) -> dict:
    response = client.post("/api/v1/tokens", json={"username": username, "password": PASSWORD})
    assert response.status_code == 201, response.get_json()
    return {"Authorization": f"Bearer {response.get_json()['token']}"}


def test_job_status_endpoint(app, db, client, orgs, make_user, test_jobs):
    owner = make_user("job-owner", roles=("admin",), unit=orgs["S1"])
    make_user("someone-else", roles=("admin",), unit=orgs["D"])
    job_id = enqueue("test_count", {"n": 4}, created_by_id=owner.id).id
    db.session.commit()

    response = client.get(f"/api/v1/jobs/{job_id}", headers=_token(client, "job-owner"))
    assert response.status_code == 200
    body = response.get_json()
    assert {"state", "done", "total", "result"} <= set(body)
    assert body["state"] == "finished"
    assert (body["done"], body["total"], body["result"]) == (4, 4, {"counted": 4})

    # Other people's jobs are not revealed, not even to a higher admin.
    other = client.get(f"/api/v1/jobs/{job_id}", headers=_token(client, "someone-else"))
    assert other.status_code == 404
    assert other.get_json()["error"]["code"] == "not_found"
    missing = client.get("/api/v1/jobs/not-a-job", headers=_token(client, "job-owner"))
    assert missing.status_code == 404

    anonymous = app.test_client().get(f"/api/v1/jobs/{job_id}")
    assert anonymous.status_code == 401


def test_failed_job_status_shows_the_error(app, db, client, orgs, make_user, test_jobs):
    owner = make_user("job-owner2", roles=("trainee",), unit=orgs["V1"])
    job_id = enqueue("test_explode", {}, created_by_id=owner.id).id
    db.session.commit()
    body = client.get(f"/api/v1/jobs/{job_id}", headers=_token(client, "job-owner2")).get_json()
    assert body["state"] == "failed"
    assert body["error"] == "ValueError: boom"


# ---------------------------------------------------------------- RQ


@pytest.fixture
def redis_url() -> str:
    """A reachable Redis; skipped without one, except under CI=true."""
    from redis import Redis
    from redis.exceptions import RedisError

    try:
        connection = Redis.from_url(TEST_REDIS_URL, socket_connect_timeout=2)
        connection.ping()
        connection.close()
    except RedisError as exc:
        message = f"Redis not reachable at {TEST_REDIS_URL}: {exc}"
        if os.environ.get("CI") == "true":
            pytest.fail(message + " (CI=true requires it)")
        pytest.skip(message)
    return TEST_REDIS_URL


def _forget_rq(connection, rq_job_ids, queue_name: str | None = None) -> None:
    """Delete the Redis keys these RQ jobs (and a test-only queue) left behind."""
    from rq.exceptions import NoSuchJobError
    from rq.job import Job as RqJob

    for rq_id in rq_job_ids:
        with contextlib.suppress(NoSuchJobError):
            RqJob.fetch(rq_id, connection=connection).delete(remove_from_queue=True)
        for key in connection.scan_iter(match=f"rq:*{rq_id}*"):
            connection.delete(key)
    if queue_name:
        for key in connection.scan_iter(match=f"rq:*{queue_name}*"):
            connection.delete(key)
        connection.srem("rq:queues", f"rq:queue:{queue_name}")


def test_job_runs_through_rq(app, db, database_url, redis_url, test_jobs, monkeypatch):
    from redis import Redis
    from rq import Queue, SimpleWorker

    import academy.jobs.worker as worker_module
    from academy import create_app
    from config import TestConfig

    queue_name = f"academy-test-{uuid.uuid4().hex[:12]}"  # no other worker listens here
    monkeypatch.setattr(job_runner, "RQ_QUEUE", queue_name)
    web = create_app(TestConfig, SQLALCHEMY_DATABASE_URI=database_url, REDIS_URL=redis_url,
                     JOBS_INLINE=False)
    assert web.extensions["academy_jobs"] == "rq"
    # What a worker process builds for itself: its own app on the same database.
    worker_app = create_app(TestConfig, SQLALCHEMY_DATABASE_URI=database_url)
    monkeypatch.setattr(worker_module, "_app", worker_app)
    connection = Redis.from_url(redis_url)
    queue = Queue(queue_name, connection=connection)
    rq_ids: list[str] = []
    handlers = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        with web.app_context():
            job_id = enqueue("test_count", {"n": 5}).id
            db.session.commit()
        assert _job(db, job_id).state == "queued"  # waiting in Redis for a worker
        rq_ids = queue.job_ids
        assert len(rq_ids) == 1

        SimpleWorker([queue], connection=connection, name=f"{queue_name}-worker").work(
            burst=True, logging_level="WARNING")

        job = _job(db, job_id)
        assert (job.state, job.done, job.total, job.result) == ("finished", 5, 5, {"counted": 5})
    finally:
        for sig, handler in handlers.items():  # the worker installed its own
            signal.signal(sig, handler)
        _forget_rq(connection, queue.job_ids + rq_ids, queue_name)
        connection.close()
        for flask_app in (web, worker_app):
            with flask_app.app_context():
                db.engine.dispose()


def test_flask_academy_worker_runs_jobs_with_its_own_app(app, db, database_url, redis_url,
                                                          test_jobs, tmp_path, monkeypatch):
    """The real thing: `flask academy worker --burst` in another process, configured only
    by environment variables, picks the job up and records the result in our database."""
    from redis import Redis
    from rq import Queue

    from academy import create_app
    from config import TestConfig

    queue_name = f"academy-test-{uuid.uuid4().hex[:12]}"  # no other worker listens here
    monkeypatch.setattr(job_runner, "RQ_QUEUE", queue_name)
    web = create_app(TestConfig, SQLALCHEMY_DATABASE_URI=database_url, REDIS_URL=redis_url,
                     JOBS_INLINE=False)
    connection = Redis.from_url(redis_url)
    queue = Queue(queue_name, connection=connection)
    rq_ids: list[str] = []
    try:
        with web.app_context():
            job_id = enqueue("test_count", {"n": 3}).id
            db.session.commit()
        rq_ids = [j.id for j in queue.get_jobs() if tuple(j.args) == (job_id,)]
        assert len(rq_ids) == 1

        env = {key: value for key, value in os.environ.items()
               if key not in {"SECRET_KEY", "TEST_DATABASE_URL", "FLASK_APP"}}
        env.update(ACADEMY_CONFIG="development", DATABASE_URL=database_url,
                   REDIS_URL=redis_url, ACADEMY_INSTANCE_PATH=str(tmp_path),
                   ACADEMY_TEST_RQ_QUEUE=queue_name)
        completed = subprocess.run(
            [sys.executable, "-m", "tests.test_jobs", "academy", "worker", "--burst"],
            cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False,
        )
        assert completed.returncode == 0, completed.stdout + completed.stderr

        job = _job(db, job_id)
        assert (job.state, job.done, job.result) == ("finished", 3, {"counted": 3}), (
            f"job error: {job.error}\nworker output:\n{completed.stdout}\n{completed.stderr}")
    finally:
        for key in connection.scan_iter(match="rq:worker:*"):  # the worker's own record
            if connection.hget(key, "queues") == queue_name.encode():
                connection.delete(key)
        _forget_rq(connection, rq_ids, queue_name)
        connection.close()
        with web.app_context():
            db.engine.dispose()


if __name__ == "__main__":
    # The worker process of the test above: the real `flask --app wsgi ...` command line,
    # with the test job kinds registered first (forked job processes inherit them) and the
    # test's own queue, so that no other worker takes the job.
    from flask.cli import main

    HANDLERS.update(TEST_JOBS)
    job_runner.RQ_QUEUE = os.environ["ACADEMY_TEST_RQ_QUEUE"]
    sys.argv = ["flask", "--app", "wsgi", *sys.argv[1:]]
    main()
