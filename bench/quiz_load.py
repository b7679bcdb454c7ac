"""Benchmark taking a quiz: N trainees start an attempt together, autosave and submit.

Run with ``.venv/bin/python bench/quiz_load.py [--trainees 200] [--db sqlite|postgresql|both]
[--pg-url postgresql+psycopg://postgres@127.0.0.1:5432/postgres] [--think-ms 20000]
[--runs 3]``.

For each database it migrates a fresh one (SQLite in a temporary instance folder; for
PostgreSQL a private database ``wa_bench_<pid>`` created on the server of ``--pg-url`` and
dropped at the end: the database named in the URL, ``postgres`` by default and never
``test``, is only connected to for CREATE and DROP DATABASE), seeds an org tree, N trainees
(staff record, account with a known password, API token) and the quiz of
``tests/quiz_packages.py`` drawing all 6 auto-graded questions of its bank, then serves the
app with gunicorn as ``scripts/serve.sh`` does (``gunicorn.conf.py``,
``ACADEMY_CONFIG=production`` with ``ACADEMY_FORCE_HTTPS=0``: plain HTTP on loopback) on a
free port, and lets every worker answer a few requests before the clock starts.

N client threads (standard-library HTTP/1.1, a connection per trainee, reopened when the
server closes it) wait at a barrier, so that all N start at the same instant, and then
each: starts an attempt (``POST /api/v1/quizzes/{id}/attempts``), autosaves an answer to
every question (``PUT …/responses/{qid}``, sequence 1) from what the API presented, changes
one answer (sequence 2) and submits, waiting a random think time (0 to ``--think-ms``)
before every request after the start. The default, 0–20 s, is a person reading a question
and answering it; ``--think-ms 200`` is a stress test (every trainee sending about ten
requests a second) that measures throughput rather than a class taking a quiz.

It prints p50/p95/max per step, the errors (any non-2xx answer or exception, with the error
code and the question type), where the CPU went (gunicorn, PostgreSQL, the load generator,
other programs: the load generator shares the machine), whether every acknowledged answer
is in the database with its last acknowledged sequence and response, whether every attempt
was finished exactly once with a score and a quiz grade, and PASS/FAIL for the targets
(start p95 <= 1 s, autosave p95 <= 300 ms, no errors, no lost answers). With ``--runs N``
each database is measured N times, each time afresh, and the latency targets are judged on
the median of the runs' p95 (the machines this runs on are shared, and one run can be
slowed by others). It always exits 0: a benchmark reports, it does not gate.

Tokens are written straight into the database while seeding, as ``POST /api/v1/tokens``
stores them (SHA-256 hashed, last used when issued): 200 sign-ins from one address would
hit the sign-in rate limit. One real sign-in through ``POST /api/v1/tokens`` checks the
seeded password.
"""

from __future__ import annotations

import argparse
import hashlib
import http.client
import json
import os
import random
import re
import resource
import runpy
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PASSWORD = "bench-trainee-2024"  # noqa: S105 - the seeded accounts of a throwaway database
QUESTIONS = 6  # every auto-graded question of the test bank (the essay is left out)
PREFIX = "QB"  # employee numbers (= usernames) of the seeded trainees
PROBE = "bench-probe"
DEFAULT_PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
TARGETS = {"start": 1000.0, "autosave": 300.0}  # p95, milliseconds


# ---------------------------------------------------------------- seeding (a subprocess)


