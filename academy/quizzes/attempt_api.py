"""API: take quizzes — start or resume an attempt, autosave responses, submit, read back.

An attempt is its trainee's; the instructors and admins of the trainee's subtree may read
it (404 for anyone else). Right answers and feedback appear only as the quiz's review
options allow.
"""

from __future__ import annotations

from flask.views import MethodView
from flask_login import current_user
from flask_smorest import Blueprint
from marshmallow import Schema, fields

from academy.api.common import documented_errors
from academy.extensions import db
from academy.permissions import role_required
from academy.quizzes import attempting

blp = Blueprint("quiz_attempts_api", __name__, description="Quizzes: attempts")


class QuestionSchema(Schema):
    id = fields.Integer(required=True, metadata={"description": "The question's id."})
    type = fields.String(required=True, metadata={
        "description": "single | multiple | truefalse | shortanswer | numerical | matching "
                       "| ordering | essay"})
    text = fields.String(required=True)
    text_format = fields.String()
    position = fields.Integer()
    mark = fields.Float()
    options = fields.List(fields.Dict(), metadata={
        "description": 'single/multiple: [{"id", "text"}] in the order shown.'})
    prompts = fields.List(fields.Dict(), metadata={"description": 'matching: [{"id", "text"}]'})
    choices = fields.List(fields.Dict(), metadata={
        "description": 'matching: the answers to pick from, [{"id", "text"}]'})
    steps = fields.List(fields.Dict(), metadata={"description": 'ordering: [{"id", "text"}]'})
    criteria = fields.List(fields.String(), metadata={"description": "essay: what is looked for"})
    max_length = fields.Integer()
    response = fields.Raw(allow_none=True, metadata={"description": "The saved response."})
    sequence = fields.Integer(metadata={"description": "The saved response's sequence."})
    review = fields.Dict(metadata={"description": "After finishing, as review allows: state, "
                                                  "fraction, right_answer, feedback…"})


class AttemptSchema(Schema):
    id = fields.Integer(required=True)
    quiz = fields.Dict(required=True, metadata={"description": '{"id", "title"}'})
    number = fields.Integer(required=True)
    state = fields.String(required=True,
                          metadata={"description": "in_progress | overdue | finished | "
                                                   "abandoned"})
    started_at = fields.DateTime(required=True)
    deadline = fields.DateTime(allow_none=True, required=True)
    grace_until = fields.DateTime(allow_none=True, metadata={
        "description": "Responses are accepted until then (deadline plus grace)."})
    server_time = fields.DateTime(metadata={"description": "The server's clock, which rules."})
    seconds_left = fields.Integer(allow_none=True)
    finished_at = fields.DateTime(allow_none=True)
    review_level = fields.String(metadata={"description": "none | score | answers | feedback"})
    questions = fields.List(fields.Nested(QuestionSchema), required=True)
    score = fields.Float(allow_none=True)
    max_score = fields.Float(allow_none=True)
    percent = fields.Float(allow_none=True)
    passed = fields.Boolean(allow_none=True,
                            metadata={"description": "None while an essay awaits grading."})
    needs_grading = fields.Boolean()


class ResponseArgs(Schema):
    response = fields.Raw(required=True, allow_none=True, metadata={
        "description": "single: option id; multiple: [option ids]; truefalse: true/false; "
                       "shortanswer, numerical, essay: text; matching: {prompt id: answer}; "
                       "ordering: [step ids]; null clears the answer."})
    sequence = fields.Integer(required=True, strict=True, metadata={
        "description": "Higher than the saved response's sequence; resending the saved "
                       "one is accepted as a retry."})


class SavedSchema(Schema):
    question_id = fields.Integer(required=True)
    sequence = fields.Integer(required=True)
    saved_at = fields.DateTime(required=True)


class SubmitResultSchema(Schema):
    id = fields.Integer(required=True)
    state = fields.String(required=True)
    finished_at = fields.DateTime(allow_none=True)
    score = fields.Float(allow_none=True)
    max_score = fields.Float(allow_none=True)
    percent = fields.Float(allow_none=True)
    passed = fields.Boolean(allow_none=True)
    needs_grading = fields.Boolean()


