"""API: play scenarios (start a run, take choices); a run is only ever its player's."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_login import current_user
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from academy.api.common import Text, documented_errors
from academy.extensions import db
from academy.permissions import role_required
from academy.scenarios import services

blp = Blueprint("scenarios_api", __name__, description="Scenarios: role-play a reception")


# ---------------------------------------------------------------- schemas


class ChoiceSchema(Schema):
    id = fields.String(required=True)
    text = fields.String(required=True, metadata={"description": "What the clerk says or does."})


class NodeSchema(Schema):
    id = fields.String(required=True)
    text = fields.String(required=True, metadata={"description": "The situation."})
    citizen = fields.String(allow_none=True, required=True,
                            metadata={"description": "What the citizen says or does, if any."})
    choices = fields.List(fields.Nested(ChoiceSchema), required=True,
                          metadata={"description": "The choices on offer now."})


class RunSchema(Schema):
    id = fields.Integer(required=True, metadata={"description": "The run's id."})
    node = fields.Nested(NodeSchema, required=True)


class ChoiceArgs(Schema):
    choice = Text(required=True, validate=validate.Length(min=1, max=64),
                  metadata={"description": "The id of a choice on offer."})


class StepsSchema(Schema):
    performed = fields.List(fields.String(), required=True)
    standard_order = fields.List(fields.String(), required=True)
    missing = fields.List(fields.String(), required=True)
    out_of_order = fields.List(fields.String(), required=True)
    deductions = fields.List(fields.Dict(), required=True,
                             metadata={"description": '[{"step", "kind", "points"}]'})


class FlagSchema(Schema):
    node = fields.String(required=True)
    choice = fields.String(required=True)
    text = fields.String(required=True)
    phrases = fields.List(fields.String(), required=True,
                          metadata={"description": "Taboo phrases found (empty if tagged)."})


class MistakeSchema(Schema):
    node = fields.String(required=True)
    choice = fields.String(required=True)
    text = fields.String(required=True)
    feedback = fields.String(required=True)
    better_choice = fields.String(allow_none=True, required=True)
    better_text = fields.String(allow_none=True, required=True)


class StepResultSchema(Schema):
    """Either the next node (``id`` is the run's, ``node``) or the finished report."""

    id = fields.Integer(required=True, metadata={"description": "The run's id."})
    node = fields.Nested(NodeSchema, metadata={"description": "The next node (while playing)."})
    finished = fields.Boolean(metadata={"description": "True once the run has ended."})
    outcome = fields.String(metadata={"description": "success | partial | failure | timeout"})
    ending = fields.Dict(allow_none=True, metadata={"description": '{"id", "title", "text"}'})
    score = fields.Integer(metadata={"description": "Overall score, 0–100."})
    dimensions = fields.Dict(keys=fields.String(), values=fields.Integer(),
                             metadata={"description": "Score per dimension, 0–100."})
    steps = fields.Nested(StepsSchema)
    flags = fields.List(fields.Nested(FlagSchema), metadata={"description": "Taboo flags."})
    mistakes = fields.List(fields.Nested(MistakeSchema))


# ---------------------------------------------------------------- serialising


def node_dict(view: services.RunView) -> dict[str, Any]:
    node = view.node
    return {"id": node.id, "text": node.situation, "citizen": node.citizen or None,
            "choices": [{"id": c.id, "text": c.text} for c in view.choices]}


def step_dict(view: services.RunView) -> dict[str, Any]:
    """The next node, or the report of a finished run."""
    if not view.finished:
        return {"id": view.run.id, "node": node_dict(view)}
    report = view.report or {}
    ending = view.ending
    return {
        "id": view.run.id, "finished": True, "outcome": report.get("outcome"),
        "ending": {"id": ending.id, "title": ending.title, "text": ending.text or None}
        if ending else None,
        "score": report.get("overall"), "dimensions": report.get("dimensions", {}),
        "steps": {"performed": report.get("steps_performed", []),
                  "standard_order": report.get("standard_order", []),
                  "missing": report.get("missing_steps", []),
                  "out_of_order": report.get("out_of_order_steps", []),
                  "deductions": report.get("deductions", [])},
        "flags": report.get("taboo", []), "mistakes": report.get("mistakes", []),
    }


# ---------------------------------------------------------------- endpoints


@blp.route("/scenarios/<int:scenario_id>/runs")
class ScenarioRuns(MethodView):
    @role_required()
    @documented_errors(blp, 401, 404, 409)
    @blp.response(201, RunSchema)
    def post(self, scenario_id: int):
        """Start a new run of the scenario as the signed-in user: its first node."""
        definition = services.get_definition(scenario_id)
        run = services.start_run(definition, current_user._get_current_object())
        view = services.run_view(run)
        db.session.commit()
        return {"id": run.id, "node": node_dict(view)}


@blp.route("/scenario-runs/<int:run_id>/choices")
class RunChoices(MethodView):
    @role_required()
    @documented_errors(blp, 401, 404, 409)
    @blp.arguments(ChoiceArgs)
    @blp.response(200, StepResultSchema)
    def post(self, args, run_id: int):
        """Take a choice in one of your runs: the next node, or the report once it ends.

        A choice not on offer now, or any choice in a finished run, answers 409; another
        user's run answers 404.
        """
        run = services.get_run(run_id, current_user._get_current_object())
        services.choose(run, args["choice"])
        view = services.run_view(run)
        db.session.commit()
        return step_dict(view)
