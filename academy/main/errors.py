"""Error pages in the app's style, and JSON problems for the API."""

from __future__ import annotations

import logging

from flask import Flask, jsonify, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from academy.errors import DomainError
from academy.extensions import db

log = logging.getLogger(__name__)

CODES = {
    400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
    405: "method_not_allowed", 409: "conflict", 413: "payload_too_large",
    415: "unsupported_media_type", 422: "unprocessable", 429: "rate_limited",
    500: "server_error",
}


def wants_json() -> bool:
    return request.path.startswith("/api/")


def problem(status: int, message: str, code: str | None = None,
            fields: dict | None = None, extra: dict | None = None):
    """A JSON error response in the API's shape (``extra``: further top-level members)."""
    body = {**(extra or {}),
            "error": {"code": code or CODES.get(status, "error"), "message": message,
                      "fields": fields or {}}}
    return jsonify(body), status


def messages() -> dict[int, tuple[str, str]]:
    return {
        400: (_("Bad request"), _("The request could not be understood.")),
        401: (_("Please sign in"), _("You need to sign in to see this page.")),
        403: (_("Not allowed"), _("You do not have permission to see this page.")),
        404: (_("Not found"), _("The page you asked for does not exist.")),
        405: (_("Not allowed"), _("This action is not available here.")),
        413: (_("Too large"), _("The upload is larger than allowed.")),
        429: (_("Too many attempts"), _("Too many requests. Please wait a moment and try again.")),
        500: (_("Something went wrong"), _("An unexpected error happened. It has been logged.")),
    }


def render_error(status: int, detail: str | None = None):
    title, text = messages().get(status, (_("Error"), detail or ""))
    return render_template("errors/error.html", status=status, title=title,
                           text=detail or text), status


def register(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError):
        db.session.rollback()
        message = _("The form expired or was sent from elsewhere. Please reload and try again.")
        if wants_json():
            return problem(400, message, "csrf_failed")
        return render_error(400, message)

    @app.errorhandler(DomainError)
    def domain_error(error: DomainError):
        db.session.rollback()
        if wants_json():
            return problem(error.http_status, error.message, error.code, error.fields,
                           error.extra)
        return render_error(error.http_status, error.message)

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        db.session.rollback()
        status = error.code or 500
        if wants_json():
            data = getattr(error, "data", None) or {}
            fields = _flatten(data.get("messages") or data.get("errors") or {})
            message = data.get("message") or (error.description if status != 500 else "")
            if status == 401:
                message = _("Authentication required: sign in or send a bearer token.")
            elif status == 422 and fields:
                message = _("Some fields are invalid.")
            elif status == 429:
                message = _("Too many requests. Please wait a moment and try again.")
            return problem(status, str(message or CODES.get(status, "error")), None, fields)
        if status == 401:
            from flask import redirect, url_for

            return redirect(url_for("auth.login", next=request.full_path))
        return render_error(status)

    @app.errorhandler(Exception)
    def unexpected(error: Exception):
        db.session.rollback()
        log.exception("unhandled error on %s %s", request.method, request.path)
        if app.config.get("TESTING") and app.config.get("PROPAGATE_UNEXPECTED", True):
            raise error
        if wants_json():
            return problem(500, _("An unexpected error happened."))
        return render_error(500)


def _flatten(messages) -> dict[str, list[str]]:
    """webargs nests errors by location ({"json": {"name": [...]}}); flatten to fields."""
    out: dict[str, list[str]] = {}

    def walk(prefix: str, value) -> None:
        if isinstance(value, dict):
            for key, sub in value.items():
                if prefix == "" and key in {"json", "query", "form", "files", "path", "headers"}:
                    walk("", sub)
                else:
                    walk(f"{prefix}.{key}" if prefix else str(key), sub)
        elif isinstance(value, list):
            out.setdefault(prefix or "_schema", []).extend(str(v) for v in value
                                                           if not isinstance(v, dict | list))
            for v in value:
                if isinstance(v, dict | list):
                    walk(prefix, v)
        else:
            out.setdefault(prefix or "_schema", []).append(str(value))

    walk("", messages if isinstance(messages, dict) else {"_schema": messages})
    return out