class QuizSchema(Schema):
    id = fields.Integer(required=True)
    title = fields.String(required=True)
    intro = fields.String(allow_none=True)
    questions = fields.Integer(metadata={"description": "How many questions an attempt draws."})
    time_limit = fields.Integer(allow_none=True, metadata={"description": "Minutes."})
    open_at = fields.DateTime(allow_none=True)
    close_at = fields.DateTime(allow_none=True)
    max_attempts = fields.Integer(allow_none=True)
    pass_mark = fields.Float()
    grading = fields.String()
    attempts = fields.List(fields.Dict(), metadata={
        "description": 'Your attempts: [{"id", "number", "state", "percent", "passed"}]'})
    can_start = fields.Boolean()
    refusal = fields.String(allow_none=True)
    grade = fields.Float(allow_none=True, metadata={"description": "Your quiz grade, percent."})
    quiz_passed = fields.Boolean(allow_none=True)


@blp.route("/quizzes/<int:quiz_id>")
class QuizResource(MethodView):
    @role_required()
    @documented_errors(blp, 401, 404)
    @blp.response(200, QuizSchema)
    def get(self, quiz_id: int):
        """The quiz's settings, and your attempts and grade."""
        quiz = attempting.get_quiz(quiz_id)
        status = attempting.quiz_status(quiz, current_user._get_current_object())
        db.session.commit()
        s = status.settings
        return {"id": quiz.id, "title": quiz.title, "intro": s.intro,
                "questions": s.question_count, "time_limit": s.time_limit,
                "open_at": s.open_at, "close_at": s.close_at, "max_attempts": s.max_attempts,
                "pass_mark": s.pass_mark, "grading": s.grading,
                "attempts": [{"id": a.id, "number": a.number, "state": a.state,
                              "percent": a.percent, "passed": a.passed}
                             for a in status.attempts],
                "can_start": status.can_start, "refusal": status.refusal,
                "grade": status.grade.percent if status.grade else None,
                "quiz_passed": status.grade.passed if status.grade else None}


@blp.route("/quizzes/<int:quiz_id>/attempts")
class QuizAttempts(MethodView):
    @role_required()
    @documented_errors(blp, 401, 404, 409)
    @blp.response(201, AttemptSchema)
    @blp.alt_response(200, schema=AttemptSchema,
                      description="Your open attempt, resumed (nothing new was started).")
    def post(self, quiz_id: int):
        """Start an attempt (its own random draw), or resume your open one.

        409 when the quiz is not open, closed, out of attempts or in its delay.
        """
        user = current_user._get_current_object()
        quiz = attempting.get_quiz(quiz_id)
        attempt, created = attempting.start_attempt(quiz, user)
        payload = attempting.attempt_payload(attempt, user)  # before commit expires it all
        db.session.commit()
        return payload, 201 if created else 200


@blp.route("/attempts/<int:attempt_id>")
class AttemptResource(MethodView):
    @role_required()
    @documented_errors(blp, 401, 404)
    @blp.response(200, AttemptSchema)
    def get(self, attempt_id: int):
        """An attempt: its questions, the saved responses, the clock and, once finished,
        the result as the review options allow."""
        user = current_user._get_current_object()
        attempt = attempting.get_attempt(attempt_id, user)
        attempting.settle(attempt)
        payload = attempting.attempt_payload(attempt, user)
        db.session.commit()
        return payload


@blp.route("/attempts/<int:attempt_id>/responses/<int:question_id>")
class AttemptResponse(MethodView):
    @role_required()
    @documented_errors(blp, 401, 404, 409, 422)
    @blp.arguments(ResponseArgs)
    @blp.response(200, SavedSchema)
    def put(self, args, attempt_id: int, question_id: int):
        """Save a response (autosave). 409 ``stale_sequence`` when a newer one is saved
        (the body's ``current`` holds it); 409 ``attempt_closed`` once the attempt is
        finished or past its deadline plus grace."""
        user = current_user._get_current_object()
        attempt = attempting.get_attempt(attempt_id, user, own=True)
        slot = attempting.save_response(attempt, question_id, args["response"],
                                        args["sequence"])
        result = {"question_id": question_id, "sequence": slot.sequence,
                  "saved_at": slot.saved_at}
        db.session.commit()
        return result


@blp.route("/attempts/<int:attempt_id>/submit")
class AttemptSubmit(MethodView):
    @role_required()
    @documented_errors(blp, 401, 404)
    @blp.response(200, SubmitResultSchema)
    def post(self, attempt_id: int):
        """Finish the attempt and grade it. Submitting again returns the same result."""
        user = current_user._get_current_object()
        attempt = attempting.get_attempt(attempt_id, user, own=True)
        attempting.submit(attempt)
        payload = attempting.submit_payload(attempt, user)
        db.session.commit()
        return payload
