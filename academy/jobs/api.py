"""API: background job status."""

from __future__ import annotations

from flask import abort
from flask.views import MethodView
from flask_login import current_user
from flask_smorest import Blueprint
from marshmallow import Schema, fields

from academy.jobs.services import get_job, job_status
from academy.permissions import role_required

blp = Blueprint("jobs_api", __name__, description="Background jobs")


class JobSchema(Schema):
    id = fields.String()
    kind = fields.String()
    state = fields.String(metadata={"enum": ["queued", "running", "finished", "failed"]})
    done = fields.Integer()
    total = fields.Integer()
    result = fields.Dict(allow_none=True)
    error = fields.String(allow_none=True)


@blp.route("/jobs/<string:job_id>")
class JobStatus(MethodView):
    @role_required()
    @blp.response(200, JobSchema)
    def get(self, job_id: str):
        """The state and progress of a job started by the caller."""
        job = get_job(job_id)
        if job is None:
            abort(404)
        if job.created_by_id != current_user.id:
            abort(404)  # other people's jobs are not revealed
        return job_status(job)
