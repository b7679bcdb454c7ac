"""The blueprint: question bank pages for instructors and admins."""

from flask import Blueprint

bp = Blueprint("quizzes", __name__, url_prefix="/quizzes")
