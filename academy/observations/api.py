"""API: record observations, and read those in the caller's scope.

Instructors and admins observe within their org subtree, assessors within their active
engagements; a worker outside that scope answers 404, as if it did not exist. Anyone
signed in reads the observations in their scope and their own.
"""

from __future__ import annotations

from datetime import UTC
from typing import Any

from flask.views import MethodView
from flask_babel import gettext as _
from flask_login import current_user
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from academy.api.common import PageArgs, Text, documented_errors, list_envelope, paginate
from academy.errors import ValidationFailed
from academy.extensions import db
from academy.observations import services
from academy.observations.models import Observation
from academy.observations.rubrics import KINDS
from academy.permissions import ADMIN, ASSESSOR, INSTRUCTOR, role_required
from academy.timeutil import aware, utcnow

blp = Blueprint("observations_api", __name__,
                description="Observations: role-plays and counter sessions scored with a rubric")


# ---------------------------------------------------------------- schemas


class CriterionResultSchema(Schema):
    code = fields.String(required=True)
    name = fields.String(required=True)
    skill = fields.String(allow_none=True, required=True,
                          metadata={"description": "The skill code it is evidence for."})
    score = fields.Integer(allow_none=True, required=True,
                           metadata={"description": "1–5; null when not observed."})
    note = fields.String(allow_none=True, required=True)


class ObservationSchema(Schema):
    id = fields.Integer(required=True)
    employee_no = fields.String(required=True)
    name = fields.String(required=True, metadata={"description": "The worker's name."})
    org_unit = fields.String(required=True,
                             metadata={"description": "The code of the worker's unit when "
                                                      "observed."})
    rubric = fields.String(required=True, metadata={"description": "The rubric's code."})
    rubric_title = fields.String(required=True)
    kind = fields.String(required=True, metadata={"enum": list(KINDS)})
    observed_at = fields.DateTime(required=True)
    observer = fields.String(required=True, metadata={"description": "The observer's "
                                                                     "username."})
    observer_role = fields.String(required=True,
                                  metadata={"enum": ["assessor", "instructor", "admin"]})
    scores = fields.Dict(keys=fields.String(), values=fields.Integer(allow_none=True),
                         required=True,
                         metadata={"description": "Criterion code → 1–5, null when not "
                                                  "observed."})
    mean_score = fields.Float(allow_none=True, required=True,
                              metadata={"description": "Mean of the scored criteria."})
    criteria = fields.List(fields.Nested(CriterionResultSchema), required=True)
    notes = fields.String(allow_none=True, required=True)
    created_at = fields.DateTime(required=True)


class ObservationCreateSchema(Schema):
    employee_no = Text(required=True, validate=validate.Length(min=1, max=32),
                       metadata={"description": "A worker in your scope (else 404)."})
    rubric = Text(required=True, validate=validate.Length(min=1, max=64),
                  metadata={"description": "A rubric code, e.g. counter-service."})
    scores = fields.Dict(
        keys=fields.String(), values=fields.Integer(allow_none=True, strict=True),
        required=True,
        metadata={"description": "Every criterion of the rubric: code → 1–5, or null when "
                                 "it was not observed (at least one scored)."})
    notes = Text(allow_none=True, validate=validate.Length(max=services.NOTES_MAX),
                 metadata={"description": "Overall notes."})
    criterion_notes = fields.Dict(keys=fields.String(), values=Text(allow_none=True),
                                  metadata={"description": "Criterion code → a note."})
    kind = fields.String(validate=validate.OneOf(KINDS),
                         metadata={"description": "Default: the rubric's own kind, else "
                                                  "counter_session."})
    observed_at = fields.AwareDateTime(default_timezone=UTC,
                                       metadata={"description": "Default: now. Not in the "
                                                                "future."})


class ObservationListArgs(PageArgs):
    employee_no = Text(validate=validate.Length(max=32),
                       metadata={"description": "Only this worker's observations."})


def observation_dict(observation: Observation) -> dict[str, Any]:
    """An observation as the API shows it."""
    worker = observation.worker
    return {
        "id": observation.id, "employee_no": worker.employee_no, "name": worker.name,
        "org_unit": observation.org_unit.code, "rubric": observation.rubric_code,
        "rubric_title": observation.rubric_title, "kind": observation.kind,
        "observed_at": aware(observation.observed_at),
        "observer": observation.observer.username, "observer_role": observation.observer_role,
        "scores": dict(observation.scores), "mean_score": observation.mean_score,
        "criteria": [{"code": row["code"], "name": row["name"], "skill": row.get("skill"),
                      "score": row["score"], "note": row["note"]}
                     for row in observation.rows()],
        "notes": observation.notes, "created_at": aware(observation.created_at),
    }


# ---------------------------------------------------------------- endpoints


@blp.route("/observations")
class Observations(MethodView):
    @role_required()
    @documented_errors(blp, 401)
    @blp.arguments(ObservationListArgs, location="query")
    @blp.response(200, list_envelope(ObservationSchema, "ObservationPage"))
    def get(self, args):
        """Observations in your scope (as observer) and your own, newest first."""
        scope = services.scope_for(current_user._get_current_object())
        page = paginate(services.visible_query(scope, args.get("employee_no") or None),
                        args["page"], args["per_page"])
        page["items"] = [observation_dict(o) for o in page["items"]]
        return page

    @role_required(ADMIN, INSTRUCTOR, ASSESSOR)
    @documented_errors(blp, 400, 401, 403, 404)
    @blp.arguments(ObservationCreateSchema)
    @blp.response(201, ObservationSchema)
    def post(self, data):
        """Record an observation of a worker in your scope, scored with a rubric.

        Bad scores, an unknown rubric or criterion, or a time in the future answer 422
        with the fields concerned (e.g. `scores.greeting`).
        """
        user = current_user._get_current_object()
        scope = services.scope_for(user)
        worker = services.observable_worker(scope, data["employee_no"])
        rubric = services.get_rubric(data["rubric"])
        if rubric is None:
            message = _("There is no rubric %(code)s.", code=data["rubric"])
            raise ValidationFailed(message, {"rubric": [message]})
        observation = services.record_observation(user, scope, worker, rubric,
                                                  services.ObservationInput(
            kind=data.get("kind") or rubric.kind or "counter_session",
            observed_at=data.get("observed_at") or utcnow(), scores=data["scores"],
            criterion_notes=data.get("criterion_notes") or {}, notes=data.get("notes")))
        db.session.commit()
        return observation_dict(observation)


@blp.route("/observations/<int:observation_id>")
class ObservationItem(MethodView):
    @role_required()
    @documented_errors(blp, 401, 404)
    @blp.response(200, ObservationSchema)
    def get(self, observation_id: int):
        """One observation in your scope, or of yourself (404 otherwise)."""
        scope = services.scope_for(current_user._get_current_object())
        return observation_dict(services.get_visible(scope, observation_id))
