"""The blueprint: Sign-in, passwords and account administration."""

from flask import Blueprint

bp = Blueprint("auth", __name__)
