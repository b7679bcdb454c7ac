"""Rubrics, engagements and a little world of people for the observation tests.

The world (fixture ``people``) on conftest's ``orgs`` tree: staff records V1-001 and
V1-002 in V1 (V1-001 with a trainee account), V2-001 in V2 (with a trainee account); the
assessor ``assessor`` (account at D) engaged for S1; an instructor of S1; admins of S1,
S2 and D; and an assessor ``idle`` with no engagement.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from academy.auth.models import User
from academy.extensions import db
from academy.observations import services
from academy.observations.models import Observation, ObservationRubric
from academy.observations.rubrics import parse_rubrics
from academy.org.models import Worker
from tests.conftest import PASSWORD

__all__ = ["people", "rubric"]

RUBRIC_YAML = """\
rubrics:
  - code: test-counter
    title: 测试接待量表
    kind: counter_session
    description: 测试用
    criteria:
      - code: greeting
        name: 微笑问候
        skill: ETIQUETTE
        levels: {1: 没有问候, 2: 问候生硬, 3: 基本做到, 4: 做得好, 5: 堪作示范}
      - code: one_time_notice
        name: 一次性告知
        skill: ONE_TIME_NOTIFICATION
        levels: {1: 没有告知, 2: 遗漏较多, 3: 基本完整, 4: 完整准确, 5: 因人提示}
      - code: closing
        name: 结束语
        levels: {1: 没有结束语, 2: 只说好了, 3: 基本做到, 4: 做得好, 5: 堪作示范}
"""
CODES = ["greeting", "one_time_notice", "closing"]
WHEN = datetime(2025, 3, 3, 2, 30, tzinfo=UTC)  # 10:30 in the district


class _Tally:
    def __init__(self):
        self.counts: dict[str, int] = {}

    def add(self, status: str) -> None:
        self.counts[status] = self.counts.get(status, 0) + 1


def make_rubrics(text: str = RUBRIC_YAML) -> list[ObservationRubric]:
    """Store the rubrics of a rubrics.yaml text (skills unchecked)."""
    specs, problems = parse_rubrics(text.encode(), known_skills=None)
    assert not problems, problems
    services.apply_rubrics(specs, _Tally())
    db.session.commit()
    return [services.get_rubric(spec.code) for spec in specs]


@pytest.fixture
def rubric(app) -> ObservationRubric:
    return make_rubrics()[0]


@dataclass
class People:
    units: dict[str, Any]
    workers: dict[str, Worker]
    users: dict[str, User]
    engagement_id: int

    def user(self, name: str) -> User:
        return db.session.get(User, self.users[name].id)


@pytest.fixture
def people(orgs, make_worker, make_user) -> People:
    workers = {
        "V1-001": make_worker(orgs["V1"], "V1-001", name="东一张三"),
        "V1-002": make_worker(orgs["V1"], "V1-002", name="东一李四"),
        "V2-001": make_worker(orgs["V2"], "V2-001", name="西一王五"),
    }
    users = {
        "v1-001": make_user("v1-001", ("trainee",), orgs["V1"], worker=workers["V1-001"]),
        "v2-001": make_user("v2-001", ("trainee",), orgs["V2"], worker=workers["V2-001"]),
        "assessor": make_user("assessor", ("assessor",), orgs["D"]),
        "idle": make_user("idle", ("assessor",), orgs["D"]),
        "instructor": make_user("instructor", ("instructor",), orgs["S1"]),
        "admin-s1": make_user("admin-s1", ("admin",), orgs["S1"]),
        "admin-s2": make_user("admin-s2", ("admin",), orgs["S2"]),
        "admin-d": make_user("admin-d", ("admin",), orgs["D"]),
    }
    engagement = services.create_engagement(
        users["admin-s1"], assessor=users["assessor"], unit=orgs["S1"],
        valid_from=date.today() - timedelta(days=10), valid_to=date.today() + timedelta(days=20),
        note="第三方测评")
    db.session.commit()
    return People(orgs, workers, users, engagement.id)


def observe(observer: User, worker: Worker, rubric: ObservationRubric,
            scores: dict[str, int | None] | None = None, **kwargs: Any) -> Observation:
    """Record an observation through the service, and commit."""
    observation = services.record_observation(
        observer, services.scope_for(observer), worker, rubric,
        services.ObservationInput(kind=kwargs.pop("kind", "counter_session"),
                                  observed_at=kwargs.pop("observed_at", WHEN),
                                  scores=scores or dict.fromkeys(CODES, 4), **kwargs))
    db.session.commit()
    return observation


def sign_in(client, username: str) -> None:
    response = client.post("/login", data={"username": username, "password": PASSWORD})
    assert response.status_code == 302, response.get_data(as_text=True)[:300]


def token(client, username: str) -> dict[str, str]:
    response = client.post("/api/v1/tokens", json={"username": username, "password": PASSWORD})
    assert response.status_code == 201, response.get_json()
    return {"Authorization": f"Bearer {response.get_json()['token']}"}


def form_data(rubric_code: str = "test-counter", **overrides: str) -> dict[str, str]:
    """A complete scoring form for the test rubric."""
    data = {"rubric": rubric_code, "kind": "counter_session", "observed_at": "2025-03-03T10:30",
            "score_greeting": "4", "score_one_time_notice": "5", "score_closing": "na",
            "note_greeting": "起身问候", "notes": "整体良好"}
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}
