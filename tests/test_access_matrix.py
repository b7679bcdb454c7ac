"""The access matrix: every route of the app × every role (STYLE rule 9).

``ROUTES`` lists each (method, rule) with a real URL, a body that would do something if
allowed, and the expected outcome for every role. ``test_every_route_is_in_the_matrix``
fails when a route is added without an entry here, naming it.

The world: district D with subdistricts S1 and S2, villages V1 (under S1) and V2 (under
S2). The targets live in V1: staff records EV1-001 (with its own trainee account, the
``owner`` role) and EV1-002 (no account), the account ``v1-target``, and a roster-import
job started by ``admin_this`` (an admin of S1). ``admin_other`` administers S2; the
trainee, instructor and assessor sit in S1 itself, so refusing them is a matter of role,
not of scope. The assessor is engaged for S1 (``engagement_id``), so may observe in V1;
EV1-001 has one observation there (``observation_id``), EV2-001 one in V2.

The world is built once for the module on the session's app (see ``matrix``), so the tests
here must not use conftest's ``app`` or ``db`` fixtures (nor those built on them, such as
``orgs`` or ``login_as``): those empty every table. ``client`` is redefined below.
"""

from __future__ import annotations

import io
import os
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from urllib.parse import urlsplit

import openpyxl
import pytest
from flask import Flask
from sqlalchemy import select

from academy.auth.services import create_user
from academy.extensions import db as _db
from academy.jobs.models import Job
from academy.org.models import EmploymentType, OrgUnit, Worker, WorkerEvent
from academy.org.roster import stash_upload
from academy.org.services import create_unit
from tests.conftest import PASSWORD, _truncate

ROLES = ["anonymous", "trainee", "instructor", "assessor", "owner", "admin_other",
         "admin_this"]
SIGNED_IN = ROLES[1:]
NON_ADMINS = ("trainee", "instructor", "assessor", "owner")

# Served files, not views: nothing to authorize.
UNGUARDED_ENDPOINTS = {"static", "bootstrap.static"}
IGNORED_METHODS = {"HEAD", "OPTIONS"}

NEW_PASSWORD = "Window-Academy-Strong-9"
ROSTER_HEADER = "工号,姓名,所属单位编码,用工性质,劳务公司,入职日期,岗位,状态,离职日期,离职原因"
ROSTER_ROW_V1 = "EV1-009,王五,V1,劳务派遣合同,某劳务公司,2023-05-01,综合窗口,在职,,"
# Strings that name S1's units and V1's people: nothing shown to admin_other contains them.
S1_MARKERS = ("东街道", "东一社区", "EV1-001", "EV1-002", "v1-target", "东一张三", "东一李四")


QUIZ_GIFT = "::矩阵题::窗口几点开门？{=九点 ~十点}\n"


def roster_csv() -> bytes:
    return f"{ROSTER_HEADER}\n{ROSTER_ROW_V1}\n".encode()


# ---------------------------------------------------------------- outcomes


OK = "allowed"  # anything but 401/403/404 and 5xx
LOGIN = "sign-in redirect"  # HTML, anonymous: 302 to /login
UNAUTHORIZED = 401  # API, anonymous: the JSON problem
FORBIDDEN = 403
HIDDEN = 404  # refused without revealing that the object exists


@dataclass(frozen=True)
class Contained:
    """Past the role check, but the other subtree's objects are out of reach.

    The view answers exactly ``status`` (a form re-rendered without the foreign choice, an
    import report listing the foreign rows, ...) and writes nothing.
    """

    status: int

    def __str__(self) -> str:
        return f"contained {self.status}"


Outcome = str | int | Contained


def anonymous_outcome(api: bool) -> Outcome:
    return UNAUTHORIZED if api else LOGIN


def public() -> dict[str, Outcome]:
    return dict.fromkeys(ROLES, OK)


def signed_in(api: bool) -> dict[str, Outcome]:
    return {"anonymous": anonymous_outcome(api), **dict.fromkeys(SIGNED_IN, OK)}


def admins(api: bool, **overrides: Outcome) -> dict[str, Outcome]:
    """Any admin (each within their own subtree); other roles are refused."""
    table = {"anonymous": anonymous_outcome(api), **dict.fromkeys(NON_ADMINS, FORBIDDEN),
             "admin_other": OK, "admin_this": OK}
    return {**table, **overrides}


def this_subtree(api: bool, **overrides: Outcome) -> dict[str, Outcome]:
    """Only the admin whose subtree holds the target."""
    return admins(api, **{"admin_other": FORBIDDEN, **overrides})


def authors(api: bool) -> dict[str, Outcome]:
    """Instructors and every admin: courses are district-wide, so scope does not apply."""
    return admins(api, instructor=OK)


def observers(api: bool, **overrides: Outcome) -> dict[str, Outcome]:
    """Instructors, the engaged assessor and admins, each within their own scope."""
    return admins(api, **{"instructor": OK, "assessor": OK, **overrides})


def in_observation_scope(api: bool) -> dict[str, Outcome]:
    """V1's observers and the observed worker; to anyone else it does not exist."""
    return {"anonymous": anonymous_outcome(api), **dict.fromkeys(SIGNED_IN, HIDDEN),
            "instructor": OK, "assessor": OK, "owner": OK, "admin_this": OK}


# ---------------------------------------------------------------- the world
#
# Building the world costs more than most requests (on PostgreSQL above all), so it is built
# once for the module and rebuilt only after a test has left a trace in it: an allowed write,
# or a refused one that wrote anyway (which that test reports). Sign-ins only add audit
# entries and tokens, which no other test reads.


@dataclass
class World:
    target_user_id: int
    job_id: str
    upload_token: str
    course: AuthoringWorld
    rule_id: int = 0  # the learning path's assignment rule (limited to V1)
    scenario_id: int = 0  # the example scenario, stored for matrix-course
    run_id: int = 0  # an unfinished run of it by EV1-001's account (the owner)
    quiz_id: int = 0  # a quiz of matrix-course drawing from MATRIX_BANK
    attempt_id: int = 0  # the owner's attempt at it, in progress
    question_id: int = 0  # its one question
    observation_id: int = 0  # EV1-001's observation (in V1), by the instructor
    engagement_id: int = 0  # the assessor's engagement for S1, in force
    assessor_id: int = 0  # the assessor's account

    def url(self, template: str) -> str:
        return template.format(user_id=self.target_user_id, job_id=self.job_id,
                               rule_id=self.rule_id, scenario_id=self.scenario_id,
                               run_id=self.run_id, quiz_id=self.quiz_id,
                               attempt_id=self.attempt_id, question_id=self.question_id,
                               observation_id=self.observation_id,
                               engagement_id=self.engagement_id,
                               module_id=self.course.module_id,
                               lesson_id=self.course.lesson_id,
                               image_name=self.course.image_name)


@dataclass
class AuthoringWorld:
    """The course ``matrix-course``: published as version 1, then its draft edited."""

    skill_id: int
    module_id: int  # the first of two modules, with two lessons
    other_module_id: int
    lesson_id: int  # the first lesson of the first module
    image_name: str