def seed(count: int, out: Path) -> None:
    """Fill the migrated database named by the environment; write ids and tokens to ``out``.

    Runs in its own process with the same environment as gunicorn. Bulk inserts: one
    password hash for every account, one statement per table.
    """
    from sqlalchemy import insert, select

    from academy import create_app
    from academy.auth import passwords
    from academy.auth.models import ApiToken, User, UserRole
    from academy.extensions import db
    from academy.org import services as org
    from academy.org.models import EmploymentType, Worker, WorkerEvent, WorkerStatus
    from academy.timeutil import utcnow
    from tests.quiz_packages import QUIZ, import_quiz_course

    app = create_app()
    with app.app_context():
        district = org.create_unit(code="BQ", name="基准区", level="district", parent=None)
        villages = []
        for s in range(1, 3):
            sub = org.create_unit(code=f"BQ{s}", name=f"基准街道{s}", level="subdistrict",
                                  parent=district)
            for v in range(1, 6):
                villages.append(org.create_unit(code=f"BQ{s}V{v}", name=f"基准社区{s}-{v}",
                                                level="village", parent=sub))
        db.session.commit()
        assert QUIZ.count("count: 4") == 1
        quiz = import_quiz_course(QUIZ.replace("count: 4", f"count: {QUESTIONS}"))

        hired = date.today() - timedelta(days=30)
        db.session.execute(insert(Worker), [
            {"employee_no": f"{PREFIX}{i:05d}", "name": f"学员{i}",
             "org_unit_id": villages[i % len(villages)].id,
             "employment_type": EmploymentType.CONTRACT, "employer": "某人力资源服务有限公司",
             "hire_date": hired, "post": "综合窗口", "status": WorkerStatus.ACTIVE}
            for i in range(count)])
        workers = db.session.execute(select(Worker.employee_no, Worker.id, Worker.org_unit_id)
                                     .where(Worker.employee_no.startswith(PREFIX))).all()
        db.session.execute(insert(WorkerEvent), [
            {"worker_id": w.id, "kind": "hired", "on_date": hired} for w in workers])

        now = utcnow()
        password_hash = passwords.hash_password(PASSWORD)
        rows = [{"username": w.employee_no, "display_name": w.employee_no,
                 "password_hash": password_hash, "worker_id": w.id,
                 "org_unit_id": w.org_unit_id, "active": True,
                 "session_epoch": secrets.token_hex(8), "created_at": now,
                 "password_changed_at": now} for w in workers]
        rows.append({"username": PROBE, "display_name": PROBE, "password_hash": password_hash,
                     "worker_id": None, "org_unit_id": villages[0].id, "active": True,
                     "session_epoch": secrets.token_hex(8), "created_at": now,
                     "password_changed_at": now})
        db.session.execute(insert(User), rows)
        users = db.session.execute(select(User.username, User.id).where(
            User.username.in_([r["username"] for r in rows]))).all()
        db.session.execute(insert(UserRole), [{"user_id": u.id, "role": "trainee"}
                                              for u in users])
        tokens = {u.username: "wa_" + secrets.token_urlsafe(32) for u in users}
        expires = now + timedelta(hours=app.config["API_TOKEN_TTL_HOURS"])
        db.session.execute(insert(ApiToken), [
            {"user_id": u.id, "token_hash": hashlib.sha256(tokens[u.username].encode())
             .hexdigest(), "created_at": now, "expires_at": expires, "last_used_at": now}
            for u in users])
        db.session.commit()
        trainees = sorted((u.username, u.id, tokens[u.username]) for u in users
                          if u.username != PROBE)
        out.write_text(json.dumps({
            "quiz_id": quiz.id,
            "trainees": [{"username": n, "user_id": i, "token": t} for n, i, t in trainees],
            "probe": {"username": PROBE, "token": tokens[PROBE]},
        }))
        db.session.remove()
        db.engine.dispose()


# ---------------------------------------------------------------- the server


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def run_checked(cmd: list[str], env: dict[str, str], what: str) -> float:
    began = time.perf_counter()
    done = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{what} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    return time.perf_counter() - began


