"""Pages: question banks, their questions, importing and exporting question files."""

from __future__ import annotations

import io

import nh3
from flask import abort, flash, redirect, render_template, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup, escape

from academy.catalog import services as catalog_services
from academy.catalog.rendering import ALLOWED_ATTRIBUTES, ALLOWED_TAGS, render_markdown
from academy.errors import DomainError
from academy.extensions import db
from academy.forms import attach_errors
from academy.permissions import ADMIN, INSTRUCTOR, role_required
from academy.quizzes import services
from academy.quizzes.blueprint import bp
from academy.quizzes.forms import BankForm, ConfirmQuestionImportForm, QuestionImportForm
from academy.quizzes.spec import Question as QuestionSpec
from academy.quizzes.types import UnknownQuestionType, get_type


def _load_bank(code: str):
    try:
        return services.get_bank(code)
    except DomainError:
        abort(404)


@bp.app_template_filter("question_html")
def question_html(text: str, text_format: str = "moodle") -> Markup:
    """A question text as safe HTML: Markdown rendered, HTML sanitised, the rest escaped."""
    if text_format == "markdown":
        return Markup(render_markdown(text))  # noqa: S704 - sanitised by nh3
    if text_format == "html":
        clean = nh3.clean(text or "", tags=ALLOWED_TAGS, attributes=ALLOWED_ATTRIBUTES,
                          url_schemes={"http", "https", "mailto"})
        return Markup(clean)  # noqa: S704 - sanitised by nh3
    return Markup("<br>").join(escape(line) for line in (text or "").split("\n"))


@bp.context_processor
def _labels():
    def type_label(key: str) -> str:
        return {"single": _("Single choice"), "multiple": _("Multiple choice"),
                "truefalse": _("True/false"), "shortanswer": _("Short answer"),
                "numerical": _("Numerical"), "matching": _("Matching"),
                "ordering": _("Ordering"), "essay": _("Essay")}.get(key, key)

    def right_answer(spec: QuestionSpec) -> str:
        try:
            return get_type(spec.type).right_answer(spec)
        except (UnknownQuestionType, ValueError):
            return ""

    def state_label(state: str) -> str:
        return {"correct": _("Correct"), "partial": _("Partly correct"),
                "incorrect": _("Incorrect"), "pending": _("Awaiting grading")}.get(state, state)

    def attempt_state_label(state: str) -> str:
        return {"in_progress": _("In progress"), "overdue": _("Time is up"),
                "finished": _("Finished"), "abandoned": _("Abandoned (not counted)")
                }.get(state, state)

    def grading_label(method: str) -> str:
        return {"highest": _("highest attempt"), "last": _("last attempt"),
                "average": _("average of attempts")}.get(method, method)

    return {"type_label": type_label, "right_answer": right_answer,
            "question_spec": services.question_spec, "state_label": state_label,
            "attempt_state_label": attempt_state_label, "grading_label": grading_label}


# ---------------------------------------------------------------- banks


@bp.get("/banks")
@role_required(INSTRUCTOR, ADMIN)
def banks():
    items = list(db.session.scalars(services.banks_query()))
    return render_template("quizzes/banks.html", banks=items,
                           counts=services.question_counts())


@bp.route("/banks/new", methods=["GET", "POST"])
@role_required(INSTRUCTOR, ADMIN)
def bank_new():
    form = BankForm()
    skills = list(db.session.scalars(catalog_services.skills_query()))
    form.skill.choices = [(s.id, f"{s.name} ({s.code})") for s in skills]
    if form.validate_on_submit():
        skill = next((s for s in skills if s.id == form.skill.data), None)
        try:
            bank = services.create_bank(code=form.code.data, title=form.title.data,
                                        skill=skill, description=form.description.data)
        except DomainError as exc:
            db.session.rollback()
            attach_errors(form, exc)
        else:
            db.session.commit()
            flash(_("Question bank %(code)s created.", code=bank.code), "success")
            return redirect(url_for("quizzes.bank", code=bank.code))
    status = 422 if form.errors else 200
    return render_template("quizzes/bank_form.html", form=form), status


@bp.get("/banks/<code>")
@role_required(INSTRUCTOR, ADMIN)
def bank(code: str):
    item = _load_bank(code)
    return render_template("quizzes/bank.html", bank=item,
                           groups=services.questions_by_category(item))


# ---------------------------------------------------------------- import


def _render_import(bank, form, status: int = 200):
    return render_template("quizzes/import.html", bank=bank, form=form), status


@bp.route("/banks/<code>/import", methods=["GET", "POST"])
@role_required(INSTRUCTOR, ADMIN)
def bank_import(code: str):
    item = _load_bank(code)
    form = QuestionImportForm()
    if not form.validate_on_submit():
        return _render_import(item, form, 422 if form.errors else 200)
    upload = form.file.data
    filename = upload.filename or ""
    fmt = form.format.data or services.format_for_filename(filename)
    if fmt not in services.IMPORT_FORMATS:
        form.format.errors = [*form.format.errors,
                              _("Choose the file's format: its name does not tell.")]
        return _render_import(item, form, 422)
    report, token = services.preview_import(item, upload.read(), filename, fmt=fmt,
                                            owner_id=current_user.id)
    db.session.rollback()  # a dry run: nothing to keep
    confirm = ConfirmQuestionImportForm(formdata=None, token=token, format=fmt) if token else None
    return render_template("quizzes/import_preview.html", bank=item, report=report,
                           filename=filename, confirm=confirm,
                           form=QuestionImportForm(formdata=None))


@bp.post("/banks/<code>/import/confirm")
@role_required(INSTRUCTOR, ADMIN)
def bank_import_confirm(code: str):
    item = _load_bank(code)
    form = ConfirmQuestionImportForm()
    if not form.validate_on_submit():
        flash(_("This upload has expired or was already imported. Please upload the file "
                "again."), "warning")
        return redirect(url_for("quizzes.bank_import", code=item.code))
    try:
        report = services.confirm_import(item, form.token.data, fmt=form.format.data,
                                         owner_id=current_user.id)
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "warning")
        return redirect(url_for("quizzes.bank_import", code=item.code))
    if report.errors:  # the bank changed since the preview
        db.session.rollback()
        return render_template("quizzes/import_preview.html", bank=item, report=report,
                               filename=None, confirm=None,
                               form=QuestionImportForm(formdata=None)), 409
    db.session.commit()
    flash(_("Questions imported: %(c)d created, %(u)d updated.", c=report.created,
            u=report.updated), "success")
    return redirect(url_for("quizzes.bank", code=item.code))


@bp.get("/template.xlsx")
@role_required(INSTRUCTOR, ADMIN)
def xlsx_template():
    from academy.quizzes.formats.xlsx import xlsx_template as build

    return send_file(io.BytesIO(build()), mimetype=services.MIMETYPES[services.XLSX],
                     as_attachment=True, download_name="question-template.xlsx")