def build_course(author: Any) -> AuthoringWorld:
    """A course with two modules, two lessons in the first, an image and one version."""
    from PIL import Image

    from academy.catalog import authoring
    from academy.catalog.models import Skill

    skill = Skill(code="MATRIX_SKILL", name="矩阵业务", category="business",
                  level_descriptors={})
    _db.session.add(skill)
    _db.session.flush()
    course = authoring.create_course(slug="matrix-course", title="矩阵课程", skill_id=skill.id,
                                     target_level=2, summary=None, author=author)
    first = authoring.add_module(course, title="第一模块", slug="first")
    second = authoring.add_module(course, title="第二模块", slug="second")
    lesson = authoring.add_lesson(first, title="第一课", slug="one")
    authoring.add_lesson(first, title="第二课", slug="two")
    png = io.BytesIO()
    Image.new("RGB", (2, 2), (31, 78, 140)).save(png, format="PNG")
    image = authoring.add_image(course, png.getvalue())
    authoring.publish_draft(course, "第一版", author)
    authoring.update_lesson(lesson, title="第一课", body_md="改过的草稿")
    return AuthoringWorld(skill_id=skill.id, module_id=first.id, other_module_id=second.id,
                          lesson_id=lesson.id, image_name=image.name)


# Each role's account: (username, role, org unit code); the owner's is EV1-001's own.
ACCOUNTS = {
    "trainee": ("trainee", "trainee", "S1"),
    "instructor": ("instructor", "instructor", "S1"),
    "assessor": ("assessor", "assessor", "S1"),
    "owner": ("EV1-001", "trainee", "V1"),
    "admin_other": ("admin_other", "admin", "S2"),
    "admin_this": ("admin_this", "admin", "S1"),
}


def build_world() -> World:
    """Empty the tables, then create the tree, the targets and every role's account."""
    _truncate()
    units: dict[str, OrgUnit] = {}
    for code, level, parent, name in [("D", "district", None, "示例区"),
                                      ("S1", "subdistrict", "D", "东街道"),
                                      ("S2", "subdistrict", "D", "西街道"),
                                      ("V1", "village", "S1", "东一社区"),
                                      ("V2", "village", "S2", "西一村")]:
        units[code] = create_unit(code=code, name=name, level=level,
                                  parent=units.get(parent or ""))
    workers = {}
    for no, name, code in [("EV1-001", "东一张三", "V1"), ("EV1-002", "东一李四", "V1"),
                           ("EV2-001", "西一王五", "V2")]:  # admin_other's lists aren't empty
        workers[no] = Worker(employee_no=no, name=name, org_unit=units[code],
                             employment_type=EmploymentType.CONTRACT, employer="某劳务公司",
                             hire_date=date(2024, 3, 1), post="综合窗口")
        workers[no].events.append(WorkerEvent(kind="hired", on_date=date(2024, 3, 1)))
        _db.session.add(workers[no])
    users = {
        role: create_user(username=username, display_name=username, org_unit=units[code],
                          roles={role_name}, password=PASSWORD, worker=workers.get(username))
        for role, (username, role_name, code) in ACCOUNTS.items()
    }
    target = create_user(username="v1-target", display_name="v1-target",
                         org_unit=units["V1"], roles={"trainee"}, password=PASSWORD)
    job = Job(kind="roster_import", state="finished", done=1, total=1,
              result={"created": 1}, created_by_id=users["admin_this"].id)
    _db.session.add(job)
    course = build_course(users["instructor"])
    build_framework()
    build_question_bank(course.skill_id)
    rule_id = build_learning()
    scenario_id, run_id = build_scenario(users["owner"])
    quiz_id, attempt_id, question_id = build_quiz(users["owner"])
    observation_id, engagement_id = build_observations(users, workers)
    _db.session.commit()
    world = World(target_user_id=target.id, job_id=job.id, scenario_id=scenario_id,
                  run_id=run_id, quiz_id=quiz_id, attempt_id=attempt_id,
                  question_id=question_id,
                  upload_token=stash_upload(roster_csv(), "roster.csv",
                                            owner_id=users["admin_this"].id, rows=1),
                  course=course, rule_id=rule_id, observation_id=observation_id,
                  engagement_id=engagement_id, assessor_id=users["assessor"].id)
    _db.session.remove()
    return world


MATRIX_RUBRIC = "matrix-rubric"


def build_observations(users: dict[str, Any], workers: dict[str, Worker]) -> tuple[int, int]:
    """The rubric MATRIX_RUBRIC, the assessor's engagement for S1, and one observation
    each of EV1-001 (by the instructor) and EV2-001 (by admin_other)."""
    from datetime import UTC, datetime, timedelta

    from academy.observations import services as observing
    from academy.observations.rubrics import CriterionSpec, RubricSpec
    from academy.observations.services import ObservationInput

    levels = {str(n): f"{n} 分" for n in range(1, 6)}
    spec = RubricSpec(MATRIX_RUBRIC, "矩阵量表", None, "role_play", (
        CriterionSpec("greeting", "微笑问候", None, None, levels),
        CriterionSpec("closing", "结束语", None, None, levels)))

    class Count:
        def add(self, status: str) -> None:
            pass

    observing.apply_rubrics([spec], Count())
    rubric = observing.get_rubric(MATRIX_RUBRIC)
    today = date.today()
    engagement = observing.create_engagement(
        users["admin_this"], assessor=users["assessor"], unit=workers["EV1-001"].org_unit.parent,
        valid_from=today - timedelta(days=1), valid_to=today + timedelta(days=30),
        note="矩阵测评")
    at = datetime(2024, 6, 1, 2, 0, tzinfo=UTC)
    ids = []
    for role, number in [("instructor", "EV1-001"), ("admin_other", "EV2-001")]:
        observer = users[role]
        observation = observing.record_observation(
            observer, observing.scope_for(observer), workers[number], rubric,
            ObservationInput(kind="role_play", observed_at=at,
                             scores={"greeting": 4, "closing": None}))
        ids.append(observation.id)
    return ids[0], engagement.id


def build_scenario(owner: Any) -> tuple[int, int]:
    """The example scenario stored for matrix-course, and an unfinished run by ``owner``."""
    from academy.catalog.models import Course
    from academy.scenarios import services as scenario_services
    from tests.scenario_factories import store_example

    definition = store_example(
        _db.session.scalar(select(Course.id).where(Course.slug == "matrix-course")))
    run = scenario_services.start_run(definition, owner)
    return definition.id, run.id


def build_quiz(owner: Any) -> tuple[int, int, int]:
    """A quiz of matrix-course over MATRIX_BANK, and the owner's attempt in progress."""
    from academy.catalog.models import Course
    from academy.quizzes import attempting
    from academy.quizzes.models import QuestionBank, Quiz
    from academy.quizzes.settings import DrawRule, QuizSettings

    settings = QuizSettings(slug="matrix-quiz", title="矩阵测验", draw=(DrawRule(count=1),))
    quiz = Quiz(course_id=_db.session.scalar(select(Course.id).where(
        Course.slug == "matrix-course")), bank_id=_db.session.scalar(select(
            QuestionBank.id).where(QuestionBank.code == "MATRIX_BANK")),
        slug="matrix-quiz", title="矩阵测验", source_file="quizzes/matrix.yaml",
        content_hash="0" * 64, definition={}, settings=settings.as_dict())
    _db.session.add(quiz)
    _db.session.flush()
    attempt, _created = attempting.start_attempt(quiz, owner)
    _db.session.flush()
    return quiz.id, attempt.id, attempt.slots[0].question_id


def build_framework() -> None:
    """The window profile MATRIX_PROFILE (requiring nothing yet) for the framework pages."""
    from academy.catalog.models import WindowProfile

    _db.session.add(WindowProfile(code="MATRIX_PROFILE", name="矩阵岗位"))


