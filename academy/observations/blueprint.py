"""The blueprint: record and read observations; administer assessor engagements."""

from flask import Blueprint

# No prefix: the pages live under /observations and the engagements under /admin.
bp = Blueprint("observations", __name__)
