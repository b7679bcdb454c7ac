"""API: tokens and the caller's own account."""

from __future__ import annotations

from flask import abort, current_app, g, request
from flask.views import MethodView
from flask_login import current_user
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from academy.auth import services
from academy.extensions import db, limiter
from academy.permissions import role_required
from academy.timeutil import isoformat

blp = Blueprint("auth_api", __name__, description="Authentication and the caller's account")


class TokenRequestSchema(Schema):
    username = fields.String(required=True, validate=validate.Length(min=1, max=64))
    password = fields.String(required=True, validate=validate.Length(min=1, max=128))


class TokenSchema(Schema):
    token = fields.String()
    expires_at = fields.String(metadata={"format": "date-time"})


class MeSchema(Schema):
    username = fields.String()
    display_name = fields.String()
    roles = fields.List(fields.String())
    org_unit = fields.String()
    employee_no = fields.String(allow_none=True)
    locale = fields.String(allow_none=True)


def _token_username_key() -> str:
    body = request.get_json(silent=True)
    name = body.get("username") if isinstance(body, dict) else None
    return "token-user:" + (name.strip().lower()[:64] if isinstance(name, str) else "")


def _limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


def _ip_limit() -> str:
    return current_app.config["LOGIN_IP_RATE_LIMIT"]


@blp.route("/tokens")
class Tokens(MethodView):
    decorators = [limiter.limit(_ip_limit), limiter.limit(_limit, key_func=_token_username_key)]

    @blp.doc(security=[])
    @blp.arguments(TokenRequestSchema)
    @blp.response(201, TokenSchema)
    def post(self, data):
        """Exchange a username and password for a bearer token."""
        user = services.authenticate(data["username"], data["password"])
        if user is None:
            db.session.commit()  # keep the audit entry of the failure
            abort(401)
        token, expires = services.issue_token(user)
        db.session.commit()
        return {"token": token, "expires_at": isoformat(expires)}


@blp.route("/tokens/current")
class CurrentToken(MethodView):
    @role_required()
    @blp.response(204)
    def delete(self):
        """Revoke the bearer token used for this request."""
        token = getattr(g, "api_token", None)
        if token is None:
            abort(401)
        services.revoke_token(token)
        db.session.commit()
        return None


@blp.route("/me")
class Me(MethodView):
    @role_required()
    @blp.response(200, MeSchema)
    def get(self):
        """The signed-in account: roles, org unit, linked staff record."""
        user = current_user
        return {
            "username": user.username,
            "display_name": user.display_name,
            "roles": user.sorted_roles,
            "org_unit": user.org_unit.code,
            "employee_no": user.worker.employee_no if user.worker else None,
            "locale": user.locale,
        }


