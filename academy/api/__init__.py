"""The versioned JSON API (/api/v1): assembles feature endpoints and the OpenAPI document."""

from __future__ import annotations

from flask import Flask
from flask_smorest import Api

from academy.api.common import ErrorSchema

API_PREFIX = "/api/v1"


class AcademyApi(Api):
    """flask-smorest's Api, leaving error rendering to the app's own handlers."""

    # Documents the shape academy.main.errors actually renders (not flask-smorest's own).
    ERROR_SCHEMA = ErrorSchema

    def _register_error_handlers(self):
        # academy.main.errors renders every HTTP error: JSON problems under /api/.
        return None


api = AcademyApi()


def init_api(app: Flask) -> None:
    """Create the API and register every feature's endpoints."""
    from academy.api import docs
    from academy.auth.api import blp as auth_blp
    from academy.catalog.api import blp as catalog_blp
    from academy.jobs.api import blp as jobs_blp
    from academy.learning.api import blp as learning_blp
    from academy.observations.api import blp as observations_blp
    from academy.org.api import blp as org_blp
    from academy.quizzes.api import blp as quizzes_blp
    from academy.quizzes.attempt_api import blp as attempts_blp
    from academy.scenarios.api import blp as scenarios_blp

    api.init_app(app, spec_kwargs={
        "info": {
            "description": (
                "The Window Academy integration API. Authenticate with POST /api/v1/tokens, "
                "then send `Authorization: Bearer <token>`. Errors have the shape "
                '`{"error": {"code", "message", "fields"}}`.'
            )
        },
    })
    api.spec.components.security_scheme(
        "bearerAuth", {"type": "http", "scheme": "bearer", "bearerFormat": "opaque token"}
    )
    api.spec.options["security"] = [{"bearerAuth": []}]
    for blp in (auth_blp, org_blp, jobs_blp, learning_blp, catalog_blp, quizzes_blp,
                attempts_blp, scenarios_blp, observations_blp):
        api.register_blueprint(blp, url_prefix=API_PREFIX + (blp.url_prefix or ""))
    app.register_blueprint(docs.bp)
