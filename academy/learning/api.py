"""API: a worker's learning progress (paths, modules, completion, due dates)."""

from __future__ import annotations

from http import HTTPStatus

from flask.views import MethodView
from flask_babel import gettext as _
from flask_login import current_user
from flask_smorest import Blueprint
from marshmallow import Schema, fields

from academy.errors import Forbidden
from academy.learning import services
from academy.org import services as org_services
from academy.permissions import role_required

blp = Blueprint("learning_api", __name__, description="Learning progress")


class CountSchema(Schema):
    done = fields.Integer(required=True, metadata={"description": "Lessons completed."})
    total = fields.Integer(required=True,
                           metadata={"description": "Lessons in the latest published versions."})


class ModuleProgressSchema(Schema):
    course = fields.String(required=True, metadata={"description": "The course slug."})
    module = fields.String(required=True, metadata={"description": "The module slug."})
    title = fields.String(required=True)
    done = fields.Integer(required=True)
    total = fields.Integer(required=True)
    completed = fields.Boolean(required=True)


class PathProgressSchema(Schema):
    path = fields.String(required=True, metadata={"description": "The path code."})
    title = fields.String(required=True)
    due_date = fields.Date(required=True)
    completed_at = fields.DateTime(allow_none=True, required=True)
    overdue = fields.Boolean(required=True)
    progress = fields.Nested(CountSchema, required=True)
    modules = fields.List(fields.Nested(ModuleProgressSchema), required=True)


class WorkerProgressSchema(Schema):
    employee_no = fields.String(required=True)
    paths = fields.List(fields.Nested(PathProgressSchema), required=True)


def progress_dict(worker) -> dict:
    """The progress document of one worker."""
    views = services.worker_assignments(worker)
    return {
        "employee_no": worker.employee_no,
        "paths": [{
            "path": v.path.code, "title": v.path.title, "due_date": v.assignment.due_date,
            "completed_at": v.assignment.completed_at, "overdue": v.overdue,
            "progress": {"done": v.done, "total": v.total},
            "modules": [{"course": m.outline.course_slug, "module": m.outline.module_slug,
                         "title": m.outline.title, "done": m.done, "total": m.total,
                         "completed": m.completed} for m in v.modules],
        } for v in views],
    }


@blp.route("/workers/<string:employee_no>/progress")
class WorkerProgress(MethodView):
    @role_required()
    @blp.alt_response(401, response=HTTPStatus(401).name)
    @blp.alt_response(403, response=HTTPStatus(403).name)
    @blp.alt_response(404, response=HTTPStatus(404).name)
    @blp.response(200, WorkerProgressSchema)
    def get(self, employee_no: str):
        """A worker's assigned paths with progress: the worker themself, or an admin or
        instructor of the worker's org subtree."""
        worker = org_services.require_worker(employee_no)
        if not services.can_view_progress(current_user, worker):
            raise Forbidden(_("This staff record is outside your scope."))
        return progress_dict(worker)
