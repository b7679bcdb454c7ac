"""Shared pieces of the JSON API: pagination arguments and the list envelope."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields, validate
from sqlalchemy import Select, func, select

from academy.extensions import db

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


class ErrorSchema(Schema):
    error = fields.Dict()
