"""API: the competency framework (skills by ``code``), window profiles, courses (by ``slug``).

Anyone signed in may read; importing and exporting course packages is for instructors
and admins. Courses are district-wide: no org scope applies.
"""

from __future__ import annotations

import io
from typing import Any

from flask import jsonify, request, send_file
from flask.views import MethodView
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from flask_smorest import Blueprint
from marshmallow import Schema, fields

from academy.api.common import (
    ErrorDetailSchema,
    NoFile,
    PageArgs,
    UnsupportedUpload,
    documented_errors,
    list_envelope,
    paginate,
)
from academy.catalog import services
from academy.catalog.models import Skill, WindowProfile
from academy.extensions import db
from academy.permissions import ADMIN, INSTRUCTOR, role_required
from academy.timeutil import aware

blp = Blueprint("catalog_api", __name__, description="Skills, window profiles and courses")

ZIP_TYPES = {"application/zip", "application/x-zip-compressed", "application/octet-stream"}
BINARY = {"type": "string", "format": "binary"}


def error_responses(*codes: int):
    """Document error responses (the ``{"error": {...}}`` shape) for an endpoint."""
    return documented_errors(blp, *codes)


# ---------------------------------------------------------------- schemas


class SkillSchema(Schema):
    code = fields.String(required=True)
    name = fields.String(required=True)
    category = fields.String(required=True, metadata={"enum": ["business", "soft"]})
    description = fields.String(allow_none=True, required=True)
    standard_ref = fields.String(allow_none=True, required=True,
                                 metadata={"description": "The clause of a local service "
                                                          "standard the skill answers to."})
    levels = fields.Dict(keys=fields.String(), values=fields.String(), required=True,
                         metadata={"description": 'Level descriptors: {"1": ..., "4": ...}.'})


class RequirementSchema(Schema):
    skill = fields.String(required=True, metadata={"description": "The skill's code."})
    skill_name = fields.String(required=True)
    level = fields.Integer(required=True, metadata={"minimum": 1, "maximum": 4})


class ProfileSchema(Schema):
    code = fields.String(required=True)
    name = fields.String(required=True)
    description = fields.String(allow_none=True, required=True)
    org_level = fields.String(allow_none=True, required=True,
                              metadata={"enum": ["district", "subdistrict", "village", None]})
    requirements = fields.List(fields.Nested(RequirementSchema), required=True)


class CourseSummarySchema(Schema):
    slug = fields.String(required=True)
    title = fields.String(required=True)
    skill = fields.String(required=True, metadata={"description": "The skill's code."})
    skill_name = fields.String(required=True)
    target_level = fields.Integer(required=True)
    summary = fields.String(allow_none=True, required=True)
    version = fields.Integer(required=True,
                             metadata={"description": "The latest published version."})
    published_at = fields.DateTime(required=True)
    module_count = fields.Integer(required=True)
    lesson_count = fields.Integer(required=True)


class LessonSchema(Schema):
    slug = fields.String(required=True)
    title = fields.String(required=True)


class ModuleSchema(Schema):
    slug = fields.String(required=True)
    title = fields.String(required=True)
    summary = fields.String(allow_none=True, required=True)
    quiz = fields.Integer(allow_none=True, required=True,
                          metadata={"description": "The module's quiz id, if it has one."})
    scenario = fields.Integer(allow_none=True, required=True,
                              metadata={"description": "The module's scenario id, if any."})
    activities = fields.List(fields.Dict(), required=True,
                             metadata={"description": "The module's activity entries."})
    lessons = fields.List(fields.Nested(LessonSchema), required=True)


class CourseSchema(CourseSummarySchema):
    content_hash = fields.String(required=True,
                                 metadata={"description": "SHA-256 of the version's content."})
    modules = fields.List(fields.Nested(ModuleSchema), required=True)


class ImportResultSchema(Schema):
    slug = fields.String(required=True)
    status = fields.String(required=True, metadata={"enum": ["created", "updated",
                                                             "unchanged"]})
    version = fields.Integer(required=True,
                             metadata={"description": "The latest published version: a new "
                                                      "one unless the content is unchanged."})


class PackageProblemSchema(Schema):
    file = fields.String(required=True, metadata={"description": "Path inside the package; "
                                                                 "'' for the archive."})
    line = fields.Integer(allow_none=True, required=True)
    message = fields.String(required=True)


class PackageProblemsSchema(Schema):
    """A package that failed validation: the usual error plus every problem found."""

    error = fields.Nested(ErrorDetailSchema, required=True)
    errors = fields.List(fields.Nested(PackageProblemSchema), required=True)


IMPORT_BODY = {
    "required": True,
    "description": "A course package (courses/README.md) as a .zip: multipart with a "
                   "`file` part, or the raw archive as the body.",
    "content": {
        "multipart/form-data": {
            "schema": {"type": "object", "properties": {"file": BINARY}, "required": ["file"]},
        },
        "application/zip": {"schema": BINARY},
    },
}
EXPORT_RESPONSE = {
    "200": {"description": "The course package (.zip); importing it changes nothing.",
            "content": {"application/zip": {"schema": BINARY}}},
}


# ---------------------------------------------------------------- serialising


def skill_dict(skill: Skill) -> dict[str, Any]:
    return {"code": skill.code, "name": skill.name, "category": skill.category,
            "description": skill.description, "standard_ref": skill.standard_ref,
            "levels": dict(skill.level_descriptors or {})}


