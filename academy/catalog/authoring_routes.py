"""Authoring pages: instructors and admins edit course drafts and publish versions.

Courses are district-wide, so every instructor and admin may edit every course.
"""

from __future__ import annotations

import io

from flask import (
    Blueprint,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user

from academy.catalog import authoring as services
from academy.catalog.authoring_forms import (
    ConfirmForm,
    CourseForm,
    CourseSettingsForm,
    ImageForm,
    LessonForm,
    ModuleForm,
    MoveForm,
    MoveToModuleForm,
    NewItemForm,
    PublishForm,
)
from academy.catalog.models import Course
from academy.catalog.rendering import render_markdown
from academy.errors import DomainError
from academy.extensions import db
from academy.forms import attach_errors
from academy.main.errors import problem
from academy.permissions import ADMIN, INSTRUCTOR, role_required

bp = Blueprint("authoring", __name__, url_prefix="/authoring")

authors_only = role_required(INSTRUCTOR, ADMIN)


# ---------------------------------------------------------------- helpers




def flash_form_errors(form) -> None:
    """A small form posted from a list page: show its first error as a flash."""
    for field_errors in form.errors.values():
        if field_errors:
            flash(str(field_errors[0]), "danger")
            return


def skill_choices() -> list[tuple[int, str]]:
    return [(skill.id, f"{skill.name} ({skill.code})") for skill in services.skills()]


def image_url_for(course: Course):
    """Map the course's image references in Markdown to the editors' image route."""
    names = {asset.name for asset in course.assets}
    return services.image_resolver(
        names, lambda name: url_for("authoring.image", slug=course.slug, name=name))


def editor_url(course: Course, anchor: str | None = None) -> str:
    return url_for("authoring.course", slug=course.slug, _anchor=anchor)


def wants_json() -> bool:
    return request.accept_mimetypes.best == "application/json"


# ---------------------------------------------------------------- courses


@bp.get("/")
@authors_only
def courses():
    return render_template("authoring/courses.html", rows=services.list_courses())


@bp.route("/courses/new", methods=["GET", "POST"])
@authors_only
def new_course():
    form = CourseForm()
    form.skill.choices = skill_choices()
    if form.validate_on_submit():
        try:
            course = services.create_course(
                slug=form.slug.data, title=form.title.data, skill_id=form.skill.data,
                target_level=form.target_level.data, summary=form.summary.data,
                author=current_user)
        except DomainError as exc:
            db.session.rollback()
            attach_errors(form, exc)
        else:
            db.session.commit()
            flash(_("Course %(title)s created.", title=course.title), "success")
            return redirect(editor_url(course))
    status = 422 if request.method == "POST" else 200
    return render_template("authoring/course_new.html", form=form), status


@bp.get("/courses/<slug>")
@authors_only
def course(slug: str):
    course = services.get_course(slug)
    settings = CourseSettingsForm(obj=course, skill=course.skill_id)
    settings.skill.choices = skill_choices()
    return render_template(
        "authoring/course.html", course=course, modules=services.outline(course),
        latest=services.latest_version(course), settings=settings, publish=PublishForm(),
        new_item=NewItemForm(), confirm=ConfirmForm(), module_form=ModuleForm())


@bp.post("/courses/<slug>/settings")
@authors_only
def course_settings(slug: str):
    course = services.get_course(slug)
    form = CourseSettingsForm()
    form.skill.choices = skill_choices()
    if form.validate_on_submit():
        try:
            services.update_course(course, title=form.title.data, skill_id=form.skill.data,
                                   target_level=form.target_level.data,
                                   summary=form.summary.data)
        except DomainError as exc:
            db.session.rollback()
            flash(exc.message, "danger")
        else:
            db.session.commit()
            flash(_("Course settings saved."), "success")
    else:
        flash_form_errors(form)
    return redirect(editor_url(course))


@bp.post("/courses/<slug>/publish")
@authors_only
def publish(slug: str):
    course = services.get_course(slug)
    form = PublishForm()
    if not form.validate_on_submit():
        flash_form_errors(form)
        return redirect(editor_url(course, "publish"))
    try:
        result = services.publish_draft(course, form.note.data, current_user)
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "danger")
        return redirect(editor_url(course, "publish"))
    db.session.commit()
    if result.created:
        flash(_("Published version %(number)d.", number=result.version.number), "success")
    else:
        flash(_("Nothing changed since version %(number)d: no new version was published.",
                number=result.version.number), "info")
    return redirect(editor_url(course))


@bp.get("/courses/<slug>/versions")
@authors_only
def versions(slug: str):
    course = services.get_course(slug)
    return render_template("authoring/versions.html", course=course,
                           history=services.version_history(course))


