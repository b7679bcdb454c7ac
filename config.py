"""Configuration classes, read from environment variables.

Dev is the default; Test is used by the test suite; Production is chosen with
``ACADEMY_CONFIG=production`` (or ``FLASK_ENV``-free deployments such as gunicorn
via ``wsgi.py``) and refuses to start without ``SECRET_KEY`` and ``DATABASE_URL``.
"""

from __future__ import annotations

import os


def _bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


class Config:
    """Settings shared by every environment."""

    SECRET_KEY = os.environ.get("SECRET_KEY")
    # None means "SQLite file in the instance folder", resolved in create_app().
    SQLALCHEMY_DATABASE_URI = os.environ.get("DATABASE_URL")
    SQLALCHEMY_ENGINE_OPTIONS: dict = {"pool_pre_ping": True}
    REDIS_URL = os.environ.get("REDIS_URL")

    BABEL_DEFAULT_LOCALE = "zh_CN"
    BABEL_DEFAULT_TIMEZONE = os.environ.get("ACADEMY_TIMEZONE", "Asia/Shanghai")
    LANGUAGES = {"zh_CN": "中文", "en": "English"}

    WTF_CSRF_TIME_LIMIT = None  # tokens live as long as the session: long quizzes never break
    MAX_CONTENT_LENGTH = 20 * 1024 * 1024
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"

    RATELIMIT_ENABLED = True
    RATELIMIT_HEADERS_ENABLED = True
    # Per username, and a looser one per address: a whole service hall may share one NAT IP.
    LOGIN_RATE_LIMIT = os.environ.get("ACADEMY_LOGIN_RATE_LIMIT", "10 per minute;50 per hour")
    LOGIN_IP_RATE_LIMIT = os.environ.get("ACADEMY_LOGIN_IP_RATE_LIMIT",
                                         "100 per minute;1000 per hour")
    API_TOKEN_TTL_HOURS = int(os.environ.get("ACADEMY_API_TOKEN_TTL_HOURS", "24"))

    FORCE_HTTPS = False
    JOBS_INLINE = False  # run background jobs synchronously (tests)

    API_TITLE = "Window Academy API"
    API_VERSION = "v1"
    OPENAPI_VERSION = "3.0.3"
    OPENAPI_URL_PREFIX = "/api/v1"
    OPENAPI_JSON_PATH = "openapi.json"


class DevConfig(Config):
    """Local development: embedded SQLite, in-process jobs."""

    DEBUG = False


class TestConfig(Config):
    """The test suite: a throwaway database, no rate limits unless a test asks."""

    TESTING = True
    SQLALCHEMY_DATABASE_URI = os.environ.get("TEST_DATABASE_URL") or "sqlite://"
    SECRET_KEY = "test-secret-key"  # noqa: S105 - a fixed key for the test suite only
    WTF_CSRF_ENABLED = False
    RATELIMIT_ENABLED = False
    JOBS_INLINE = True
    REDIS_URL = None
    # Assertions read messages in English; tests of the Chinese default use the `chinese` fixture.
    BABEL_DEFAULT_LOCALE = "en"
    SERVER_NAME = "localhost.localdomain"
    PASSWORD_HASH_FAST = True


class ProductionConfig(Config):
    """Production: secrets and database must come from the environment."""

    FORCE_HTTPS = _bool("ACADEMY_FORCE_HTTPS", True)
    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_SECURE = True

    @classmethod
    def check(cls) -> None:
        """Refuse to start without the settings production cannot guess."""
        missing = [name for name in ("SECRET_KEY", "DATABASE_URL") if not os.environ.get(name)]
        if missing:
            raise RuntimeError(
                "Production configuration requires environment variables: " + ", ".join(missing)
            )


CONFIGS = {"development": DevConfig, "testing": TestConfig, "production": ProductionConfig}


def config_from_env() -> type[Config]:
    """Pick the configuration class named by ACADEMY_CONFIG (default: development)."""
    return CONFIGS.get(os.environ.get("ACADEMY_CONFIG", "development"), DevConfig)