def build_question_bank(skill_id: int) -> None:
    """The question bank MATRIX_BANK, with one question, for the question bank pages."""
    from academy.catalog.models import Skill
    from academy.quizzes import services as quiz_services

    bank = quiz_services.create_bank(code="MATRIX_BANK", title="矩阵题库",
                                     skill=_db.session.get(Skill, skill_id))
    quiz_services.import_questions(bank, QUIZ_GIFT.encode(), fmt="gift")


def build_learning() -> int:
    """The published course ``matrix-learning`` and path LEARN, whose rule (limited to V1)
    assigns it to EV1-001 and EV1-002; returns the rule's id."""
    from academy.learning.services import apply_rules
    from tests.learning_factories import make_path, publish_course

    course = publish_course("matrix-learning", title="矩阵学习")
    path = make_path("LEARN", [(course, "reception"), (course, "closing")], title="矩阵路径",
                     rules=[{"name": "V1 全员", "criteria": {"org_unit": "V1",
                                                             "status": "active"}}])
    apply_rules()
    return path.rules[0].id


# Columns that a permitted read may touch (bookkeeping, not data).
VOLATILE = {("api_tokens", "last_used_at"), ("users", "last_login_at")}
# What signing in writes: left out when deciding whether the world needs rebuilding.
SIGN_IN_TABLES = {"audit_entries", "api_tokens"}


def snapshot(app: Flask, ignore: Collection[str] = ()) -> dict[str, list[tuple]]:
    """Every row of every table (bar bookkeeping columns), and the stashed uploads."""
    state: dict[str, list[tuple]] = {}
    with app.app_context(), _db.engine.connect() as conn:
        for table in _db.metadata.sorted_tables:
            if table.name in ignore:
                continue
            columns = [c for c in table.columns if (table.name, c.name) not in VOLATILE]
            rows = conn.execute(select(*columns).order_by(*table.primary_key.columns))
            state[table.name] = [tuple(row) for row in rows]
    uploads = os.path.join(app.instance_path, "uploads")
    state["uploads"] = sorted(os.listdir(uploads)) if os.path.isdir(uploads) else []
    return state


@dataclass
class Matrix:
    app: Flask
    world: World
    baseline: dict[str, list[tuple]]

    def rebuild_if_touched(self) -> None:
        """Start the next test from the same world if this one left a trace in it."""
        if snapshot(self.app, SIGN_IN_TABLES) != self.baseline:
            with self.app.app_context():
                self.world = build_world()
            self.baseline = snapshot(self.app, SIGN_IN_TABLES)


@pytest.fixture(scope="module")
def matrix(_app, tmp_path_factory):
    """The module's world, on the session's app (not ``app``, which empties every table)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(_app, "instance_path", str(tmp_path_factory.mktemp("matrix")))
        with _app.app_context():
            world = build_world()
        yield Matrix(_app, world, snapshot(_app, SIGN_IN_TABLES))
        with _app.app_context():
            _truncate()


@pytest.fixture
def world(matrix) -> Iterator[World]:
    """The world as the test finds it; rebuilt afterwards if the test changed it."""
    yield matrix.world
    matrix.rebuild_if_touched()


@pytest.fixture
def client(matrix, world):
    """A fresh client (no cookies) on the module's app."""
    return matrix.app.test_client()


@pytest.fixture
def sign_in(client) -> Callable[..., dict[str, str]]:
    """Sign a role in: a session cookie for pages, a bearer token header for the API."""

    def do(role: str, *, api: bool) -> dict[str, str]:
        if role == "anonymous":
            return {}
        credentials = {"username": ACCOUNTS[role][0], "password": PASSWORD}
        if api:
            response = client.post("/api/v1/tokens", json=credentials)
            assert response.status_code == 201, response.get_json()
            return {"Authorization": f"Bearer {response.get_json()['token']}"}
        response = client.post("/login", data=credentials)
        assert response.status_code == 302, response.get_data(as_text=True)[:300]
        return {}

    return do


def differences(before: dict[str, list[tuple]], after: dict[str, list[tuple]]) -> list[str]:
    return [name for name in before if before[name] != after[name]]


# ---------------------------------------------------------------- the matrix


Body = Callable[[World], dict[str, Any]]


def form(**fields: Any) -> Body:
    return lambda world: {"data": dict(fields)}


def json_body(**fields: Any) -> Body:
    return lambda world: {"json": dict(fields)}


def no_body(world: World) -> dict[str, Any]:
    return {}


def page_upload(world: World) -> dict[str, Any]:
    return {"data": {"file": (io.BytesIO(roster_csv()), "roster.csv")},
            "content_type": "multipart/form-data"}


def api_upload(world: World) -> dict[str, Any]:
    return {"data": {"file": (io.BytesIO(roster_csv()), "roster.csv"), "dry_run": "false"},
            "content_type": "multipart/form-data"}


def package_zip() -> bytes:
    """A new course package (matrix-import) teaching the world's skill."""
    from tests.catalog_packages import course_files, make_zip

    return make_zip(course_files("matrix-import", skill="MATRIX_SKILL"))


def package_page_upload(world: World) -> dict[str, Any]:
    return {"data": {"file": (io.BytesIO(package_zip()), "matrix-import.zip")},
            "content_type": "multipart/form-data"}


def package_api_upload(world: World) -> dict[str, Any]:
    return {"data": package_zip(), "content_type": "application/zip"}


def gift_page_upload(world: World) -> dict[str, Any]:
    return {"data": {"file": (io.BytesIO("::新题::新的问题{}\n".encode()), "new.gift")},
            "content_type": "multipart/form-data"}


def gift_api_upload(world: World) -> dict[str, Any]:
    return {"data": "::新题::新的问题{}\n".encode(), "content_type": "text/plain"}


def new_bank(world: World) -> dict[str, Any]:
    return {"data": {"code": "MATRIX_NEW", "title": "新题库", "skill": world.course.skill_id}}


def new_engagement(world: World) -> dict[str, Any]:
    today = date.today()
    return {"data": {"assessor": world.assessor_id, "org_unit": "V1",
                     "valid_from": today.isoformat(),
                     "valid_to": date(today.year + 1, 12, 31).isoformat(), "note": "东一测评"}}


OBSERVATION_FORM = {"rubric": "matrix-rubric", "kind": "counter_session",
                    "observed_at": "2024-06-01T10:00", "score_greeting": "4",
                    "score_closing": "na", "notes": "矩阵观察"}
OBSERVATION_JSON = {"employee_no": "EV1-001", "rubric": "matrix-rubric",
                    "scores": {"greeting": 5, "closing": 3}, "notes": "矩阵观察"}


def confirm_upload(world: World) -> dict[str, Any]:
    return {"data": {"token": world.upload_token}}


def new_course(world: World) -> dict[str, Any]:
    return {"data": {"slug": "matrix-new", "title": "新课程", "skill": world.course.skill_id,
                     "target_level": 1}}


def course_settings(world: World) -> dict[str, Any]:
    return {"data": {"title": "矩阵课程（改）", "skill": world.course.skill_id,
                     "target_level": 3}}


def to_other_module(world: World) -> dict[str, Any]:
    return {"data": {"module": world.course.other_module_id}}


def image_upload(world: World) -> dict[str, Any]:
    from PIL import Image

    png = io.BytesIO()
    Image.new("RGB", (3, 3), (200, 30, 30)).save(png, format="PNG")
    return {"data": {"image": (io.BytesIO(png.getvalue()), "upload.png")},
            "content_type": "multipart/form-data"}


