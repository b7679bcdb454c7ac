"""API: org units and workers (filled in below)."""

from __future__ import annotations

from flask_smorest import Blueprint

blp = Blueprint("org_api", __name__, description="Org units and staff")