def profile_dict(profile: WindowProfile) -> dict[str, Any]:
    return {"code": profile.code, "name": profile.name, "description": profile.description,
            "org_level": profile.org_level,
            "requirements": [{"skill": req.skill.code, "skill_name": req.skill.name,
                              "level": req.level} for req in profile.requirements]}


def course_summary(item: services.PublishedCourse) -> dict[str, Any]:
    course, version = item.course, item.version
    return {"slug": course.slug, "title": course.title, "skill": course.skill.code,
            "skill_name": course.skill.name, "target_level": course.target_level,
            "summary": course.summary, "version": version.number,
            "published_at": aware(version.published_at),
            "module_count": len(item.modules), "lesson_count": item.lesson_count}


def course_dict(item: services.PublishedCourse) -> dict[str, Any]:
    snapshot = item.version.snapshot
    out = course_summary(item)
    # What trainees read is the published version, not the course row's draft.
    out.update(title=snapshot.get("title", out["title"]),
               summary=snapshot.get("summary", out["summary"]),
               target_level=snapshot.get("target_level", out["target_level"]),
               content_hash=item.version.content_hash)
    out["modules"] = [
        {"slug": module["slug"], "title": module["title"], "summary": module.get("summary"),
         **services.module_references(module, item.course.id),
         "activities": list(module.get("activities") or []),
         "lessons": [{"slug": lesson["slug"], "title": lesson["title"]}
                     for lesson in module.get("lessons") or []]}
        for module in item.modules
    ]
    return out


# ---------------------------------------------------------------- reading


@blp.route("/skills")
class Skills(MethodView):
    @role_required()
    @error_responses(401)
    @blp.arguments(PageArgs, location="query")
    @blp.response(200, list_envelope(SkillSchema, "SkillPage"))
    def get(self, args):
        """The competency framework's skills, in framework order."""
        page = paginate(services.skills_query(), args["page"], args["per_page"])
        page["items"] = [skill_dict(skill) for skill in page["items"]]
        return page


@blp.route("/window-profiles")
class WindowProfiles(MethodView):
    @role_required()
    @error_responses(401)
    @blp.arguments(PageArgs, location="query")
    @blp.response(200, list_envelope(ProfileSchema, "WindowProfilePage"))
    def get(self, args):
        """Window profiles (posts) with the skill levels each requires."""
        page = paginate(services.profiles_query(), args["page"], args["per_page"])
        page["items"] = [profile_dict(profile) for profile in page["items"]]
        return page


@blp.route("/courses")
class Courses(MethodView):
    @role_required()
    @error_responses(401)
    @blp.arguments(PageArgs, location="query")
    @blp.response(200, list_envelope(CourseSummarySchema, "CoursePage"))
    def get(self, args):
        """Published courses by title, each with its latest version."""
        page = paginate(services.published_courses_query(), args["page"], args["per_page"])
        page["items"] = [course_summary(item)
                         for item in services.published_courses(page["items"])]
        return page


@blp.route("/courses/<string:slug>")
class CourseItem(MethodView):
    @role_required()
    @error_responses(401, 404)
    @blp.response(200, CourseSchema)
    def get(self, slug: str):
        """A course's latest published version: its modules (with their quiz and scenario
        ids) and lessons."""
        return course_dict(services.get_published_course(slug))


# ---------------------------------------------------------------- packages


def read_package() -> bytes:
    """The uploaded archive, from a multipart ``file`` part or the raw body."""
    if request.mimetype == "multipart/form-data":
        upload = request.files.get("file")
        if upload is None:
            raise NoFile(_("Attach the course package as a multipart part named file."))
        data = upload.read()
    elif request.mimetype in ZIP_TYPES:
        data = request.get_data(cache=False)
    elif not request.content_length and not request.mimetype:
        raise NoFile(_("No file was sent."))
    else:
        raise UnsupportedUpload(_("Send the course package as a .zip (application/zip or "
                                  "multipart/form-data)."))
    if not data:
        raise NoFile(_("The file is empty."))
    return data


@blp.route("/courses/import")
class CourseImport(MethodView):
    @role_required(INSTRUCTOR, ADMIN)
    @error_responses(400, 401, 403, 413, 415)
    @blp.doc(requestBody=IMPORT_BODY)
    @blp.alt_response(422, schema=PackageProblemsSchema,
                      description="The package is invalid; nothing was written.")
    @blp.response(200, ImportResultSchema)
    def post(self):
        """Import a course package (.zip): validated first, then upserted by slug and
        published. Any problem answers 422 listing them all, and nothing is written."""
        data = read_package()
        outcome, problems = services.import_course_zip(
            data, user=current_user._get_current_object())
        if problems:
            db.session.rollback()
            message = ngettext("The package has %(num)d problem; nothing was imported.",
                               "The package has %(num)d problems; nothing was imported.",
                               len(problems))
            body = {"error": {"code": "invalid_package", "message": message, "fields": {}},
                    "errors": [{"file": p.file, "line": p.line,
                                "message": services.translate(p)} for p in problems]}
            return jsonify(body), 422
        db.session.commit()
        return {"slug": outcome.slug, "status": outcome.status, "version": outcome.version}


@blp.route("/courses/<string:slug>/export")
class CourseExport(MethodView):
    @role_required(INSTRUCTOR, ADMIN)
    @error_responses(401, 403, 404)
    @blp.doc(responses=EXPORT_RESPONSE)
    def get(self, slug: str):
        """The course's latest published version as a course package (.zip)."""
        item = services.get_published_course(slug)
        data = services.export_course_zip(item.course)
        return send_file(io.BytesIO(data), mimetype="application/zip", as_attachment=True,
                         download_name=f"{item.course.slug}.zip", max_age=0)