def process_tree(pid: int) -> list[int]:
    """``pid`` and its child processes (gunicorn's master and workers)."""
    found = [pid]
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def postgres_pids() -> list[int]:
    """The PostgreSQL server's processes on this machine (to tell its CPU time apart)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().strip() == "postgres":
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


def cpu_by_pid(pids: list[int]) -> dict[int, float]:
    """User plus system CPU time of each process still running, in seconds."""
    ticks = os.sysconf("SC_CLK_TCK")
    found = {}
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        found[pid] = (int(fields[11]) + int(fields[12])) / ticks
    return found


def cpu_seconds(pids: list[int]) -> float:
    return sum(cpu_by_pid(pids).values())


class Server:
    """gunicorn -c gunicorn.conf.py on a free loopback port, its log in ``log``."""

    def __init__(self, env: dict[str, str], log: Path):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = log
        args = f"--bind 127.0.0.1:{self.port}"
        if control_socket_option():
            args += " --no-control-socket"  # not the shared ~/.gunicorn/gunicorn.ctl
        env = {**env, "GUNICORN_CMD_ARGS": args}
        gunicorn = ROOT / ".venv" / "bin" / "gunicorn"
        cmd = [str(gunicorn) if gunicorn.exists() else "gunicorn", "-c", "gunicorn.conf.py"]
        self._log_file = log.open("wb")
        self.proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=self._log_file,
                                     stderr=subprocess.STDOUT, start_new_session=True)

    def wait_ready(self, timeout: float = 60) -> float:
        began = time.perf_counter()
        while time.perf_counter() - began < timeout:
            if self.proc.poll() is not None:
                raise RuntimeError(f"gunicorn exited ({self.proc.returncode}):\n"
                                   + self.log.read_text(errors="replace")[-3000:])
            try:
                status, _ = Client(self.port, {}, timeout=2).call("GET", "/api/v1/openapi.json")
                if status == 200:
                    return time.perf_counter() - began
            except OSError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"gunicorn did not answer within {timeout:.0f} s")

    def workers(self) -> int:
        return len(process_tree(self.proc.pid)) - 1

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=40)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._log_file.close()


def control_socket_option() -> bool:
    """Whether this gunicorn has ``--no-control-socket`` (added in gunicorn 24)."""
    try:
        from gunicorn.config import Config
    except ImportError:
        return False
    return "control_socket_disable" in Config().settings


def machine_cpu() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine so far, from /proc/stat."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    ticks = os.sysconf("SC_CLK_TCK")
    total = sum(values[:8])  # guest time is already counted in user
    return (total - values[3] - values[4]) / ticks, total / ticks


def log_summary(text: str) -> str:
    tracebacks = text.count("Traceback (most recent call last)")
    locked = len(re.findall(r"database is locked", text))
    timeouts = len(re.findall(r"WORKER TIMEOUT", text))
    parts = [f"{tracebacks} tracebacks", f"{locked} 'database is locked'",
             f"{timeouts} worker timeouts"]
    statuses = Counter(re.findall(r'" (\d{3}) ', text))
    if statuses:
        parts.append("access log statuses " + ", ".join(f"{k}×{v}"
                                                         for k, v in sorted(statuses.items())))
    return "; ".join(parts)


# ---------------------------------------------------------------- the trainees


def answer_for(question: dict[str, Any], rng: random.Random) -> Any:
    """A valid response to a presented question, as the server normalises it."""
    kind = question["type"]

    def ids(key: str) -> list[str]:
        # Items are {"id", "text"}; tolerate plain strings (the schema documents "choices"
        # of matching as strings).
        return [item["id"] if isinstance(item, dict) else item for item in question[key]]

    if kind == "single":
        return rng.choice(ids("options"))
    if kind == "multiple":
        shown = ids("options")
        chosen = set(rng.sample(shown, rng.randint(1, len(shown))))
        return [oid for oid in shown if oid in chosen]  # presented order, as normalised
    if kind == "truefalse":
        return rng.random() < 0.5
    if kind == "shortanswer":
        return rng.choice(["社会保障卡", "社保卡", "社会保障卡片"])
    if kind == "numerical":
        return str(rng.randint(1, 6))
    if kind == "matching":
        choices = ids("choices")
        return {pid: rng.choice(choices) for pid in ids("prompts")}
    if kind == "ordering":
        steps = ids("steps")
        rng.shuffle(steps)
        return steps
    return rng.choice(["先核验身份证，再登记。", "一次性告知所需材料，当场办结。"])


def another_answer(question: dict[str, Any], previous: Any, rng: random.Random) -> Any:
    for _ in range(20):
        candidate = answer_for(question, rng)
        if candidate != previous:
            return candidate
    return previous


@dataclass
class Results:
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: dict[str, Counter] = field(default_factory=lambda: defaultdict(Counter))
    # (attempt id, question id) -> {sequence: response} of every PUT answered 200
    acked: dict[tuple[int, int], dict[int, Any]] = field(default_factory=lambda: defaultdict(dict))
    sent: dict[tuple[int, int], dict[int, Any]] = field(default_factory=lambda: defaultdict(dict))
    attempts: dict[int, int] = field(default_factory=dict)  # user id -> attempt id
    submitted: dict[int, dict] = field(default_factory=dict)  # attempt id -> submit answer
    lock: threading.Lock = field(default_factory=threading.Lock)


class Client:
    """One trainee's HTTP/1.1 connection to the server.

    gunicorn's synchronous workers close the connection after each answer; the next request
    opens a new one. A kept-alive connection the server has closed in the meantime is
    reopened once and the request sent again, as browsers do.
    """

    def __init__(self, port: int, headers: dict[str, str], timeout: float = 120):
        self.port = port
        self.headers = headers
        self.timeout = timeout
        self.conn: http.client.HTTPConnection | None = None

    def call(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        """(status, decoded JSON body or None)."""
        data = None if body is None else json.dumps(body).encode()
        headers = dict(self.headers)
        if data is not None:
            headers["Content-Type"] = "application/json"
        while True:
            reused = self.conn is not None
            if self.conn is None:
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port,
                                                       timeout=self.timeout)
            try:
                self.conn.request(method, path, body=data, headers=headers)
                response = self.conn.getresponse()
                raw = response.read()
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                self.close()
                if reused:
                    continue
                raise
            except BaseException:
                self.close()
                raise
            if response.will_close:
                self.close()
            try:
                return response.status, json.loads(raw) if raw else None
            except ValueError:
                return response.status, None

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None


def error_label(status: int, body: Any) -> str:
    code = None
    if isinstance(body, dict):
        error = body.get("error")
        code = error.get("code") if isinstance(error, dict) else body.get("code")
    return f"{status} {code}" if code else str(status)


def request(client: Client, results: Results, steps: tuple[str, ...], method: str, path: str,
            body: Any = None, what: str = "") -> Any:
    """One timed request: the decoded body of a 2xx answer, else None. Other answers and
    exceptions are errors of every step given (labelled with the status, the error code of
    the body and ``what``)."""
    began = time.perf_counter()
    try:
        status, payload = client.call(method, path, body)
    except (OSError, http.client.HTTPException) as exc:
        elapsed = (time.perf_counter() - began) * 1000
        with results.lock:
            for step in steps:
                results.latencies[step].append(elapsed)
                results.errors[step][type(exc).__name__ + what] += 1
        return None
    elapsed = (time.perf_counter() - began) * 1000
    ok = 200 <= status < 300
    with results.lock:
        for step in steps:
            results.latencies[step].append(elapsed)
            if not ok:
                results.errors[step][error_label(status, payload) + what] += 1
    return payload if ok else None


def trainee(port: int, quiz_id: int, who: dict, index: int, think_ms: float,
            barrier: threading.Barrier, results: Results) -> None:
    rng = random.Random(index)
    client = Client(port, {"Authorization": f"Bearer {who['token']}",
                           "Accept-Language": "zh-CN"})

    def think() -> None:
        time.sleep(rng.uniform(0, think_ms) / 1000)

    try:
        barrier.wait()
        body = request(client, results, ("start",), "POST",
                       f"/api/v1/quizzes/{quiz_id}/attempts")
        if body is None:
            return
        attempt_id = body["id"]
        with results.lock:
            results.attempts[who["user_id"]] = attempt_id
        questions = body["questions"]
        answers: dict[int, Any] = {}

        def save(question: dict, response: Any, sequence: int, step: str) -> None:
            key = (attempt_id, question["id"])
            with results.lock:
                results.sent[key][sequence] = response
            saved = request(client, results, ("autosave", step), "PUT",
                            f"/api/v1/attempts/{attempt_id}/responses/{question['id']}",
                            {"response": response, "sequence": sequence},
                            what=f" ({question['type']})")
            if saved is not None:
                with results.lock:
                    results.acked[key][sequence] = response

        for question in questions:
            think()
            answers[question["id"]] = answer_for(question, rng)
            save(question, answers[question["id"]], 1, "  answer (seq 1)")
        if questions:
            think()
            question = rng.choice(questions)
            save(question, another_answer(question, answers[question["id"]], rng), 2,
                 "  change (seq 2)")
        think()
        submitted = request(client, results, ("submit",), "POST",
                            f"/api/v1/attempts/{attempt_id}/submit")
        if submitted is not None:
            with results.lock:
                results.submitted[attempt_id] = submitted
    finally:
        client.close()


def simulate(port: int, seeded: dict, think_ms: float) -> tuple[Results, float]:
    people = seeded["trainees"]
    barrier = threading.Barrier(len(people))
    results = Results()
    threads = [threading.Thread(target=trainee, name=f"trainee-{i}",
                                args=(port, seeded["quiz_id"], who, i, think_ms, barrier,
                                      results))
               for i, who in enumerate(people)]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results, time.perf_counter() - began


def warm_up(seeded: dict, server: Server) -> int:
    """Let every worker serve a few authenticated API requests before the clock starts."""
    headers = {"Authorization": f"Bearer {seeded['probe']['token']}"}
    path = f"/api/v1/quizzes/{seeded['quiz_id']}"
    count = 8 * max(server.workers(), 1)

    def one(_) -> int:
        client = Client(server.port, headers, timeout=60)
        try:
            return client.call("GET", path)[0]
        finally:
            client.close()

    with ThreadPoolExecutor(8) as pool:
        statuses = list(pool.map(one, range(count)))
    if set(statuses) != {200}:
        raise RuntimeError(f"warm-up requests answered {Counter(statuses)}")
    return count


# ---------------------------------------------------------------- checking the database


def check_database(url: str, quiz_id: int, seeded: dict, results: Results) -> dict[str, Any]:
    """Compare every acknowledged answer and every attempt with what is stored."""
    from sqlalchemy import JSON, Column, Float, Integer, MetaData, String, Table, create_engine
    from sqlalchemy import select as sql_select

    meta = MetaData()
    slots = Table("quiz_attempt_slots", meta, Column("attempt_id", Integer),
                  Column("question_id", Integer), Column("response", JSON),
                  Column("sequence", Integer))
    attempts = Table("quiz_attempts", meta, Column("id", Integer), Column("quiz_id", Integer),
                     Column("user_id", Integer), Column("state", String),
                     Column("score", Float), Column("finished_by", String))
    grades = Table("quiz_grades", meta, Column("quiz_id", Integer), Column("user_id", Integer),
                   Column("attempts", Integer))
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            stored = {(r.attempt_id, r.question_id): (r.sequence, r.response) for r in
                      conn.execute(sql_select(slots.c.attempt_id, slots.c.question_id,
                                              slots.c.sequence, slots.c.response)
                                   .join(attempts, attempts.c.id == slots.c.attempt_id)
                                   .where(attempts.c.quiz_id == quiz_id))}
            rows = conn.execute(sql_select(attempts.c.id, attempts.c.user_id,
                                           attempts.c.state, attempts.c.score,
                                           attempts.c.finished_by)
                                .where(attempts.c.quiz_id == quiz_id)).all()
            grade_rows = conn.execute(sql_select(grades.c.user_id, grades.c.attempts)
                                      .where(grades.c.quiz_id == quiz_id)).all()
    finally:
        engine.dispose()

    lost, newer_unacked, acked_total = [], 0, 0
    for key, by_sequence in results.acked.items():
        acked_total += len(by_sequence)
        last = max(by_sequence)
        sequence, response = stored.get(key, (None, None))
        if sequence is None or sequence < last or (
                sequence == last and response != by_sequence[last]):
            lost.append((key, last, by_sequence[last], sequence, response))
        elif sequence > last:
            # A later PUT failed on the wire but was stored: fine if the client sent it.
            if results.sent[key].get(sequence) == response:
                newer_unacked += 1
            else:
                lost.append((key, last, by_sequence[last], sequence, response))

    per_user = Counter(r.user_id for r in rows)
    user_ids = {t["user_id"] for t in seeded["trainees"]}
    grades_by_user = {g.user_id: g.attempts for g in grade_rows}
    bad_attempts = []
    for row in rows:
        answer = results.submitted.get(row.id) or {}
        problem = None
        if per_user[row.user_id] != 1:
            problem = f"user has {per_user[row.user_id]} attempts"
        elif row.state != "finished" or row.finished_by != "trainee":
            problem = f"state {row.state} by {row.finished_by}"
        elif row.score is None:
            problem = "no score"
        elif answer and answer.get("score") != row.score:
            problem = f"submit answered score {answer.get('score')}, stored {row.score}"
        elif grades_by_user.get(row.user_id) != 1:
            problem = f"quiz grade counts {grades_by_user.get(row.user_id)} attempts"
        if problem:
            bad_attempts.append((row.id, problem))
    return {"acked": acked_total, "lost": lost, "newer_unacked": newer_unacked,
            "attempts": len(rows), "finished_once": len(rows) - len(bad_attempts),
            "bad_attempts": bad_attempts, "missing_users": len(user_ids - set(per_user)),
            "trainees": len(user_ids)}


# ---------------------------------------------------------------- reporting


def percentile(values: list[float], pct: float) -> float:
    """Nearest-rank percentile (0 for no values)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * pct // 100))
    return ordered[int(rank) - 1]


