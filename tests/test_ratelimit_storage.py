"""The SQLite rate-limit storage: counting, expiry, sharing across threads and processes."""

from __future__ import annotations

import multiprocessing
import os
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from limits import parse
from limits.errors import ConfigurationError
from limits.storage import storage_from_string
from limits.strategies import FixedWindowRateLimiter

from academy import ratelimit
from academy.ratelimit import SQLiteStorage

ROOT = Path(__file__).resolve().parent.parent


class Clock:
    """A stand-in for the `time` module inside academy.ratelimit."""

    def __init__(self, now: float = 1_000_000.0) -> None:
        self.now = now

    def time(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch) -> Clock:
    fake = Clock()
    monkeypatch.setattr(ratelimit, "time", fake)
    return fake


def _uri(path: Path) -> str:
    return "academy+sqlite:///" + str(path)


@pytest.fixture
def storage(tmp_path) -> SQLiteStorage:
    return SQLiteStorage(_uri(tmp_path / "limits.db"))


def _rows(path: Path) -> int:
    with sqlite3.connect(path) as conn:
        return conn.execute("SELECT COUNT(*) FROM ratelimits").fetchone()[0]


def test_incr_counts_up_and_get_agrees(storage):
    assert storage.get("k") == 0
    assert [storage.incr("k", 60) for _ in range(3)] == [1, 2, 3]
    assert storage.incr("k", 60, amount=5) == 8
    assert storage.get("k") == 8
    assert storage.get("other") == 0


def test_expired_window_starts_again(storage, clock):
    assert storage.incr("k", 10) == 1
    assert storage.incr("k", 10) == 2
    clock.now += 9.5
    assert storage.incr("k", 10) == 3  # still the same window: its expiry does not move
    assert storage.get_expiry("k") == 1_000_010.0
    clock.now += 0.5
    assert storage.get("k") == 0
    assert storage.get_expiry("k") == clock.now
    assert storage.incr("k", 10, amount=2) == 2
    assert storage.get("k") == 2
    assert storage.get_expiry("k") == clock.now + 10


def test_expiry_with_the_real_clock(storage):
    import time

    before = time.time()
    assert storage.incr("k", 1) == 1
    assert before + 1 <= storage.get_expiry("k") <= time.time() + 1
    time.sleep(1.1)
    assert storage.get("k") == 0
    assert storage.incr("k", 1) == 1


def test_get_expiry_of_an_absent_key_is_now(storage, clock):
    assert storage.get_expiry("absent") == clock.now


def test_clear_reset_check(tmp_path, storage):
    storage.incr("a", 60)
    storage.incr("b", 60)
    storage.incr("c", 60)
    storage.clear("a")
    assert storage.get("a") == 0
    assert storage.get("b") == 1
    assert storage.reset() == 2
    assert storage.get("b") == 0
    assert _rows(tmp_path / "limits.db") == 0
    assert storage.reset() == 0
    assert storage.check() is True


def test_expired_rows_are_pruned(tmp_path, storage, clock, monkeypatch):
    monkeypatch.setattr(ratelimit, "PRUNE_EVERY", 3)
    storage.incr("old-1", 5)
    storage.incr("old-2", 5)
    clock.now += 6
    assert _rows(tmp_path / "limits.db") == 2
    storage.incr("new", 5)  # the third call on this connection prunes first
    assert _rows(tmp_path / "limits.db") == 1
    assert storage.get("new") == 1


def test_parent_directory_is_created(tmp_path):
    path = tmp_path / "a" / "b" / "limits.db"
    storage = SQLiteStorage(_uri(path))
    assert storage.incr("k", 60) == 1
    assert path.exists()


def test_uri_without_a_path_is_refused():
    with pytest.raises(ConfigurationError):
        SQLiteStorage("academy+sqlite://")


def test_threads_lose_no_increments(storage):
    results: list[int] = []
    lock = threading.Lock()
    start = threading.Barrier(8)

    def work() -> None:
        start.wait()
        for _ in range(50):
            value = storage.incr("shared", 60)
            with lock:
                results.append(value)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == list(range(1, 401))
    assert storage.get("shared") == 400


