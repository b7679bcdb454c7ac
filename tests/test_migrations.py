"""Migrations run up, down to base and up again, and leave exactly the models' schema.

On a fresh SQLite file always; on PostgreSQL when TEST_DATABASE_URL points there, in a
database of its own (``<test database>_migrations``, created and dropped here) so the
suite's tables are not disturbed.
The commands run as ``flask db ...`` subprocesses, as a person would run them.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

from academy.extensions import db

ROOT = Path(__file__).resolve().parent.parent
TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL", "")
ON_POSTGRES = TEST_DATABASE_URL.startswith("postgres")


def flask_db(database_url: str, *args: str, instance: Path) -> str:
    """Run ``flask --app wsgi db ARGS`` against ``database_url``; returns its output."""
    env = {key: value for key, value in os.environ.items()
           if key not in {"REDIS_URL", "SECRET_KEY", "FLASK_APP"}}
    env.update(ACADEMY_CONFIG="development", DATABASE_URL=database_url,
               ACADEMY_INSTANCE_PATH=str(instance))
    completed = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi", "db", *args],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False,
    )
    output = completed.stdout + completed.stderr
    assert completed.returncode == 0, output
    return output


@pytest.fixture
def sqlite_url(tmp_path) -> str:
    return f"sqlite:///{tmp_path / 'migrations.db'}"


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A fresh, empty PostgreSQL database beside the test database; dropped afterwards."""
    server = make_url(TEST_DATABASE_URL)
    # Named after the test database, so runs against different test databases never meet.
    name = f"{server.database}_migrations"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(params=[
    "sqlite",
    pytest.param("postgresql", marks=pytest.mark.skipif(
        not ON_POSTGRES, reason="TEST_DATABASE_URL does not point to PostgreSQL")),
])
def database_to_migrate(request) -> str:
    name = "sqlite_url" if request.param == "sqlite" else "postgres_url"
    return request.getfixturevalue(name)


def _schema_differences(database_url: str) -> list[str]:
    """What autogenerate would put in a new migration (empty: schema == models)."""
    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(
                conn, opts={"compare_type": True, "render_as_batch": True})
            return [repr(diff)[:300] for diff in compare_metadata(context, db.metadata)]
    finally:
        engine.dispose()


def _tables(database_url: str) -> set[str]:
    engine = create_engine(database_url)
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_upgrade_downgrade_upgrade(app, database_to_migrate, tmp_path):
    # ``app`` imports every feature, so db.metadata holds every model.
    url = database_to_migrate
    model_tables = set(db.metadata.tables)

    flask_db(url, "upgrade", instance=tmp_path)
    assert model_tables <= _tables(url)
    assert _schema_differences(url) == []

    flask_db(url, "downgrade", "base", instance=tmp_path)
    assert _tables(url) - {"alembic_version"} == set()

    flask_db(url, "upgrade", instance=tmp_path)
    assert _schema_differences(url) == []
    assert "(head)" in flask_db(url, "current", instance=tmp_path)


def test_one_head():
    """Two heads mean two branches written in parallel: merge them before landing."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config(str(ROOT / "migrations" / "alembic.ini"))
    config.set_main_option("script_location", str(ROOT / "migrations"))
    heads = ScriptDirectory.from_config(config).get_heads()
    assert len(heads) == 1, heads