STEP_ORDER = ["start", "autosave", "  answer (seq 1)", "  change (seq 2)", "submit"]


def report(label: str, results: Results, wall: float, check: dict, cpu: dict[str, float],
           workers: int, log_text: str, trainees: int, think_ms: float) -> dict[str, Any]:
    print(f"{'step':<18}{'count':>7}{'p50 ms':>9}{'p95 ms':>9}{'max ms':>9}{'errors':>8}")
    total_requests = 0
    for step in STEP_ORDER:
        values = results.latencies.get(step, [])
        errors = sum(results.errors[step].values())
        if step in ("start", "autosave", "submit"):
            total_requests += len(values)
        print(f"{step:<18}{len(values):>7}{percentile(values, 50):>9.0f}"
              f"{percentile(values, 95):>9.0f}{max(values, default=0):>9.0f}{errors:>8}")
    all_errors = Counter()
    for step in ("start", "autosave", "submit"):
        for what, n in results.errors[step].items():
            all_errors[f"{step}: {what}"] += n
    print(f"{'total':<18}{total_requests:>7}   in {wall:.1f} s wall "
          f"({total_requests / wall:.0f} requests/s)")
    served = total_requests / wall
    if think_ms > 0:
        # Every trainee sends its next request a mean think time after the last answer.
        offered = trainees * 1000 / (think_ms / 2)
        print(f"load: the trainees would send up to ≈{offered:.0f} requests/s if answered at "
              f"once (a request every {think_ms / 2:.0f} ms on average each); served "
              f"{served:.0f}/s" + (": saturated, so the latencies are mostly waiting in "
                                   "gunicorn's queue" if offered > 1.5 * served else ""))
    print("errors: " + (", ".join(f"{k} ×{v}" for k, v in sorted(all_errors.items()))
                        or "none"))
    cores = os.cpu_count() or 1
    other = max(cpu["machine"] - cpu["server"] - cpu["client"] - cpu["postgres"], 0.0)
    print(f"CPU during the run: machine {cpu['machine'] / cpu['machine_total'] * 100:.0f}% busy "
          f"of {cores} cores; gunicorn ({workers} worker(s)) {cpu['server']:.1f} s = "
          f"{cpu['server'] * 1000 / max(total_requests, 1):.1f} ms per request; "
          f"PostgreSQL processes {cpu['postgres']:.1f} s; load generator {cpu['client']:.1f} s; "
          f"everything else (kernel, other programs) {other:.1f} s")
    if other > 0.1 * cpu["machine_total"]:
        print(f"note: other programs took {other / cpu['machine_total'] * 100:.0f}% of the "
              f"machine during the run, so these latencies are inflated; rerun when it is quiet")
    print(f"gunicorn log: {log_summary(log_text)}")
    lost = len(check["lost"])
    print(f"database: {check['acked']} acknowledged answers; lost answers: {lost}"
          + (f" ({check['newer_unacked']} newer unacknowledged ones stored too)"
             if check["newer_unacked"] else ""))
    for key, sequence, response, got_sequence, got in check["lost"][:5]:
        print(f"  lost: attempt {key[0]} question {key[1]}: acknowledged sequence {sequence} "
              f"{json.dumps(response, ensure_ascii=False)}, stored sequence {got_sequence} "
              f"{json.dumps(got, ensure_ascii=False)}")
    print(f"attempts: {check['attempts']} stored, {check['finished_once']} finished exactly "
          f"once with a score and a quiz grade; {check['missing_users']} trainees without one")
    for attempt_id, problem in check["bad_attempts"][:5]:
        print(f"  attempt {attempt_id}: {problem}")
    start_p95 = percentile(results.latencies.get("start", []), 95)
    save_p95 = percentile(results.latencies.get("autosave", []), 95)
    error_count = sum(all_errors.values())
    verdicts = {
        f"start p95 <= {TARGETS['start']:.0f} ms ({start_p95:.0f} ms)":
            start_p95 <= TARGETS["start"],
        f"autosave p95 <= {TARGETS['autosave']:.0f} ms ({save_p95:.0f} ms)":
            save_p95 <= TARGETS["autosave"],
        f"0 errors ({error_count})": error_count == 0,
        f"0 lost answers ({lost}), every attempt finished once "
        f"({check['finished_once']}/{check['trainees']})":
            lost == 0 and check["finished_once"] == check["attempts"] == check["trainees"],
    }
    for text, ok in verdicts.items():
        print(f"  {'PASS' if ok else 'FAIL'}  {text}")
    return {"start": start_p95, "autosave": save_p95, "errors": error_count, "lost": lost,
            "finished": check["finished_once"] == check["attempts"] == check["trainees"]}


