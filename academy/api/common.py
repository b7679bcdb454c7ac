"""Shared pieces of the JSON API: pagination arguments and the list envelope."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from marshmallow import Schema, fields, validate
from sqlalchemy import Select, func, select

from academy.errors import DomainError
from academy.extensions import db
from academy.textutil import storable

MAX_PER_PAGE = 500


class PageArgs(Schema):
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=10**6))
    per_page = fields.Integer(load_default=50, validate=validate.Range(min=1, max=MAX_PER_PAGE))


def list_envelope(item_schema: type[Schema] | Schema, name: str | None = None) -> type[Schema]:
    """A schema for ``{"items": [...], "total", "page", "per_page"}`` of ``item_schema``."""
    nested = item_schema if isinstance(item_schema, Schema) else item_schema()
    return Schema.from_dict(
        {
            "items": fields.List(fields.Nested(nested)),
            "total": fields.Integer(),
            "page": fields.Integer(),
            "per_page": fields.Integer(),
        },
        name=name or f"{type(nested).__name__.removesuffix('Schema')}Page",
    )


def paginate(stmt: Select, page: int, per_page: int) -> dict[str, Any]:
    """Run ``stmt`` for one page and count the whole result."""
    total = db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
    items = list(db.session.scalars(stmt.limit(per_page).offset((page - 1) * per_page)).unique())
    return {"items": items, "total": total or 0, "page": page, "per_page": per_page}


class ErrorDetailSchema(Schema):
    code = fields.String(required=True, metadata={"description": "A stable slug, e.g. not_found."})
    message = fields.String(required=True, metadata={"description": "Human-readable text."})
    # ``fields`` would shadow Schema.fields, hence the data_key.
    field_errors = fields.Dict(
        data_key="fields", keys=fields.String(), values=fields.List(fields.String()),
        required=True, metadata={"description": "Messages per input field (may be empty)."},
    )


class ErrorSchema(Schema):
    """The body of every API error: ``{"error": {"code", "message", "fields"}}``."""

    error = fields.Nested(ErrorDetailSchema, required=True)


class Text(fields.String):
    """A string the databases can store: no NUL characters, no lone surrogates.

    PostgreSQL refuses NUL in text and neither driver encodes lone surrogates, so
    letting either through would turn bad input into a server error. Leading and
    trailing whitespace is stripped unless ``strip=False``.
    """

    default_error_messages = {"invalid_text": "Contains characters that cannot be stored."}

    def __init__(self, *args, strip: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        self.strip = strip

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        if not storable(text):
            raise self.make_error("invalid_text")
        return text.strip() if self.strip else text


class NoFile(DomainError):
    """An upload endpoint was called without a file."""

    code = "bad_request"
    http_status = 400


class UnsupportedUpload(DomainError):
    """An upload of a media type the endpoint does not take."""

    code = "unsupported_media_type"
    http_status = 415


def documented_errors(blp, *codes: int):
    """A decorator documenting error responses of ``blp``'s endpoint in the OpenAPI spec."""

    def decorator(func):
        for code in codes:
            func = blp.alt_response(code, response=HTTPStatus(code).name)(func)
        return func

    return decorator