def scenario_edit(part: str) -> Body:
    """A form of the scenario editor that changes the world's example scenario and leaves
    it loading cleanly (so an allowed save writes)."""

    def body(world: World) -> dict[str, Any]:
        from academy.catalog.package import dump_yaml
        from tests.scenario_factories import example_attachment
        from tests.scenario_forms import node_form, settings_form

        example = example_attachment()
        definition, base = example["definition"], example["content_hash"]
        if part == "node":
            data = {**node_form(definition, "seat", base=base), "n-seat-situation": "矩阵修改"}
        elif part == "settings":
            data = {**settings_form(definition, base=base), "settings-title": "矩阵情景"}
        elif part == "new-node":
            data = {"new-node-base": base, "new-node-id": "matrix-node",
                    "new-node-situation": "矩阵", "new-node-link_from": "arrive-busy",
                    "new-node-choice_text": "好的", "new-node-choice_next": "need"}
        elif part == "ending":
            data = {"e-complaint-base": base, "e-complaint-outcome": "failure",
                    "e-complaint-title": "矩阵结局"}
        elif part == "new-ending":
            data = {"new-ending-base": base, "new-ending-id": "matrix-end",
                    "new-ending-outcome": "partial", "new-ending-title": "矩阵",
                    "new-ending-link_from": "issue-not-sure"}
        elif part == "source":
            data = {"source-base": base, "source-action": "save", "source-source":
                    dump_yaml({**definition, "title": "矩阵情景"}).decode("utf-8")}
        else:  # deleting a node or an ending: what led there is pointed elsewhere
            data = {"base": base, "redirect": part}
        return {"data": data}

    return body


@dataclass(frozen=True)
class Route:
    method: str
    rule: str
    url: str  # with {user_id} / {job_id} filled in from the world
    expected: dict[str, Outcome]
    body: Body = no_body
    # An allowed request writes something: proves the refused ones had something to refuse.
    changes: bool = False
    api: bool = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "api", self.rule.startswith("/api/"))
        assert set(self.expected) == set(ROLES), self.rule

    def __str__(self) -> str:
        return f"{self.method} {self.url}"


NEW_UNIT = {"code": "V9", "name": "东九社区", "level": "village", "parent": "S1"}
NEW_WORKER = {"employee_no": "EV1-009", "name": "王五", "org_unit": "V1",
              "employment_type": "contract", "employer": "某劳务公司",
              "hire_date": "2023-05-01", "post": "综合窗口"}
EDITED_WORKER = {"name": "东一张三丰", "org_unit": "V1", "employment_type": "contract",
                 "employer": "某劳务公司", "hire_date": "2024-03-01", "post": "综合窗口"}

