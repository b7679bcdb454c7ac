"""Admin pages: org units (staff pages live in staff_routes.py)."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from academy.errors import DomainError
from academy.extensions import db
from academy.forms import attach_errors
from academy.org import services
from academy.org.blueprint import bp
from academy.org.forms import MoveUnitForm, RenameUnitForm, UnitForm
from academy.org.models import OrgUnit
from academy.permissions import ADMIN, can_manage_unit, role_required


def load_unit(code: str) -> OrgUnit:
    """The unit with ``code`` if the current admin may manage it (404/403 otherwise)."""
    unit = services.get_unit_by_code(code)
    if unit is None:
        abort(404)
    if not can_manage_unit(current_user, unit):
        abort(403)
    return unit


def _parent_choices(exclude: OrgUnit | None = None, levels=("district", "subdistrict")):
    out = []
    for unit, depth in services.unit_tree(current_user.org_unit):
        if unit.level.value not in levels:
            continue
        if exclude is not None and unit.path.startswith(exclude.path):
            continue
        out.append((unit.code, "\u3000" * depth + f"{unit.name} ({unit.code})"))
    return out




@bp.get("/units")
@role_required(ADMIN)
def units():
    root = current_user.org_unit
    tree = services.unit_tree(root)
    counts = services.worker_counts_by_unit(root)
    form = UnitForm()
    form.parent.choices = _parent_choices()
    return render_template("org/units.html", tree=tree, counts=counts, form=form,
                           level_label=services.level_label)


@bp.post("/units")
@role_required(ADMIN)
def create_unit():
    form = UnitForm()
    form.parent.choices = _parent_choices()
    if form.validate_on_submit():
        parent = load_unit(form.parent.data)
        try:
            unit = services.create_unit(code=form.code.data, name=form.name.data,
                                        level=form.level.data, parent=parent)
        except DomainError as exc:
            db.session.rollback()
            attach_errors(form, exc)
        else:
            db.session.commit()
            flash(_("Org unit %(name)s created.", name=unit.name), "success")
            return redirect(url_for("org.units"))
    root = current_user.org_unit
    return render_template("org/units.html", tree=services.unit_tree(root),
                           counts=services.worker_counts_by_unit(root), form=form,
                           level_label=services.level_label, show_form=True), 422


@bp.route("/units/<code>", methods=["GET", "POST"])
@role_required(ADMIN)
def unit_detail(code: str):
    unit = load_unit(code)
    rename = RenameUnitForm(prefix="rename", obj=unit)
    move = MoveUnitForm(prefix="move")
    levels = {"village": ("subdistrict",), "subdistrict": ("district",)}.get(unit.level.value, ())
    move.parent.choices = _parent_choices(exclude=unit, levels=levels)
    if rename.submit_ok("rename"):
        try:
            services.rename_unit(unit, rename.name.data)
        except DomainError as exc:
            db.session.rollback()
            attach_errors(rename, exc)
        else:
            db.session.commit()
            flash(_("Renamed."), "success")
            return redirect(url_for("org.unit_detail", code=unit.code))
    elif move.submit_ok("move"):
        new_parent = load_unit(move.parent.data)
        try:
            services.move_unit(unit, new_parent)
        except DomainError as exc:
            db.session.rollback()
            attach_errors(move, exc)
        else:
            db.session.commit()
            flash(_("Moved under %(name)s.", name=new_parent.name), "success")
            return redirect(url_for("org.unit_detail", code=unit.code))
    can_move = unit.id != current_user.org_unit_id and unit.level.value != "district"
    return render_template("org/unit_detail.html", unit=unit, rename=rename, move=move,
                           can_move=can_move, level_label=services.level_label,
                           children=unit.children)
