"""Admin pages: the staff roster (placeholder; filled in by the staff pages)."""

from __future__ import annotations

from flask import render_template

from academy.org.blueprint import bp
from academy.permissions import ADMIN, role_required


@bp.get("/workers")
@role_required(ADMIN)
def workers():
    return render_template("main/index.html")


@bp.get("/workers/<employee_no>")
@role_required(ADMIN)
def worker_detail(employee_no: str):
    return render_template("main/index.html")
