"""Shared fixtures: an app on a throwaway database, factories, and signed-in clients.

The database comes from TEST_DATABASE_URL (PostgreSQL in the second run of
``make test``) or a temporary SQLite file.
"""

from __future__ import annotations

import itertools
import os
from datetime import date

import pytest
from flask.testing import FlaskClient
from sqlalchemy import text

from academy import create_app
from academy.auth import services as auth_services
from academy.extensions import db as _db
from academy.org.models import EmploymentType, OrgUnit, Worker, WorkerEvent
from config import TestConfig

PASSWORD = "Correct-Horse-42"  # noqa: S105 - test accounts only


def _compile_catalogs() -> None:
    """Compile the translations when a .po is newer than its .mo (``make`` does it too)."""
    from pathlib import Path

    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    root = Path(__file__).resolve().parent.parent / "academy" / "translations"
    for po in root.glob("*/LC_MESSAGES/messages.po"):
        mo = po.with_suffix(".mo")
        if not mo.exists() or mo.stat().st_mtime < po.stat().st_mtime:
            with po.open("rb") as src:
                catalog = read_po(src)
            with mo.open("wb") as dst:
                write_mo(dst, catalog)


_compile_catalogs()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> str:
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        return url
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"


class FreshContextClient(FlaskClient):
    """Each request runs in its own app context (own ``g`` and DB session), as in production."""

    def open(self, *args, **kwargs):
        with self.application.app_context():
            return super().open(*args, **kwargs)


@pytest.fixture(scope="session")
def _app(database_url, tmp_path_factory):
    app = create_app(TestConfig, SQLALCHEMY_DATABASE_URI=database_url,
                     ACADEMY_TEST_TMP=str(tmp_path_factory.mktemp("files")))
    app.test_client_class = FreshContextClient
    with app.app_context():
        _db.drop_all()
        _db.create_all()
    yield app
    with app.app_context():
        _db.session.remove()
        _db.drop_all()
        _db.engine.dispose()


@pytest.fixture
def app(_app):
    """The application, with empty tables before each test."""
    with _app.app_context():
        _truncate()
        yield _app
        _db.session.remove()
        _truncate()


def _truncate() -> None:
    engine = _db.engine
    tables = list(reversed(_db.metadata.sorted_tables))
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            names = ", ".join(f'"{t.name}"' for t in tables)
            conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                conn.execute(table.delete())


@pytest.fixture
def chinese(app):
    """Use the product's real default language (zh_CN) for this test."""
    from config import Config

    app.config["BABEL_DEFAULT_LOCALE"] = Config.BABEL_DEFAULT_LOCALE
    yield
    app.config["BABEL_DEFAULT_LOCALE"] = TestConfig.BABEL_DEFAULT_LOCALE


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def db(app):
    return _db


_counter = itertools.count(1)


@pytest.fixture
def make_unit(app):
    from academy.org.services import create_unit

    def make(code: str | None = None, level: str = "village", parent: OrgUnit | None = None,
             name: str | None = None) -> OrgUnit:
        code = code or f"U{next(_counter):04d}"
        unit = create_unit(code=code, name=name or f"单位{code}", level=level, parent=parent)
        _db.session.commit()
        return unit

    return make


@pytest.fixture
def orgs(make_unit):
    """A small tree: district D with subdistricts S1 and S2, each with one village."""
    district = make_unit("D", "district", None, "示例区")
    s1 = make_unit("S1", "subdistrict", district, "东街道")
    s2 = make_unit("S2", "subdistrict", district, "西街道")
    v1 = make_unit("V1", "village", s1, "东一社区")
    v2 = make_unit("V2", "village", s2, "西一村")
    return {"D": district, "S1": s1, "S2": s2, "V1": v1, "V2": v2}


@pytest.fixture
def make_worker(app):
    def make(unit: OrgUnit, employee_no: str | None = None, name: str = "张三",
             employment_type: str = "contract", employer: str | None = "某劳务公司",
             hire_date: date = date(2024, 3, 1), post: str | None = "综合窗口") -> Worker:
        worker = Worker(
            employee_no=employee_no or f"E{next(_counter):05d}", name=name, org_unit=unit,
            employment_type=EmploymentType(employment_type),
            employer=employer if employment_type == "contract" else None,
            hire_date=hire_date, post=post,
        )
        worker.events.append(WorkerEvent(kind="hired", on_date=hire_date))
        _db.session.add(worker)
        _db.session.commit()
        return worker

    return make


@pytest.fixture
def make_user(app):
    def make(username: str | None = None, roles=("trainee",), unit: OrgUnit | None = None,
             password: str = PASSWORD, worker: Worker | None = None):
        username = username or f"user{next(_counter)}"
        user = auth_services.create_user(
            username=username, display_name=username, org_unit=unit, roles=set(roles),
            password=password, worker=worker,
        )
        _db.session.commit()
        return user

    return make


class AuthActions:
    def __init__(self, client):
        self._client = client

    def login(self, username: str, password: str = PASSWORD):
        return self._client.post("/login", data={"username": username, "password": password})

    def logout(self):
        return self._client.post("/logout")


@pytest.fixture
def auth(client):
    return AuthActions(client)


@pytest.fixture
def login_as(client, make_user):
    """Sign the test client in as a new user with the given roles and unit."""

    def do(roles=("trainee",), unit=None, **kwargs):
        user = make_user(roles=roles, unit=unit, **kwargs)
        response = client.post("/login", data={"username": user.username, "password": PASSWORD})
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
        return user

    return do


@pytest.fixture
def api_token(client, make_user):
    """A bearer token header for a new user with the given roles and unit."""

    def do(roles=("admin",), unit=None, **kwargs):
        user = make_user(roles=roles, unit=unit, **kwargs)
        response = client.post("/api/v1/tokens",
                               json={"username": user.username, "password": PASSWORD})
        assert response.status_code == 201, response.get_json()
        return {"Authorization": f"Bearer {response.get_json()['token']}"}

    return do


