"""Security headers, CSRF policy and API bearer-token login."""

from __future__ import annotations

from flask import Flask, g, request
from flask_talisman import Talisman

from academy.extensions import csrf, login_manager

CSP = {
    "default-src": "'self'",
    "script-src": "'self'",
    # Inline style attributes only (e.g. progress widths); never inline script.
    "style-src": ["'self'", "'unsafe-inline'"],
    "img-src": ["'self'", "data:"],
    "font-src": "'self'",
    "connect-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'self'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}

SAFE_METHODS = {"GET", "HEAD", "OPTIONS", "TRACE"}
# Endpoints that take credentials in the body and touch no session state.
CSRF_EXEMPT_PATHS = {"/api/v1/tokens"}


def bearer_token() -> str | None:
    """The token of an ``Authorization: Bearer ...`` header, if any."""
    header = request.headers.get("Authorization", "")
    scheme, _sep, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return None


def init_app(app: Flask) -> None:
    """Headers on every response; CSRF on every state change not made with a bearer token."""
    production = bool(app.config.get("SESSION_COOKIE_SECURE"))
    # One Talisman per app: it keeps its options (and the app) on itself, so a shared
    # instance would hand the last app's settings (e.g. production's HTTPS) to every app.
    app.extensions["talisman"] = Talisman(
        app,
        force_https=bool(app.config.get("FORCE_HTTPS")),
        strict_transport_security=production,
        strict_transport_security_max_age=31536000,
        session_cookie_secure=production,
        session_cookie_http_only=True,
        session_cookie_samesite="Lax",
        content_security_policy=CSP,
        frame_options="DENY",
        referrer_policy="strict-origin-when-cross-origin",
        x_content_type_options=True,
    )
    app.config["WTF_CSRF_CHECK_DEFAULT"] = False

    @app.before_request
    def _csrf_policy():
        if request.method in SAFE_METHODS or not app.config.get("WTF_CSRF_ENABLED", True):
            return None
        if request.path.startswith("/api/") and (
            bearer_token() is not None or request.path in CSRF_EXEMPT_PATHS
        ):
            return None
        csrf.protect()
        return None

    @login_manager.request_loader
    def _load_from_bearer(req):
        if not req.path.startswith("/api/"):
            return None
        plain = bearer_token()
        if plain is None:
            return None
        from academy.auth.services import user_for_token

        found = user_for_token(plain)
        if found is None:
            return None
        g.api_token = found[1]
        return found[0]
