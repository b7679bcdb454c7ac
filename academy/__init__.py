"""Window Academy (窗口学院): the application factory."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from flask import Flask

ROOT = Path(__file__).resolve().parent.parent


def create_app(config_class: type | None = None, **overrides) -> Flask:
    """Build the application: configuration, extensions, blueprints, errors, commands."""
    from config import ProductionConfig, config_from_env

    config_class = config_class or config_from_env()
    if config_class is ProductionConfig:
        ProductionConfig.check()

    app = Flask(
        __name__,
        template_folder=str(ROOT / "templates"),
        static_folder="static",
        instance_path=os.environ.get("ACADEMY_INSTANCE_PATH", str(ROOT / "instance")),
    )
    app.config.from_object(config_class)
    app.config.update(overrides)
    _resolve_instance_settings(app)

    _register_extensions(app)
    _register_blueprints(app)
    _register_errorhandlers(app)
    _register_commands(app)
    return app


def _resolve_instance_settings(app: Flask) -> None:
    """Embedded defaults: a generated secret key and SQLite, both under instance/."""
    instance = Path(app.instance_path)
    if not app.config.get("SECRET_KEY"):
        instance.mkdir(parents=True, exist_ok=True)
        key_file = instance / "secret_key"
        if not key_file.exists():
            key_file.write_text(secrets.token_hex(32))
            key_file.chmod(0o600)
        app.config["SECRET_KEY"] = key_file.read_text().strip()
    if not app.config.get("SQLALCHEMY_DATABASE_URI"):
        instance.mkdir(parents=True, exist_ok=True)
        app.config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{instance / 'academy.db'}"
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    if uri.startswith("postgres://"):
        uri = "postgresql+psycopg://" + uri.removeprefix("postgres://")
    elif uri.startswith("postgresql://"):
        uri = "postgresql+psycopg://" + uri.removeprefix("postgresql://")
    app.config["SQLALCHEMY_DATABASE_URI"] = uri
    if uri.startswith("sqlite"):
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {"connect_args": {"timeout": 10}}
    if not app.config.get("RATELIMIT_STORAGE_URI"):
        # Without Redis, a SQLite file under instance/ that every worker process shares
        # (academy.ratelimit): one count per address or username, however many workers.
        app.config["RATELIMIT_STORAGE_URI"] = app.config.get("REDIS_URL") or \
            f"academy+sqlite:///{instance.resolve() / 'ratelimits.db'}"


def _register_extensions(app: Flask) -> None:
    from flask_bootstrap import Bootstrap5

    from academy import (
        models,  # noqa: F401  (every table, for the metadata and Alembic)
        ratelimit,  # noqa: F401  (registers the academy+sqlite storage before init_app)
        security,
    )
    from academy.auth.services import load_user
    from academy.extensions import babel, csrf, db, limiter, login_manager, migrate, select_locale

    app.config.setdefault("BOOTSTRAP_SERVE_LOCAL", True)
    db.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"))
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.session_protection = "basic"
    login_manager.user_loader(load_user)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale,
                   default_translation_directories=str(ROOT / "academy" / "translations"))
    limiter.init_app(app)
    Bootstrap5(app)
    security.init_app(app)

    from flask_babel import lazy_gettext

    login_manager.login_message = lazy_gettext("Please sign in to continue.")
    login_manager.login_message_category = "info"

    from academy.jobs import runner

    runner.init_app(app)


def _register_blueprints(app: Flask) -> None:
    from academy.api import init_api
    from academy.audit import routes as _audit_routes  # noqa: F401
    from academy.audit.blueprint import bp as audit_bp
    from academy.auth import routes as _auth_routes  # noqa: F401
    from academy.auth.blueprint import bp as auth_bp
    from academy.catalog import routes as _catalog_routes  # noqa: F401
    from academy.catalog.authoring_routes import bp as authoring_bp
    from academy.catalog.blueprint import bp as catalog_bp
    from academy.learning import routes as _learning_routes  # noqa: F401
    from academy.learning import wiring as learning_wiring
    from academy.learning.blueprint import bp as learning_bp
    from academy.main import routes as _main_routes  # noqa: F401
    from academy.main.blueprint import bp as main_bp
    from academy.observations import routes as _observation_routes  # noqa: F401
    from academy.observations.blueprint import bp as observations_bp
    from academy.org import routes as _org_routes  # noqa: F401
    from academy.org import staff_routes as _staff_routes  # noqa: F401
    from academy.org.blueprint import bp as org_bp
    from academy.quizzes import routes as _quiz_routes  # noqa: F401
    from academy.quizzes import staff_routes as _quiz_staff_routes  # noqa: F401
    from academy.quizzes import take_routes as _take_routes  # noqa: F401
    from academy.quizzes.blueprint import bp as quizzes_bp
    from academy.scenarios import routes as _scenario_routes  # noqa: F401
    from academy.scenarios.blueprint import bp as scenarios_bp

    app.register_blueprint(main_bp)
    app.register_blueprint(auth_bp)
    app.register_blueprint(org_bp)
    app.register_blueprint(audit_bp)
    app.register_blueprint(learning_bp)
    learning_wiring.connect()
    app.register_blueprint(authoring_bp)
    app.register_blueprint(catalog_bp)
    app.register_blueprint(quizzes_bp)
    app.register_blueprint(scenarios_bp)
    app.register_blueprint(observations_bp)
    init_api(app)


def _register_errorhandlers(app: Flask) -> None:
    from academy.main.errors import register

    register(app)


def _register_commands(app: Flask) -> None:
    from academy.cli import register

    register(app)