ROUTES = [
    # -------------------------------------------------- public
    Route("GET", "/login", "/login", public()),
    Route("POST", "/login", "/login", public(),
          form(username="v1-target", password=PASSWORD)),
    Route("POST", "/logout", "/logout", public()),
    Route("POST", "/language", "/language", public(), form(locale="en", next="/")),
    Route("GET", "/healthz", "/healthz", public()),
    Route("GET", "/favicon.ico", "/favicon.ico", public()),
    Route("GET", "/api/v1/docs", "/api/v1/docs", public()),
    Route("GET", "/api/v1/docs/assets/<path:filename>", "/api/v1/docs/assets/swagger-ui.css",
          public()),
    Route("GET", "/api/v1/openapi.json", "/api/v1/openapi.json", public()),
    Route("POST", "/api/v1/tokens", "/api/v1/tokens", public(),
          json_body(username="v1-target", password=PASSWORD)),
    # -------------------------------------------------- anyone signed in, about themself
    Route("GET", "/", "/", signed_in(api=False)),
    Route("GET", "/account/password", "/account/password", signed_in(api=False)),
    Route("POST", "/account/password", "/account/password", signed_in(api=False),
          form(current_password=PASSWORD, new_password=NEW_PASSWORD, confirm=NEW_PASSWORD),
          changes=True),
    Route("GET", "/api/v1/me", "/api/v1/me", signed_in(api=True)),
    # -------------------------------------------------- scenarios: play; runs are their player's
    Route("GET", "/scenarios/<int:scenario_id>/play", "/scenarios/{scenario_id}/play",
          signed_in(api=False)),
    # Starts a run, or resumes the player's unfinished one (the owner's: nothing to write).
    Route("POST", "/scenarios/<int:scenario_id>/play", "/scenarios/{scenario_id}/play",
          signed_in(api=False)),
    Route("POST", "/scenarios/runs/<int:run_id>/choose", "/scenarios/runs/{run_id}/choose",
          {"anonymous": LOGIN, **dict.fromkeys(SIGNED_IN, HIDDEN), "owner": OK},
          form(choice="arrive-greet"), changes=True),
    Route("GET", "/scenarios/runs/<int:run_id>/report", "/scenarios/runs/{run_id}/report",
          {"anonymous": LOGIN, **dict.fromkeys(SIGNED_IN, HIDDEN), "owner": OK}),
    Route("POST", "/api/v1/scenarios/<int:scenario_id>/runs",
          "/api/v1/scenarios/{scenario_id}/runs", signed_in(api=True), changes=True),
    Route("POST", "/api/v1/scenario-runs/<int:run_id>/choices",
          "/api/v1/scenario-runs/{run_id}/choices",
          {"anonymous": UNAUTHORIZED, **dict.fromkeys(SIGNED_IN, HIDDEN), "owner": OK},
          json_body(choice="arrive-greet"), changes=True),
    Route("DELETE", "/api/v1/tokens/current", "/api/v1/tokens/current", signed_in(api=True),
          changes=True),
    # -------------------------------------------------- scenarios for instructors and admins:
    # editing is district-wide (as courses are); statistics count one's own subtree only
    Route("GET", "/scenarios/", "/scenarios/", authors(api=False)),
    Route("GET", "/scenarios/<int:scenario_id>/edit", "/scenarios/{scenario_id}/edit",
          authors(api=False)),
    Route("POST", "/scenarios/<int:scenario_id>/settings", "/scenarios/{scenario_id}/settings",
          authors(api=False), scenario_edit("settings"), changes=True),
    Route("POST", "/scenarios/<int:scenario_id>/nodes", "/scenarios/{scenario_id}/nodes",
          authors(api=False), scenario_edit("new-node"), changes=True),
    Route("POST", "/scenarios/<int:scenario_id>/nodes/<node_id>",
          "/scenarios/{scenario_id}/nodes/seat", authors(api=False), scenario_edit("node"),
          changes=True),
    Route("POST", "/scenarios/<int:scenario_id>/nodes/<node_id>/delete",
          "/scenarios/{scenario_id}/nodes/sent-back/delete", authors(api=False),
          scenario_edit("report-loss"), changes=True),
    Route("POST", "/scenarios/<int:scenario_id>/endings", "/scenarios/{scenario_id}/endings",
          authors(api=False), scenario_edit("new-ending"), changes=True),
    Route("POST", "/scenarios/<int:scenario_id>/endings/<ending_id>",
          "/scenarios/{scenario_id}/endings/complaint", authors(api=False),
          scenario_edit("ending"), changes=True),
    Route("POST", "/scenarios/<int:scenario_id>/endings/<ending_id>/delete",
          "/scenarios/{scenario_id}/endings/left-to-supervisor/delete", authors(api=False),
          scenario_edit("card-no-notice"), changes=True),
    Route("POST", "/scenarios/<int:scenario_id>/source", "/scenarios/{scenario_id}/source",
          authors(api=False), scenario_edit("source"), changes=True),
    # A play-test writes nothing: the path is in the address.
    Route("GET", "/scenarios/<int:scenario_id>/test",
          "/scenarios/{scenario_id}/test?path=arrive-greet", authors(api=False)),
    Route("GET", "/scenarios/<int:scenario_id>/statistics",
          "/scenarios/{scenario_id}/statistics", authors(api=False)),
    Route("GET", "/scenarios/<int:scenario_id>/statistics",
          "/scenarios/{scenario_id}/statistics?org_unit=V1",
          this_subtree(api=False, instructor=OK)),
    Route("GET", "/scenarios/<int:scenario_id>/statistics.xlsx",
          "/scenarios/{scenario_id}/statistics.xlsx", authors(api=False)),
    Route("GET", "/scenarios/<int:scenario_id>/statistics.xlsx",
          "/scenarios/{scenario_id}/statistics.xlsx?org_unit=V1",
          this_subtree(api=False, instructor=OK)),
    # -------------------------------------------------- quiz pages: as the API
    Route("GET", "/quizzes/<int:quiz_id>", "/quizzes/{quiz_id}", signed_in(api=False)),
    Route("POST", "/quizzes/<int:quiz_id>/start", "/quizzes/{quiz_id}/start",
          signed_in(api=False)),
    Route("GET", "/quizzes/attempts/<int:attempt_id>", "/quizzes/attempts/{attempt_id}",
          {"anonymous": LOGIN, **dict.fromkeys(SIGNED_IN, HIDDEN), "owner": OK}),
    Route("POST", "/quizzes/attempts/<int:attempt_id>/submit",
          "/quizzes/attempts/{attempt_id}/submit",
          {"anonymous": LOGIN, **dict.fromkeys(SIGNED_IN, HIDDEN), "owner": OK},
          form(), changes=True),
    Route("GET", "/quizzes/attempts/<int:attempt_id>/review",
          "/quizzes/attempts/{attempt_id}/review",
          {"anonymous": LOGIN, **dict.fromkeys(SIGNED_IN, HIDDEN), "owner": OK,
           "instructor": OK, "admin_this": OK}),
    # -------------------------------------------------- quiz pages for instructors and admins:
    # the attempts of their own subtree (the owner's attempt is still in progress, so there
    # is nothing to grade: a grade is refused as if the essay did not exist)
    Route("GET", "/quizzes/", "/quizzes/", authors(api=False)),
    Route("GET", "/quizzes/grading", "/quizzes/grading", authors(api=False)),
    Route("GET", "/quizzes/attempts/<int:attempt_id>/grade",
          "/quizzes/attempts/{attempt_id}/grade",
          authors(api=False) | {"admin_other": HIDDEN}),
    Route("POST", "/quizzes/attempts/<int:attempt_id>/grade/<int:question_id>",
          "/quizzes/attempts/{attempt_id}/grade/{question_id}",
          authors(api=False) | {"instructor": HIDDEN, "admin_other": HIDDEN,
                                "admin_this": HIDDEN},
          form(c0="1", comment="好")),
    Route("GET", "/quizzes/<int:quiz_id>/statistics", "/quizzes/{quiz_id}/statistics",
          authors(api=False)),
    Route("GET", "/quizzes/<int:quiz_id>/statistics.xlsx", "/quizzes/{quiz_id}/statistics.xlsx",
          authors(api=False)),
    # -------------------------------------------------- quizzes: attempts are their trainee's;
    # the instructors and admins of the trainee's subtree may read them, never answer
    Route("GET", "/api/v1/quizzes/<int:quiz_id>", "/api/v1/quizzes/{quiz_id}",
          signed_in(api=True)),
    # Starts an attempt, or resumes the owner's open one (nothing to write then).
    Route("POST", "/api/v1/quizzes/<int:quiz_id>/attempts", "/api/v1/quizzes/{quiz_id}/attempts",
          signed_in(api=True)),
    Route("GET", "/api/v1/attempts/<int:attempt_id>", "/api/v1/attempts/{attempt_id}",
          {"anonymous": UNAUTHORIZED, **dict.fromkeys(SIGNED_IN, HIDDEN), "owner": OK,
           "instructor": OK, "admin_this": OK}),
    Route("PUT", "/api/v1/attempts/<int:attempt_id>/responses/<int:question_id>",
          "/api/v1/attempts/{attempt_id}/responses/{question_id}",
          {"anonymous": UNAUTHORIZED, **dict.fromkeys(SIGNED_IN, HIDDEN), "owner": OK},
          json_body(response=None, sequence=5), changes=True),
    Route("POST", "/api/v1/attempts/<int:attempt_id>/submit",
          "/api/v1/attempts/{attempt_id}/submit",
          {"anonymous": UNAUTHORIZED, **dict.fromkeys(SIGNED_IN, HIDDEN), "owner": OK},
          changes=True),
    # -------------------------------------------------- admin pages: lists of one's subtree
    Route("GET", "/admin/audit/", "/admin/audit/", admins(api=False)),
    Route("GET", "/admin/units", "/admin/units", admins(api=False)),
    Route("GET", "/admin/users", "/admin/users", admins(api=False)),
    Route("GET", "/admin/users/new", "/admin/users/new", admins(api=False)),
    Route("GET", "/admin/workers", "/admin/workers", admins(api=False)),
    Route("GET", "/admin/workers", "/admin/workers?org_unit=V1", this_subtree(api=False)),
    Route("GET", "/admin/workers.xlsx", "/admin/workers.xlsx", admins(api=False)),
    Route("GET", "/admin/workers.xlsx", "/admin/workers.xlsx?org_unit=V1",
          this_subtree(api=False)),
    Route("GET", "/admin/workers/new", "/admin/workers/new", admins(api=False)),
    Route("GET", "/admin/workers/import", "/admin/workers/import", admins(api=False)),
    Route("GET", "/admin/workers/import/template.xlsx", "/admin/workers/import/template.xlsx",
          admins(api=False)),
    # -------------------------------------------------- admin pages: V1's objects
    Route("POST", "/admin/units", "/admin/units",
          this_subtree(api=False, admin_other=Contained(422)),  # S1 is not a parent choice
          form(**NEW_UNIT), changes=True),
    Route("GET", "/admin/units/<code>", "/admin/units/V1", this_subtree(api=False)),
    Route("POST", "/admin/units/<code>", "/admin/units/V1", this_subtree(api=False),
          form(action="rename", **{"rename-name": "东一新社区"}), changes=True),
    Route("POST", "/admin/users/new", "/admin/users/new",
          this_subtree(api=False, admin_other=Contained(200)),  # V1 is not a unit choice
          form(username="v1-new", display_name="新用户", org_unit="V1", roles="trainee",
               password=NEW_PASSWORD), changes=True),
    Route("GET", "/admin/users/<int:user_id>", "/admin/users/{user_id}",
          this_subtree(api=False)),
    Route("POST", "/admin/users/<int:user_id>/active", "/admin/users/{user_id}/active",
          this_subtree(api=False), changes=True),
    Route("POST", "/admin/users/<int:user_id>/password", "/admin/users/{user_id}/password",
          this_subtree(api=False), form(new_password=NEW_PASSWORD), changes=True),
    Route("POST", "/admin/users/<int:user_id>/roles", "/admin/users/{user_id}/roles",
          this_subtree(api=False), form(roles=["trainee", "instructor"]), changes=True),
    Route("POST", "/admin/workers/new", "/admin/workers/new",
          this_subtree(api=False, admin_other=Contained(422)),  # V1 is not a unit choice
          form(**NEW_WORKER), changes=True),
    Route("GET", "/admin/workers/<employee_no>", "/admin/workers/EV1-001",
          this_subtree(api=False)),
    Route("GET", "/admin/workers/<employee_no>/edit", "/admin/workers/EV1-001/edit",
          this_subtree(api=False)),
    Route("POST", "/admin/workers/<employee_no>/edit", "/admin/workers/EV1-001/edit",
          this_subtree(api=False), form(**EDITED_WORKER), changes=True),
    Route("POST", "/admin/workers/<employee_no>/leave", "/admin/workers/EV1-001/leave",
          this_subtree(api=False), form(leave_date="2024-06-01", leave_reason="调动"),
          changes=True),
    Route("POST", "/admin/workers/<employee_no>/account", "/admin/workers/EV1-002/account",
          this_subtree(api=False), form(password=NEW_PASSWORD), changes=True),
    # admin_other's preview lists the V1 row as outside their units; nothing is stashed.
    Route("POST", "/admin/workers/import", "/admin/workers/import",
          admins(api=False, admin_other=Contained(200)), page_upload),
    # The upload token belongs to admin_this; anyone else's confirmation is turned away.
    Route("POST", "/admin/workers/import/confirm", "/admin/workers/import/confirm",
          this_subtree(api=False, admin_other=Contained(302)), confirm_upload, changes=True),
    Route("GET", "/admin/workers/import/jobs/<job_id>", "/admin/workers/import/jobs/{job_id}",
          this_subtree(api=False, admin_other=HIDDEN)),
    # -------------------------------------------------- authoring: any course, by role
    Route("GET", "/authoring/", "/authoring/", authors(api=False)),
    Route("GET", "/authoring/courses/new", "/authoring/courses/new", authors(api=False)),
    Route("POST", "/authoring/courses/new", "/authoring/courses/new", authors(api=False),
          new_course, changes=True),
    Route("POST", "/authoring/preview", "/authoring/preview", authors(api=False),
          json_body(markdown="**x** ![i](images/x.png)", course="matrix-course")),
    Route("GET", "/authoring/courses/<slug>", "/authoring/courses/matrix-course",
          authors(api=False)),
    Route("POST", "/authoring/courses/<slug>/settings",
          "/authoring/courses/matrix-course/settings", authors(api=False), course_settings,
          changes=True),
    Route("POST", "/authoring/courses/<slug>/publish", "/authoring/courses/matrix-course/publish",
          authors(api=False), form(note="第二版"), changes=True),
    Route("GET", "/authoring/courses/<slug>/versions",
          "/authoring/courses/matrix-course/versions", authors(api=False)),
    Route("GET", "/authoring/courses/<slug>/versions/<int:number>",
          "/authoring/courses/matrix-course/versions/1", authors(api=False)),
    Route("POST", "/authoring/courses/<slug>/modules", "/authoring/courses/matrix-course/modules",
          authors(api=False), form(title="新模块"), changes=True),
    Route("POST", "/authoring/courses/<slug>/modules/<int:module_id>",
          "/authoring/courses/matrix-course/modules/{module_id}", authors(api=False),
          form(title="改名的模块"), changes=True),
    Route("POST", "/authoring/courses/<slug>/modules/<int:module_id>/delete",
          "/authoring/courses/matrix-course/modules/{module_id}/delete", authors(api=False),
          changes=True),
    Route("POST", "/authoring/courses/<slug>/modules/<int:module_id>/move",
          "/authoring/courses/matrix-course/modules/{module_id}/move", authors(api=False),
          form(direction="down"), changes=True),
    Route("POST", "/authoring/courses/<slug>/modules/<int:module_id>/lessons",
          "/authoring/courses/matrix-course/modules/{module_id}/lessons", authors(api=False),
          form(title="新课"), changes=True),
    Route("GET", "/authoring/courses/<slug>/lessons/<int:lesson_id>",
          "/authoring/courses/matrix-course/lessons/{lesson_id}", authors(api=False)),
    Route("POST", "/authoring/courses/<slug>/lessons/<int:lesson_id>",
          "/authoring/courses/matrix-course/lessons/{lesson_id}", authors(api=False),
          form(title="第一课", body_md="又改了"), changes=True),
    Route("POST", "/authoring/courses/<slug>/lessons/<int:lesson_id>/delete",
          "/authoring/courses/matrix-course/lessons/{lesson_id}/delete", authors(api=False),
          changes=True),
    Route("POST", "/authoring/courses/<slug>/lessons/<int:lesson_id>/move",
          "/authoring/courses/matrix-course/lessons/{lesson_id}/move", authors(api=False),
          form(direction="down"), changes=True),
    Route("POST", "/authoring/courses/<slug>/lessons/<int:lesson_id>/module",
          "/authoring/courses/matrix-course/lessons/{lesson_id}/module", authors(api=False),
          to_other_module, changes=True),
    Route("GET", "/authoring/courses/<slug>/images", "/authoring/courses/matrix-course/images",
          authors(api=False)),
    Route("POST", "/authoring/courses/<slug>/images", "/authoring/courses/matrix-course/images",
          authors(api=False), image_upload, changes=True),
    Route("GET", "/authoring/courses/<slug>/images/<name>",
          "/authoring/courses/matrix-course/images/{image_name}", authors(api=False)),
    # -------------------------------------------------- learning: the trainee's own
    Route("GET", "/learning", "/learning", signed_in(api=False)),
    # Only the worker it is assigned to sees a path; to anyone else it does not exist.
    Route("GET", "/learning/paths/<code>", "/learning/paths/LEARN",
          {"anonymous": LOGIN, **dict.fromkeys(SIGNED_IN, HIDDEN), "owner": OK}),
    Route("GET", "/learning/<course_slug>/<module_slug>/<lesson_slug>",
          "/learning/matrix-learning/reception/smile?path=LEARN", signed_in(api=False)),
    # Reading is open to anyone signed in; only staff with a learning record mark lessons.
    Route("POST", "/learning/<course_slug>/<module_slug>/<lesson_slug>/done",
          "/learning/matrix-learning/reception/smile/done?path=LEARN",
          {"anonymous": LOGIN, **dict.fromkeys(SIGNED_IN, FORBIDDEN), "owner": OK},
          changes=True),
    Route("GET", "/learning/assets/<course_slug>/images/<name>",
          "/learning/assets/matrix-learning/images/flow.png", signed_in(api=False)),
    Route("GET", "/learning/notifications", "/learning/notifications", signed_in(api=False)),
    # Marks the caller's own notices read (the owner has one; others have none to change).
    Route("POST", "/learning/notifications/read", "/learning/notifications/read",
          signed_in(api=False)),
    # -------------------------------------------------- learning: oversight (instructors too)
    Route("GET", "/learning/reports", "/learning/reports",
          admins(api=False, instructor=OK)),
    Route("GET", "/learning/reports", "/learning/reports?org_unit=V1",
          this_subtree(api=False, instructor=OK)),
    Route("GET", "/learning/reports/<code>", "/learning/reports/LEARN",
          admins(api=False, instructor=OK)),
    Route("GET", "/learning/reports/<code>", "/learning/reports/LEARN?org_unit=V1",
          this_subtree(api=False, instructor=OK)),
    Route("GET", "/learning/reports/<code>/export.xlsx", "/learning/reports/LEARN/export.xlsx",
          admins(api=False, instructor=OK)),
    Route("GET", "/learning/reports/<code>/export.xlsx",
          "/learning/reports/LEARN/export.xlsx?org_unit=V1",
          this_subtree(api=False, instructor=OK)),
    # -------------------------------------------------- learning: path administration
    Route("GET", "/admin/learning/paths", "/admin/learning/paths", admins(api=False)),
    Route("GET", "/admin/learning/paths/<code>", "/admin/learning/paths/LEARN",
          admins(api=False)),
    # admin_other's form is re-rendered: V1 is not one of their units.
    Route("POST", "/admin/learning/paths/<code>/rules", "/admin/learning/paths/LEARN/rules",
          this_subtree(api=False, admin_other=Contained(422)),
          form(**{"rule-name": "东一合同工", "rule-org_unit": "V1",
                  "rule-employment_type": "contract", "rule-due_from": "hire"}),
          changes=True),
    Route("GET", "/admin/learning/rules/<int:rule_id>", "/admin/learning/rules/{rule_id}",
          this_subtree(api=False)),
    Route("POST", "/admin/learning/rules/<int:rule_id>", "/admin/learning/rules/{rule_id}",
          this_subtree(api=False),
          form(**{"rule-name": "V1 新名", "rule-org_unit": "V1", "rule-due_from": "hire"}),
          changes=True),
    Route("POST", "/admin/learning/rules/<int:rule_id>/active",
          "/admin/learning/rules/{rule_id}/active", this_subtree(api=False),
          form(active="0"), changes=True),
    Route("POST", "/admin/learning/paths/<code>/assign", "/admin/learning/paths/LEARN/assign",
          this_subtree(api=False),
          form(**{"assign-target": "person", "assign-employee_no": "EV1-002",
                  "assign-due_date": "2099-01-01"}), changes=True),
    # -------------------------------------------------- observations: observers in scope
    # An assessor's scope is their engagements (S1 here), the others' their own subtree:
    # admin_other's lists show V2 only, and V1's people and unit do not exist for them.
    Route("GET", "/observations", "/observations", observers(api=False)),
    Route("GET", "/observations", "/observations?org_unit=V1",
          observers(api=False, admin_other=HIDDEN)),
    Route("GET", "/observations/export.xlsx", "/observations/export.xlsx", observers(api=False)),
    Route("GET", "/observations/export.xlsx", "/observations/export.xlsx?org_unit=V1",
          observers(api=False, admin_other=HIDDEN)),
    Route("GET", "/observations/new", "/observations/new?q=EV1", observers(api=False)),
    Route("GET", "/observations/new/<employee_no>",
          "/observations/new/EV1-001?rubric=matrix-rubric",
          observers(api=False, admin_other=HIDDEN)),
    Route("POST", "/observations/new/<employee_no>", "/observations/new/EV1-001",
          observers(api=False, admin_other=HIDDEN), form(**OBSERVATION_FORM), changes=True),
    Route("GET", "/observations/<int:observation_id>", "/observations/{observation_id}",
          in_observation_scope(api=False)),
    # Everyone's own (the owner has one; the others an empty page).
    Route("GET", "/observations/mine", "/observations/mine", signed_in(api=False)),
    Route("GET", "/admin/engagements", "/admin/engagements", admins(api=False)),
    Route("POST", "/admin/engagements", "/admin/engagements",
          this_subtree(api=False, admin_other=Contained(422)),  # V1 is not a unit choice
          new_engagement, changes=True),
    Route("POST", "/admin/engagements/<int:engagement_id>/end",
          "/admin/engagements/{engagement_id}/end", this_subtree(api=False), changes=True),
    Route("GET", "/api/v1/observations", "/api/v1/observations", signed_in(api=True)),
    Route("GET", "/api/v1/observations", "/api/v1/observations?employee_no=EV1-001",
          signed_in(api=True)),  # an empty list for those who may not see V1
    Route("POST", "/api/v1/observations", "/api/v1/observations",
          observers(api=True, admin_other=HIDDEN), json_body(**OBSERVATION_JSON),
          changes=True),
    Route("GET", "/api/v1/observations/<int:observation_id>",
          "/api/v1/observations/{observation_id}", in_observation_scope(api=True)),
    # -------------------------------------------------- API
    Route("GET", "/api/v1/org-units", "/api/v1/org-units", admins(api=True)),
    Route("POST", "/api/v1/org-units", "/api/v1/org-units", this_subtree(api=True),
          json_body(**NEW_UNIT), changes=True),
    Route("GET", "/api/v1/workers", "/api/v1/workers", admins(api=True)),
    Route("GET", "/api/v1/workers", "/api/v1/workers?org_unit=V1", this_subtree(api=True)),
    Route("POST", "/api/v1/workers", "/api/v1/workers", this_subtree(api=True),
          json_body(**NEW_WORKER), changes=True),
    # One's own staff record is readable; everyone else's only by its subtree's admins.
    Route("GET", "/api/v1/workers/<string:employee_no>", "/api/v1/workers/EV1-001",
          this_subtree(api=True, owner=OK)),
    Route("PATCH", "/api/v1/workers/<string:employee_no>", "/api/v1/workers/EV1-001",
          this_subtree(api=True), json_body(post="社保窗口"), changes=True),
    # admin_other's import reports the V1 row as outside their scope and writes nothing.
    Route("POST", "/api/v1/workers/import", "/api/v1/workers/import",
          admins(api=True, admin_other=Contained(200)), api_upload, changes=True),
    # Progress: the worker themself, and the admins and instructors of their subtree.
    Route("GET", "/api/v1/workers/<string:employee_no>/progress",
          "/api/v1/workers/EV1-001/progress", this_subtree(api=True, owner=OK, instructor=OK)),
    # Other people's jobs are not revealed, whatever the caller's role or scope.
    Route("GET", "/api/v1/jobs/<string:job_id>", "/api/v1/jobs/{job_id}",
          {"anonymous": UNAUTHORIZED, **dict.fromkeys(SIGNED_IN, HIDDEN), "admin_this": OK}),
    # -------------------------------------------------- catalogue: anyone signed in reads
    Route("GET", "/catalog/courses", "/catalog/courses", signed_in(api=False)),
    Route("GET", "/catalog/courses/<slug>", "/catalog/courses/matrix-course",
          signed_in(api=False)),
    Route("GET", "/api/v1/skills", "/api/v1/skills", signed_in(api=True)),
    Route("GET", "/api/v1/window-profiles", "/api/v1/window-profiles", signed_in(api=True)),
    Route("GET", "/api/v1/courses", "/api/v1/courses", signed_in(api=True)),
    Route("GET", "/api/v1/courses/<string:slug>", "/api/v1/courses/matrix-course",
          signed_in(api=True)),
    # -------------------------------------------------- course packages: instructors, admins
    Route("GET", "/catalog/import", "/catalog/import", authors(api=False)),
    Route("POST", "/catalog/import", "/catalog/import", authors(api=False), package_page_upload,
          changes=True),
    Route("POST", "/api/v1/courses/import", "/api/v1/courses/import", authors(api=True),
          package_api_upload, changes=True),
    Route("GET", "/api/v1/courses/<string:slug>/export", "/api/v1/courses/matrix-course/export",
          authors(api=True)),
    # -------------------------------------------------- question banks: instructors, admins
    Route("GET", "/quizzes/banks", "/quizzes/banks", authors(api=False)),
    Route("GET", "/quizzes/banks/new", "/quizzes/banks/new", authors(api=False)),
    Route("POST", "/quizzes/banks/new", "/quizzes/banks/new", authors(api=False), new_bank,
          changes=True),
    Route("GET", "/quizzes/banks/<code>", "/quizzes/banks/MATRIX_BANK", authors(api=False)),
    Route("GET", "/quizzes/banks/<code>/import", "/quizzes/banks/MATRIX_BANK/import",
          authors(api=False)),
    # The preview keeps the checked file for the confirmation step.
    Route("POST", "/quizzes/banks/<code>/import", "/quizzes/banks/MATRIX_BANK/import",
          authors(api=False), gift_page_upload, changes=True),
    # The world's stashed upload is admin_this's roster: to anyone else it does not exist
    # (a redirect back to the form), and for admin_this it is no question file (409).
    Route("POST", "/quizzes/banks/<code>/import/confirm",
          "/quizzes/banks/MATRIX_BANK/import/confirm", authors(api=False),
          lambda world: {"data": {"token": world.upload_token, "format": "gift"}}),
    Route("GET", "/quizzes/template.xlsx", "/quizzes/template.xlsx", authors(api=False)),
    Route("GET", "/api/v1/question-banks", "/api/v1/question-banks", authors(api=True)),
    Route("POST", "/api/v1/question-banks/<string:code>/import",
          "/api/v1/question-banks/MATRIX_BANK/import?format=gift", authors(api=True),
          gift_api_upload, changes=True),
    Route("GET", "/api/v1/question-banks/<string:code>/export",
          "/api/v1/question-banks/MATRIX_BANK/export?format=gift", authors(api=True)),
    # -------------------------------------------------- the framework: any admin (district-wide)
    Route("GET", "/catalog/framework", "/catalog/framework", admins(api=False)),
    Route("GET", "/catalog/framework/skills/<code>", "/catalog/framework/skills/MATRIX_SKILL",
          admins(api=False)),
    Route("POST", "/catalog/framework/skills/<code>", "/catalog/framework/skills/MATRIX_SKILL",
          admins(api=False), form(name="矩阵业务二", standard_ref="", description="",
                                  level_1="一", level_2="二", level_3="三", level_4="四"),
          changes=True),
    Route("GET", "/catalog/framework/profiles/<code>",
          "/catalog/framework/profiles/MATRIX_PROFILE", admins(api=False)),
    Route("POST", "/catalog/framework/profiles/<code>",
          "/catalog/framework/profiles/MATRIX_PROFILE", admins(api=False),
          form(name="矩阵岗位二", description="", require_MATRIX_SKILL="2"), changes=True),
]


