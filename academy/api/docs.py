"""A browsable API reference served locally (Swagger UI from the swagger-ui-bundle package)."""

from __future__ import annotations

from flask import Blueprint, abort, render_template, send_from_directory
from swagger_ui_bundle import swagger_ui_path

bp = Blueprint("api_docs", __name__, url_prefix="/api/v1")

ALLOWED = {"swagger-ui.css", "swagger-ui-bundle.js", "swagger-ui-standalone-preset.js",
           "favicon-32x32.png"}


@bp.get("/docs")
def docs():
    return render_template("api/docs.html")


@bp.get("/docs/assets/<path:filename>")
def assets(filename: str):
    if filename not in ALLOWED:
        abort(404)
    return send_from_directory(str(swagger_ui_path), filename, max_age=86400)
