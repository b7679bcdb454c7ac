"""The audit log page for administrators."""

from __future__ import annotations

from datetime import date

from flask import render_template, request
from flask_login import current_user

from academy.audit.blueprint import bp
from academy.audit.labels import ACTION_LABELS, action_label
from academy.audit.services import query_entries
from academy.extensions import db
from academy.permissions import ADMIN, role_required


def _date_arg(name: str) -> date | None:
    try:
        return date.fromisoformat(request.args.get(name, ""))
    except ValueError:
        return None


@bp.get("/")
@role_required(ADMIN)
def entries():
    filters = {
        "action": (request.args.get("action") or "").strip() or None,
        "actor": (request.args.get("actor") or "").strip() or None,
        "target": (request.args.get("target") or "").strip() or None,
        "since": _date_arg("since"),
        "until": _date_arg("until"),
    }
    stmt = query_entries(current_user.org_unit.path,
                         include_global=current_user.org_unit.parent_id is None, **filters)
    page = db.paginate(stmt, per_page=50, error_out=False, max_per_page=200)
    args = {k: (v.isoformat() if isinstance(v, date) else v) for k, v in filters.items() if v}
    return render_template("audit/entries.html", page=page, filters=filters, args=args,
                           actions=sorted(ACTION_LABELS, key=action_label),
                           action_label=action_label)