def test_forked_processes_share_counts(storage):
    ctx = multiprocessing.get_context("fork")
    parent_conn = storage._connection()  # the children inherit this one and must not use it
    go = ctx.Event()
    results = ctx.Queue()

    def child() -> None:
        go.wait(30)
        counts = [storage.incr("shared", 60) for _ in range(50)]
        results.put((storage._connection() is not parent_conn, counts))

    children = [ctx.Process(target=child) for _ in range(2)]
    for process in children:
        process.start()
    go.set()
    seen = [storage.incr("shared", 60) for _ in range(50)]
    for _ in children:
        own_connection, counts = results.get(timeout=60)
        assert own_connection
        seen.extend(counts)
    for process in children:
        process.join(30)
        assert process.exitcode == 0
    assert sorted(seen) == list(range(1, 151))
    assert storage.get("shared") == 150
    assert storage._connection() is parent_conn


def test_registered_scheme_and_fixed_window_shared_by_two_instances(tmp_path):
    path = tmp_path / "x.db"
    first = storage_from_string(_uri(path))
    second = storage_from_string(_uri(path))
    assert isinstance(first, SQLiteStorage) and first is not second
    assert first.path == path
    limit = parse("3 per minute")
    worker_a = FixedWindowRateLimiter(first)
    worker_b = FixedWindowRateLimiter(second)
    hits = [worker_a.hit(limit, "alice"), worker_b.hit(limit, "alice"),
            worker_a.hit(limit, "alice"), worker_b.hit(limit, "alice"),
            worker_a.hit(limit, "alice")]
    assert hits == [True, True, True, False, False]
    assert worker_b.test(limit, "alice") is False
    assert worker_b.hit(limit, "bob") is True
    assert worker_a.get_window_stats(limit, "alice").remaining == 0


# One gunicorn worker: its own interpreter and its own app, reading "username address" lines
# on stdin and answering each with the status code of a failed login.
WORKER = """
import sys

import academy.ratelimit  # registers the academy+sqlite scheme before the limiter starts
from academy import create_app
from academy.extensions import db
from config import TestConfig

app = create_app(TestConfig, SQLALCHEMY_DATABASE_URI=sys.argv[1], RATELIMIT_ENABLED=True,
                 RATELIMIT_STORAGE_URI=sys.argv[2], LOGIN_RATE_LIMIT="3 per minute",
                 LOGIN_IP_RATE_LIMIT="100 per minute")
with app.app_context():
    db.create_all()
client = app.test_client()
print("READY", flush=True)
for line in sys.stdin:
    username, address = line.split()
    response = client.post("/login", data={"username": username, "password": "wrong-pass-1"},
                           environ_base={"REMOTE_ADDR": address})
    print("STATUS", response.status_code, flush=True)
"""


class Worker:
    def __init__(self, db_url: str, storage_uri: str, log: Path) -> None:
        self.log = log.open("w")
        self.process = subprocess.Popen(
            [sys.executable, "-c", WORKER, db_url, storage_uri],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.log, text=True,
            cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)},
        )
        assert self._line("READY") == "READY", log.read_text()

    def _line(self, prefix: str) -> str:
        for line in self.process.stdout:
            if line.startswith(prefix):
                return line.strip()
        return ""

    def login(self, username: str, address: str) -> int:
        self.process.stdin.write(f"{username} {address}\n")
        self.process.stdin.flush()
        return int(self._line("STATUS ").split()[1])

    def stop(self) -> None:
        self.process.stdin.close()
        self.process.wait(30)
        self.log.close()


def test_two_app_processes_share_the_login_limit(tmp_path):
    """Flask-Limiter is process-global, so each app runs in its own process, as in gunicorn."""
    db_url = f"sqlite:///{tmp_path / 'app.db'}"
    storage_uri = _uri(tmp_path / "ratelimits.db")
    first = Worker(db_url, storage_uri, tmp_path / "first.log")
    second = Worker(db_url, storage_uri, tmp_path / "second.log")
    try:
        codes = [first.login("victim", "10.0.0.1"), second.login("victim", "10.0.0.2"),
                 first.login("victim", "10.0.0.3"), second.login("victim", "10.0.0.4"),
                 first.login("victim", "10.0.0.5")]
        other = second.login("someone.else", "10.0.0.6")
    finally:
        first.stop()
        second.stop()
    assert codes == [200, 200, 200, 429, 429]
    assert other == 200