# ---------------------------------------------------------------- one database


def pg_admin_url(pg_url: str) -> str:
    """The libpq URL (no +psycopg) of the server in ``pg_url``, on its named database
    (``postgres`` when none is named, or when it names the test suite's ``test``)."""
    parts = urlsplit(pg_url)
    path = parts.path if parts.path not in ("", "/", "/test") else "/postgres"
    return urlunsplit(("postgresql", parts.netloc, path, parts.query, ""))


def with_database(pg_url: str, name: str) -> str:
    parts = urlsplit(pg_url)
    return urlunsplit(("postgresql+psycopg", parts.netloc, "/" + name, parts.query, ""))


def bench_one(kind: str, count: int, think_ms: float, pg_url: str) -> dict[str, Any] | None:
    """One run on a fresh database: its report printed, its figures returned (None when
    PostgreSQL cannot be reached)."""
    label = "SQLite" if kind == "sqlite" else "PostgreSQL"
    created_db = None
    with tempfile.TemporaryDirectory(prefix="wa-quiz-load-") as tmp:
        instance = Path(tmp) / "instance"
        instance.mkdir()
        if kind == "sqlite":
            url = f"sqlite:///{instance / 'academy.db'}"
        else:
            import psycopg

            admin = pg_admin_url(pg_url)
            created_db = f"wa_bench_{os.getpid()}"
            try:
                with psycopg.connect(admin, autocommit=True, connect_timeout=5) as conn:
                    conn.execute(f'DROP DATABASE IF EXISTS "{created_db}"')
                    conn.execute(f'CREATE DATABASE "{created_db}"')
            except psycopg.Error as exc:
                where = urlsplit(admin)
                print(f"== {label}: skipped, cannot create a database on "
                      f"{where.hostname or 'the local socket'}:{where.port or 5432}: "
                      f"{str(exc).strip()}")
                return None
            url = with_database(pg_url, created_db)
        env = {key: value for key, value in os.environ.items()
               if key not in ("REDIS_URL", "GUNICORN_CMD_ARGS", "FLASK_APP")}
        env.update(ACADEMY_CONFIG="production", SECRET_KEY=secrets.token_hex(32),
                   DATABASE_URL=url, ACADEMY_INSTANCE_PATH=str(instance),
                   ACADEMY_FORCE_HTTPS="0", PYTHONPATH=str(ROOT))
        server = None
        try:
            migrate_s = run_checked([sys.executable, "-m", "flask", "--app", "wsgi", "db",
                                     "upgrade"], env, "flask db upgrade")
            seeded_file = Path(tmp) / "seeded.json"
            seed_s = run_checked([sys.executable, str(Path(__file__).resolve()), "--seed-into",
                                  str(seeded_file), "--trainees", str(count)], env, "seeding")
            seeded = json.loads(seeded_file.read_text())
            server = Server(env, Path(tmp) / "gunicorn.log")
            up_s = server.wait_ready()
            workers = server.workers()
            probe = Client(server.port, {}, timeout=60)
            login, _ = probe.call("POST", "/api/v1/tokens",
                                  {"username": seeded["trainees"][0]["username"],
                                   "password": PASSWORD})
            probe.close()
            warm = warm_up(seeded, server)
            conf = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
            kind_of_worker = conf.get("worker_class", "sync")
            if kind_of_worker == "gthread":
                kind_of_worker += f" × {conf.get('threads', 1)} threads"
            print(f"== {label}: {count} trainees × {QUESTIONS} questions, think time "
                  f"0–{think_ms / 1000:g} s; gunicorn {workers} {kind_of_worker} worker(s) ==")
            print(f"migrated in {migrate_s:.1f} s, seeded in {seed_s:.1f} s, server up in "
                  f"{up_s:.1f} s; sign-in check POST /api/v1/tokens: {login}; "
                  f"{warm} warm-up requests")
            pids = process_tree(server.proc.pid)
            database = cpu_by_pid(postgres_pids())
            before = (cpu_seconds(pids), machine_cpu(), resource.getrusage(resource.RUSAGE_SELF))
            results, wall = simulate(server.port, seeded, think_ms)
            # Per process: backends started during the run count whole, ended ones not at all.
            database = sum(seconds - database.get(pid, 0.0)
                           for pid, seconds in cpu_by_pid(postgres_pids()).items())
            after = (cpu_seconds(pids), machine_cpu(), resource.getrusage(resource.RUSAGE_SELF))
            cpu = {"server": after[0] - before[0], "postgres": database,
                   "machine": after[1][0] - before[1][0],
                   "machine_total": after[1][1] - before[1][1],
                   "client": (after[2].ru_utime + after[2].ru_stime
                              - before[2].ru_utime - before[2].ru_stime)}
            check = check_database(url, seeded["quiz_id"], seeded, results)
        finally:
            if server is not None:
                server.stop()
            if created_db:
                import psycopg

                try:
                    with psycopg.connect(pg_admin_url(pg_url), autocommit=True) as conn:
                        conn.execute(f'DROP DATABASE IF EXISTS "{created_db}" WITH (FORCE)')
                except psycopg.Error as exc:
                    print(f"warning: could not drop the database {created_db}: {exc}")
        log_text = server.log.read_text(errors="replace")
        return report(label, results, wall, check, cpu, workers, log_text, count, think_ms)


