"""Configuration: production refuses to guess, development makes its own secret, SQLite is
tuned, and every page carries the security headers (HSTS and Secure cookies in production).
"""

from __future__ import annotations

import stat

import pytest
from sqlalchemy import text

from academy import create_app
from academy.extensions import db
from config import CONFIGS, DevConfig, ProductionConfig, TestConfig, config_from_env


@pytest.fixture(autouse=True)
def _shared_extensions_restored():
    """create_app() re-initialises the module-level rate limiter, which keeps its settings
    (enabled, storage) on itself: put them back so the suite's app is unaffected."""
    from academy.extensions import limiter

    saved = dict(vars(limiter))
    yield
    vars(limiter).clear()
    vars(limiter).update(saved)


@pytest.fixture
def instance(tmp_path, monkeypatch):
    """An empty instance folder, and no deployment settings leaking in from the shell."""
    folder = tmp_path / "instance"
    monkeypatch.setenv("ACADEMY_INSTANCE_PATH", str(folder))
    for name in ("SECRET_KEY", "DATABASE_URL", "REDIS_URL", "ACADEMY_CONFIG"):
        monkeypatch.delenv(name, raising=False)
    return folder


def _dispose(app) -> None:
    with app.app_context():
        db.engine.dispose()


@pytest.mark.parametrize(("present", "missing"), [
    ({}, ["SECRET_KEY", "DATABASE_URL"]),
    ({"SECRET_KEY": "s" * 64}, ["DATABASE_URL"]),
    ({"DATABASE_URL": "postgresql://db/academy"}, ["SECRET_KEY"]),
])
def test_production_refuses_to_start_without_its_settings(instance, monkeypatch, present,
                                                           missing):
    for name, value in present.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(RuntimeError) as raised:
        create_app(ProductionConfig)
    for name in missing:
        assert name in str(raised.value)
    for name in present:
        assert name not in str(raised.value)
    assert not instance.exists()  # it stopped before writing anything


def test_config_is_chosen_by_academy_config(monkeypatch):
    monkeypatch.delenv("ACADEMY_CONFIG", raising=False)
    assert config_from_env() is DevConfig
    for name, cls in CONFIGS.items():
        monkeypatch.setenv("ACADEMY_CONFIG", name)
        assert config_from_env() is cls


def test_development_generates_a_secret_key_once(instance):
    app = create_app(DevConfig, SECRET_KEY=None, SQLALCHEMY_DATABASE_URI=None)
    key_file = instance / "secret_key"
    key = key_file.read_text().strip()
    assert app.config["SECRET_KEY"] == key
    assert len(key) == 64 and int(key, 16) >= 0
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{instance / 'academy.db'}"

    again = create_app(DevConfig, SECRET_KEY=None, SQLALCHEMY_DATABASE_URI=None)
    assert again.config["SECRET_KEY"] == key  # sessions survive a restart
    _dispose(app)
    _dispose(again)


def test_postgres_urls_use_psycopg_3(instance):
    app = create_app(DevConfig, SECRET_KEY="k" * 32,
                     SQLALCHEMY_DATABASE_URI="postgres://user@db.example/academy")
    assert app.config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://user@db.example/academy"


def test_sqlite_pragmas(instance):
    app = create_app(DevConfig, SECRET_KEY=None, SQLALCHEMY_DATABASE_URI=None)
    with app.app_context():
        with db.engine.connect() as conn:
            assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
            assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
            assert conn.execute(text("PRAGMA busy_timeout")).scalar() > 0
        db.engine.dispose()


def _assert_security_headers(response) -> None:
    csp = response.headers["Content-Security-Policy"]
    directives = {d.strip().split(" ")[0]: d.strip() for d in csp.split(";") if d.strip()}
    assert directives["frame-ancestors"] == "frame-ancestors 'none'"
    assert "'unsafe-inline'" not in directives["script-src"]
    assert "'unsafe-eval'" not in directives["script-src"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert response.headers["X-Frame-Options"] == "DENY"


def test_security_headers_on_pages(client):
    response = client.get("/login")
    assert response.status_code == 200
    _assert_security_headers(response)
    assert "Strict-Transport-Security" not in response.headers  # plain http in development


@pytest.fixture
def production_app(instance, monkeypatch, tmp_path):
    database = f"sqlite:///{tmp_path / 'production.db'}"
    monkeypatch.setenv("SECRET_KEY", "p" * 64)
    monkeypatch.setenv("DATABASE_URL", database)
    app = create_app(ProductionConfig, SECRET_KEY="p" * 64, SQLALCHEMY_DATABASE_URI=database)
    with app.app_context():
        db.create_all()
    yield app
    _dispose(app)


def test_production_sends_hsts_and_secure_cookies(production_app):
    assert production_app.config["SESSION_COOKIE_SECURE"] is True
    assert production_app.config["REMEMBER_COOKIE_SECURE"] is True
    client = production_app.test_client()

    response = client.get("/login", base_url="https://academy.example")
    assert response.status_code == 200
    _assert_security_headers(response)
    hsts = response.headers["Strict-Transport-Security"]
    assert "max-age=31536000" in hsts
    cookies = response.headers.getlist("Set-Cookie")
    session_cookie = [c for c in cookies if c.startswith("session=")]
    assert session_cookie, cookies
    assert all("Secure" in c and "HttpOnly" in c and "SameSite=Lax" in c for c in session_cookie)


def test_production_redirects_plain_http_to_https(production_app):
    response = production_app.test_client().get("/login", base_url="http://academy.example")
    assert response.status_code in {301, 302}
    assert response.headers["Location"].startswith("https://academy.example/login")


def test_the_test_config_is_isolated():
    assert TestConfig.TESTING and TestConfig.JOBS_INLINE and TestConfig.REDIS_URL is None
