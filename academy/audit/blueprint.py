"""The blueprint: Audit log: who did what to whom, with before/after values."""

from flask import Blueprint

bp = Blueprint("audit", __name__, url_prefix="/admin/audit")
