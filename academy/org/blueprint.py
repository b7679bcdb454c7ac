"""The blueprint: Org units and staff records."""

from flask import Blueprint

bp = Blueprint("org", __name__, url_prefix="/admin")
