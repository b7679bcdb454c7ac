"""The blueprint: the scenario player and its report pages."""

from flask import Blueprint

bp = Blueprint("scenarios", __name__, url_prefix="/scenarios")
