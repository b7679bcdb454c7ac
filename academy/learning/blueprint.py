"""The blueprint: My learning, lessons, notifications, path administration and reports."""

from flask import Blueprint

bp = Blueprint("learning", __name__)
