"""The blueprint: the course catalogue, course packages and the competency framework."""

from flask import Blueprint

bp = Blueprint("catalog", __name__, url_prefix="/catalog")