@bp.get("/courses/<slug>/versions/<int:number>")
@authors_only
def version(slug: str, number: int):
    course = services.get_course(slug)
    version = services.get_version(course, number)
    assets = version.snapshot.get("assets") or {}
    image_url = services.image_resolver(
        assets, lambda name: url_for("authoring.image", slug=course.slug, name=name))
    modules = [
        {**module, "lessons": [{**lesson, "html": render_markdown(lesson["body_md"], image_url)}
                               for lesson in module.get("lessons", [])]}
        for module in version.snapshot.get("modules", [])
    ]
    return render_template("authoring/version.html", course=course, version=version,
                           modules=modules, publisher=services.publisher(version))


# ---------------------------------------------------------------- modules


@bp.post("/courses/<slug>/modules")
@authors_only
def add_module(slug: str):
    course = services.get_course(slug)
    form = NewItemForm()
    if not form.validate_on_submit():
        flash_form_errors(form)
        return redirect(editor_url(course, "new-module"))
    try:
        module = services.add_module(course, title=form.title.data, slug=form.slug.data)
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "danger")
        return redirect(editor_url(course, "new-module"))
    db.session.commit()
    flash(_("Module %(title)s added.", title=module.title), "success")
    return redirect(editor_url(course, f"module-{module.id}"))


@bp.post("/courses/<slug>/modules/<int:module_id>")
@authors_only
def edit_module(slug: str, module_id: int):
    course = services.get_course(slug)
    module = services.get_module(course, module_id)
    form = ModuleForm()
    if form.validate_on_submit():
        services.update_module(module, title=form.title.data, summary=form.summary.data)
        db.session.commit()
        flash(_("Module saved."), "success")
    else:
        flash_form_errors(form)
    return redirect(editor_url(course, f"module-{module.id}"))


@bp.post("/courses/<slug>/modules/<int:module_id>/delete")
@authors_only
def delete_module(slug: str, module_id: int):
    course = services.get_course(slug)
    module = services.get_module(course, module_id)
    if ConfirmForm().validate_on_submit():
        title = module.title
        services.delete_module(module)
        db.session.commit()
        flash(_("Module %(title)s deleted.", title=title), "success")
    return redirect(editor_url(course))


@bp.post("/courses/<slug>/modules/<int:module_id>/move")
@authors_only
def move_module(slug: str, module_id: int):
    course = services.get_course(slug)
    module = services.get_module(course, module_id)
    form = MoveForm()
    if form.validate_on_submit():
        services.move_module(module, form.direction.data)
        db.session.commit()
    else:
        flash_form_errors(form)
    return redirect(editor_url(course, f"module-{module.id}"))


# ---------------------------------------------------------------- lessons


@bp.post("/courses/<slug>/modules/<int:module_id>/lessons")
@authors_only
def add_lesson(slug: str, module_id: int):
    course = services.get_course(slug)
    module = services.get_module(course, module_id)
    form = NewItemForm()
    if not form.validate_on_submit():
        flash_form_errors(form)
        return redirect(editor_url(course, f"module-{module.id}"))
    try:
        lesson = services.add_lesson(module, title=form.title.data, slug=form.slug.data)
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "danger")
        return redirect(editor_url(course, f"module-{module.id}"))
    db.session.commit()
    return redirect(url_for("authoring.lesson", slug=course.slug, lesson_id=lesson.id))


@bp.route("/courses/<slug>/lessons/<int:lesson_id>", methods=["GET", "POST"])
@authors_only
def lesson(slug: str, lesson_id: int):
    course = services.get_course(slug)
    lesson = services.get_lesson(course, lesson_id)
    form = LessonForm(obj=lesson)
    if form.validate_on_submit():
        changed = services.update_lesson(lesson, title=form.title.data,
                                         body_md=form.body_md.data or "")
        db.session.commit()
        flash(_("Lesson saved.") if changed else _("No changes to save."),
              "success" if changed else "info")
        return redirect(url_for("authoring.lesson", slug=course.slug, lesson_id=lesson.id))
    move_to = MoveToModuleForm(module=lesson.module_id)
    move_to.module.choices = [(m.id, m.title) for m in services.outline(course)]
    return render_template(
        "authoring/lesson.html", course=course, lesson=lesson, form=form, move_to=move_to,
        preview_html=render_markdown(form.body_md.data or "", image_url_for(course)),
        images=course.assets, upload=ImageForm(lesson=lesson.id), confirm=ConfirmForm(),
        snippet=services.image_snippet,
    ), 422 if request.method == "POST" else 200