# ---------------------------------------------------------------- the guard


def test_every_route_is_in_the_matrix(_app):
    """A route added without a matrix entry (or an entry for a route gone) fails here."""
    served = {
        (rule.rule, method): rule.endpoint
        for rule in _app.url_map.iter_rules()
        if rule.endpoint not in UNGUARDED_ENDPOINTS
        for method in rule.methods - IGNORED_METHODS
    }
    listed = {(route.rule, route.method) for route in ROUTES}
    missing = sorted(set(served) - listed)
    assert not missing, (
        "Routes without an entry in the access matrix (tests/test_access_matrix.py ROUTES): "
        + "; ".join(f"{method} {rule} (endpoint {served[rule, method]})"
                    for rule, method in missing)
        + ". Add a Route with the expected outcome for every role."
    )
    stale = sorted(listed - set(served))
    assert not stale, f"Matrix entries for routes that do not exist: {stale}"


def test_every_matrix_url_reaches_its_rule(matrix, world):
    adapter = matrix.app.url_map.bind(matrix.app.config["SERVER_NAME"])
    for route in ROUTES:
        parts = urlsplit(world.url(route.url))
        rule, _args = adapter.match(parts.path, method=route.method, return_rule=True)
        assert rule.rule == route.rule, f"{route} reaches {rule.rule}, not {route.rule}"