def summarise(label: str, runs: list[dict[str, Any]]) -> dict[str, bool]:
    """The targets judged on the median p95 of the runs; errors and lost answers on every
    run."""
    verdicts = {}
    for step in ("start", "autosave"):
        figures = [run[step] for run in runs]
        median = statistics.median(figures)
        each = ", ".join(f"{figure:.0f}" for figure in figures)
        verdicts[f"{label}: {step} p95 <= {TARGETS[step]:.0f} ms (median {median:.0f} ms; "
                 f"runs: {each})"] = median <= TARGETS[step]
    errors = [run["errors"] for run in runs]
    verdicts[f"{label}: 0 errors (runs: {', '.join(map(str, errors))})"] = not any(errors)
    lost = [run["lost"] for run in runs]
    verdicts[f"{label}: 0 lost answers, every attempt finished once (lost per run: "
             f"{', '.join(map(str, lost))})"] = not any(lost) and all(
                 run["finished"] for run in runs)
    return verdicts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--trainees", type=int, default=200, help="how many (at least 1)")
    parser.add_argument("--db", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--pg-url", default=os.environ.get("BENCH_PG_URL", DEFAULT_PG_URL),
                        help="the PostgreSQL server; a throwaway database is created on it")
    parser.add_argument("--think-ms", type=float, default=20000,
                        help="each trainee waits 0..this many ms before every request after "
                             "the start (default 20000: a person reading and answering; "
                             "200 is a stress test no class of people produces)")
    parser.add_argument("--runs", type=int, default=1,
                        help="runs per database, each on a fresh database and server; the "
                             "targets are judged on the median (this machine is shared)")
    parser.add_argument("--seed-into", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.trainees < 1:
        parser.error("--trainees must be at least 1")
    if not 1 <= args.runs <= 20:
        parser.error("--runs must be between 1 and 20")
    if args.seed_into:
        seed(args.trainees, Path(args.seed_into))
        return
    verdicts: dict[str, bool] = {}
    kinds = ["sqlite", "postgresql"] if args.db == "both" else [args.db]
    first = True
    for kind in kinds:
        runs = []
        for _run in range(args.runs):
            if not first:
                print()
            first = False
            figures = bench_one(kind, args.trainees, args.think_ms, args.pg_url)
            if figures is None:
                break
            runs.append(figures)
        if runs:
            verdicts |= summarise("SQLite" if kind == "sqlite" else "PostgreSQL", runs)
    if verdicts and (len(kinds) > 1 or args.runs > 1):
        print()
        print("summary:")
        for text, ok in verdicts.items():
            print(f"  {'PASS' if ok else 'FAIL'}  {text}")


if __name__ == "__main__":
    main()