@bp.post("/courses/<slug>/lessons/<int:lesson_id>/delete")
@authors_only
def delete_lesson(slug: str, lesson_id: int):
    course = services.get_course(slug)
    lesson = services.get_lesson(course, lesson_id)
    module_id = lesson.module_id
    if ConfirmForm().validate_on_submit():
        title = lesson.title
        services.delete_lesson(lesson)
        db.session.commit()
        flash(_("Lesson %(title)s deleted.", title=title), "success")
    return redirect(editor_url(course, f"module-{module_id}"))


@bp.post("/courses/<slug>/lessons/<int:lesson_id>/move")
@authors_only
def move_lesson(slug: str, lesson_id: int):
    course = services.get_course(slug)
    lesson = services.get_lesson(course, lesson_id)
    form = MoveForm()
    if form.validate_on_submit():
        services.move_lesson(lesson, form.direction.data)
        db.session.commit()
    else:
        flash_form_errors(form)
    return redirect(editor_url(course, f"module-{lesson.module_id}"))


@bp.post("/courses/<slug>/lessons/<int:lesson_id>/module")
@authors_only
def move_lesson_to_module(slug: str, lesson_id: int):
    course = services.get_course(slug)
    lesson = services.get_lesson(course, lesson_id)
    form = MoveToModuleForm()
    form.module.choices = [(m.id, m.title) for m in services.outline(course)]
    if form.validate_on_submit():
        target = services.get_module(course, form.module.data)
        old_slug = lesson.slug
        new_slug = services.move_lesson_to_module(lesson, target)
        db.session.commit()
        if new_slug != old_slug:
            flash(_("Moved to %(module)s as %(slug)s (the slug %(old)s was taken there).",
                    module=target.title, slug=new_slug, old=old_slug), "warning")
        else:
            flash(_("Moved to %(module)s.", module=target.title), "success")
    else:
        flash_form_errors(form)
    return redirect(url_for("authoring.lesson", slug=course.slug, lesson_id=lesson.id))


# ---------------------------------------------------------------- images


@bp.get("/courses/<slug>/images")
@authors_only
def images(slug: str):
    course = services.get_course(slug)
    return render_template("authoring/images.html", course=course, images=course.assets,
                           upload=ImageForm(), snippet=services.image_snippet)


@bp.post("/courses/<slug>/images")
@authors_only
def upload_image(slug: str):
    course = services.get_course(slug)
    form = ImageForm()
    lesson_id = form.lesson.data if (form.lesson.data or "").isdigit() else None
    back = (url_for("authoring.lesson", slug=course.slug, lesson_id=int(lesson_id))
            if lesson_id else url_for("authoring.images", slug=course.slug))
    if not form.validate_on_submit():
        message = next((str(e[0]) for e in form.errors.values() if e), _("Choose an image."))
        if wants_json():
            return problem(422, message, "validation_failed", {"image": [message]})
        flash(message, "danger")
        return redirect(back)
    # One byte over the limit is enough to know it is too large.
    data = form.image.data.stream.read(services.MAX_IMAGE_BYTES + 1)
    try:
        asset = services.add_image(course, data)
    except DomainError as exc:
        db.session.rollback()
        if wants_json():
            return problem(exc.http_status, exc.message, exc.code, exc.fields)
        flash(exc.message, "danger")
        return redirect(back)
    db.session.commit()
    if wants_json():
        return jsonify({"name": asset.name, "mime": asset.mime,
                        "url": url_for("authoring.image", slug=course.slug, name=asset.name),
                        "snippet": services.image_snippet(asset)}), 201
    flash(_("Image uploaded: %(snippet)s", snippet=services.image_snippet(asset)), "success")
    return redirect(back)


@bp.get("/courses/<slug>/images/<name>")
@authors_only
def image(slug: str, name: str):
    asset = services.get_asset(services.get_course(slug), name)
    response = send_file(io.BytesIO(asset.data), mimetype=asset.mime, etag=asset.sha256,
                         max_age=3600, conditional=True, download_name=asset.name)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.cache_control.private = True
    return response


# ---------------------------------------------------------------- live preview


@bp.post("/preview")
@authors_only
def preview():
    """Render lesson Markdown exactly as trainees will see it: {"html": ...}."""
    payload = request.get_json(silent=True)
    if not isinstance(payload, dict) or not isinstance(payload.get("markdown", ""), str):
        return problem(400, _("Send JSON with the lesson's Markdown in \"markdown\"."))
    text = payload.get("markdown") or ""
    if len(text) > services.MAX_PREVIEW_CHARS:
        return problem(413, _("The lesson is too long to preview."))
    slug = payload.get("course")
    if isinstance(slug, str) and slug:
        try:
            image_url = image_url_for(services.get_course(slug))
        except DomainError as exc:
            return problem(exc.http_status, exc.message, exc.code)
    else:  # no course, no images to resolve
        image_url = services.image_resolver(set(), str)
    return jsonify({"html": render_markdown(text, image_url)})
