"""Pages: the course catalogue, importing course packages, editing the framework."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from academy.catalog import services
from academy.catalog.blueprint import bp
from academy.catalog.forms import ImportForm, profile_form, skill_form
from academy.errors import DomainError
from academy.extensions import db
from academy.forms import attach_errors
from academy.permissions import ADMIN, INSTRUCTOR, role_required

# ---------------------------------------------------------------- the catalogue


@bp.get("/courses")
@role_required()
def courses():
    items = services.published_courses(db.session.scalars(services.published_courses_query()))
    return render_template("catalog/courses.html", items=items,
                           can_import=current_user.has_role(INSTRUCTOR, ADMIN))


@bp.get("/courses/<slug>")
@role_required()
def course(slug: str):
    item = services.get_published_course(slug)
    return render_template("catalog/course.html", item=item,
                           can_export=current_user.has_role(INSTRUCTOR, ADMIN))


@bp.route("/import", methods=["GET", "POST"])
@role_required(INSTRUCTOR, ADMIN)
def course_import():
    form = ImportForm()
    problems = []
    if form.validate_on_submit():
        outcome, found = services.import_course_zip(
            form.file.data.read(), user=current_user._get_current_object())
        if not found:
            db.session.commit()
            message = {
                services.CREATED: _("Course %(slug)s imported as version %(n)d.",
                                    slug=outcome.slug, n=outcome.version),
                services.UPDATED: _("Course %(slug)s updated: version %(n)d published.",
                                    slug=outcome.slug, n=outcome.version),
            }.get(outcome.status, _("Course %(slug)s is unchanged (version %(n)d).",
                                    slug=outcome.slug, n=outcome.version))
            flash(message, "success")
            return redirect(url_for("catalog.course", slug=outcome.slug))
        db.session.rollback()
        problems = [(p, services.translate(p)) for p in found]
    status = 422 if form.errors or problems else 200
    return render_template("catalog/import.html", form=form, problems=problems), status


# ---------------------------------------------------------------- the framework


@bp.get("/framework")
@role_required(ADMIN)
def framework():
    skills = list(db.session.scalars(services.skills_query()))
    profiles = list(db.session.scalars(services.profiles_query()))
    return render_template("catalog/framework.html", skills=skills, profiles=profiles)


@bp.route("/framework/skills/<code>", methods=["GET", "POST"])
@role_required(ADMIN)
def framework_skill(code: str):
    skill = services.get_skill(code)
    form = skill_form(skill)
    if form.validate_on_submit():
        try:
            changed = services.update_skill(
                skill, name=form.name.data, description=form.description.data,
                standard_ref=form.standard_ref.data, levels=form.levels(),
                user=current_user._get_current_object())
        except DomainError as exc:
            db.session.rollback()
            attach_errors(form, exc)
        else:
            db.session.commit()
            flash(_("Skill %(code)s saved.", code=skill.code) if changed
                  else _("Nothing changed."), "success" if changed else "info")
            return redirect(url_for("catalog.framework"))
    status = 422 if form.errors else 200
    return render_template("catalog/skill_form.html", skill=skill, form=form), status


@bp.route("/framework/profiles/<code>", methods=["GET", "POST"])
@role_required(ADMIN)
def framework_profile(code: str):
    profile = services.get_profile(code)
    form = profile_form(profile, list(db.session.scalars(services.skills_query())))
    if form.validate_on_submit():
        try:
            changed = services.update_profile(
                profile, name=form.name.data, description=form.description.data,
                requirements=form.requirements(), user=current_user._get_current_object())
        except DomainError as exc:
            db.session.rollback()
            attach_errors(form, exc)
        else:
            db.session.commit()
            flash(_("Window profile %(code)s saved.", code=profile.code) if changed
                  else _("Nothing changed."), "success" if changed else "info")
            return redirect(url_for("catalog.framework"))
    status = 422 if form.errors else 200
    return render_template("catalog/profile_form.html", profile=profile, form=form), status
