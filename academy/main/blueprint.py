"""The blueprint: Home page, language switch, error pages."""

from flask import Blueprint

bp = Blueprint("main", __name__)