# ---------------------------------------------------------------- the matrix test


TEXT_TYPES = {"text/html", "application/json"}
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def visible_text(response) -> str:
    """What a response shows: its text, or the cells of a spreadsheet."""
    if response.mimetype in TEXT_TYPES:
        return response.get_data(as_text=True)
    if response.mimetype == XLSX_MIME:
        book = openpyxl.load_workbook(io.BytesIO(response.get_data()))
        return "\n".join(str(value) for sheet in book.worksheets
                         for row in sheet.iter_rows(values_only=True)
                         for value in row if value is not None)
    return ""


def check_outcome(response, expected: Outcome, api: bool, label: str) -> None:
    status = response.status_code
    text = response.get_data()[:300] if response.mimetype in TEXT_TYPES else b""
    where = f"{label}: got {status} {text.decode(errors='replace')!r}"
    if expected == OK:
        assert status not in {401, 403, 404} and status < 500, where
    elif expected == LOGIN:
        assert status == 302, where
        assert urlsplit(response.headers["Location"]).path == "/login", where
    elif isinstance(expected, Contained):
        assert status == expected.status, where
    else:
        assert status == expected, where
        if api:
            error = response.get_json()["error"]
            assert set(error) == {"code", "message", "fields"}, where
            assert error["code"] == {401: "unauthorized", 403: "forbidden",
                                     404: "not_found"}[status], where
            assert error["message"], where


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("route", ROUTES, ids=str)
def test_access(matrix, client, world, sign_in, route: Route, role: str):
    headers = sign_in(role, api=route.api)
    expected = route.expected[role]
    writes = route.method != "GET"
    before = snapshot(matrix.app) if writes else None

    response = client.open(world.url(route.url), method=route.method, headers=headers,
                           **route.body(world))

    changed = differences(before, snapshot(matrix.app)) if writes else []
    label = f"{route} as {role} (expected {expected})"
    check_outcome(response, expected, route.api,
                  f"{label} [wrote to {changed}]" if changed else label)
    if writes and expected != OK:
        assert not changed, f"{label}: a refused request changed {changed}"
    elif writes and route.changes:
        assert changed, f"{label}: the allowed request changed nothing (is the body right?)"
    if role == "admin_other" and expected == OK:
        shown = visible_text(response)
        leaked = [marker for marker in S1_MARKERS if marker in shown]
        assert not leaked, f"{label}: shows S1's {leaked}"


# ---------------------------------------------------------------- session cookies on the API


SESSION_WORKER_OUTCOME = this_subtree(api=True, owner=OK)


@pytest.mark.parametrize("role", ROLES)
def test_api_accepts_the_session_cookie(client, sign_in, role: str):
    """The API honours a signed-in browser session, with the same rules as a token."""
    sign_in(role, api=False)
    me = client.get("/api/v1/me")
    check_outcome(me, signed_in(api=True)[role], True, f"GET /api/v1/me as {role}")
    if role != "anonymous":
        assert me.get_json()["username"] == ACCOUNTS[role][0]
    record = client.get("/api/v1/workers/EV1-001")
    check_outcome(record, SESSION_WORKER_OUTCOME[role], True,
                  f"GET /api/v1/workers/EV1-001 as {role}")


def test_bearer_token_does_not_open_pages(client, sign_in):
    """Tokens are for the API: a page asked for with one answers as to a stranger."""
    headers = sign_in("admin_this", api=True)
    response = client.get("/admin/units", headers=headers)
    check_outcome(response, LOGIN, False, "GET /admin/units with a bearer token")
