"""Forms of the scenario editor: settings, a node with its choices, endings, the YAML file.

Each form carries ``base``, the content hash the editor started from, so that a save over
someone else's newer save is refused rather than undoing it. The forms only check what a
form can (numbers, the line formats of effects and branches); whether the scenario holds
together is the loader's to say when it is saved.
"""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    FieldList,
    Form,
    FormField,
    HiddenField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
    ValidationError,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from academy.scenarios import authoring
from academy.scenarios.authoring import ChoiceEdit, EditError, VariableEdit
from academy.scenarios.model import DIMENSIONS, OUTCOMES, SCORE_LIMIT, STEPS

MAX_TEXT = 2000
SCORE_FIELDS = {dimension: f"score_{dimension}" for dimension in DIMENSIONS}


def _points(label) -> IntegerField:
    return IntegerField(label, validators=[Optional(),
                                           NumberRange(-SCORE_LIMIT, SCORE_LIMIT)],
                        render_kw={"inputmode": "numeric", "min": -SCORE_LIMIT,
                                   "max": SCORE_LIMIT})


class ChoiceForm(Form):
    """One choice of a node (a row of the node form; the spare last row adds one)."""

    id = HiddenField()
    new_id = StringField(_l("Id (optional)"), validators=[Optional(), Length(max=64)],
                         render_kw={"autocapitalize": "none", "spellcheck": "false"})
    text = TextAreaField(_l("What the clerk says or does"),
                         validators=[Optional(), Length(max=MAX_TEXT)], render_kw={"rows": 2})
    step = SelectField(_l("Reception step"), choices=[], validate_choice=False)
    score_greeting = _points(_l("Smile and greeting"))
    score_welcome = _points(_l("Welcome"))
    score_explanation = _points(_l("Explaining the service"))
    score_closing = _points(_l("Closing words"))
    score_notification = _points(_l("Telling everything at once"))
    score_patience = _points(_l("Patience and composure"))
    score_handover = _points(_l("First-contact responsibility"))
    when = StringField(_l("Offered only when (condition)"),
                       validators=[Optional(), Length(max=500)],
                       render_kw={"autocapitalize": "none", "spellcheck": "false",
                                  "placeholder": "frustration < 5"})
    effects = TextAreaField(
        _l("Effects"), validators=[Optional(), Length(max=MAX_TEXT)],
        description=_l("One per line: add frustration -1 · set materials_listed true · "
                       "clamp minutes 0 60"),
        render_kw={"rows": 2, "autocapitalize": "none", "spellcheck": "false"})
    feedback = TextAreaField(_l("Feedback (shown in the report)"),
                             validators=[Optional(), Length(max=MAX_TEXT)],
                             render_kw={"rows": 2})
    taboo = BooleanField(_l("Taboo act (taboo phrases in the words are found anyway)"))
    next = SelectField(_l("Leads to"), choices=[], validate_choice=False)
    branches = TextAreaField(
        _l("Or branches, the first that holds wins"),
        validators=[Optional(), Length(max=MAX_TEXT)],
        description=_l("One per line: “angry when frustration >= 4”, and last a line with "
                       "just a node or ending. Checked after the effects."),
        render_kw={"rows": 2, "autocapitalize": "none", "spellcheck": "false"})
    remove = BooleanField(_l("Remove this choice"))

    def validate_effects(self, field) -> None:
        try:
            authoring.parse_effect_lines(field.data)
        except EditError as exc:
            raise ValidationError(exc.message) from exc

    def validate_branches(self, field) -> None:
        try:
            authoring.parse_branch_lines(field.data)
        except EditError as exc:
            raise ValidationError(exc.message) from exc

    def edit(self) -> ChoiceEdit:
        """The row as a ChoiceEdit (the spare row and removed ones come out blank)."""
        if self.remove.data:
            return ChoiceEdit(id="", text="")
        return ChoiceEdit(
            id=(self.id.data or self.new_id.data or "").strip(), text=self.text.data or "",
            step=self.step.data or "",
            scores={d: getattr(self, name).data for d, name in SCORE_FIELDS.items()},
            when=self.when.data or "", effects=self.effects.data or "",
            feedback=self.feedback.data or "", taboo=bool(self.taboo.data),
            next=self.next.data or "", branches=self.branches.data or "")


def choice_data(edit: ChoiceEdit) -> dict[str, Any]:
    """A stored choice as the data of a ChoiceForm row."""
    data = {"id": edit.id, "text": edit.text, "step": edit.step, "when": edit.when,
            "effects": edit.effects, "feedback": edit.feedback, "taboo": edit.taboo,
            "next": edit.next, "branches": edit.branches}
    for dimension, name in SCORE_FIELDS.items():
        data[name] = (edit.scores or {}).get(dimension)
    return data


class NodeForm(FlaskForm):
    """A node: what happens, what the citizen says, and its choices."""

    base = HiddenField()
    situation = TextAreaField(_l("Situation"), validators=[InputRequired(),
                                                           Length(max=MAX_TEXT)],
                              render_kw={"rows": 2})
    citizen = TextAreaField(_l("The citizen says or does (optional)"),
                            validators=[Optional(), Length(max=MAX_TEXT)],
                            render_kw={"rows": 2})
    choices = FieldList(FormField(ChoiceForm), min_entries=1, max_entries=60)

    def setup(self, targets: list[tuple[str, str]], steps: list[tuple[str, str]]) -> NodeForm:
        """Fill in the select options of every row; returns the form."""
        for row in self.choices:
            row.form.next.choices = [("", "—"), *targets]
            row.form.step.choices = [("", "—"), *steps]
        return self

    def edits(self) -> list[ChoiceEdit]:
        return [row.form.edit() for row in self.choices]


def node_data(node: dict[str, Any]) -> dict[str, Any]:
    """A stored node as NodeForm data, with a spare empty row for a new choice."""
    rows = [choice_data(authoring.choice_edit(choice)) for choice in node.get("choices") or []
            if isinstance(choice, dict)]
    return {"situation": node.get("situation") or "", "citizen": node.get("citizen") or "",
            "choices": [*rows, {}]}


class NewNodeForm(FlaskForm):
    """A new node with its first choice, reached through an existing choice."""

    base = HiddenField()
    id = StringField(_l("Id of the new node"), validators=[InputRequired(), Length(max=64)],
                     render_kw={"autocapitalize": "none", "spellcheck": "false",
                                "placeholder": "ask-materials"})
    situation = TextAreaField(_l("Situation"), validators=[InputRequired(),
                                                           Length(max=MAX_TEXT)],
                              render_kw={"rows": 2})
    citizen = TextAreaField(_l("The citizen says or does (optional)"),
                            validators=[Optional(), Length(max=MAX_TEXT)],
                            render_kw={"rows": 2})
    link_from = SelectField(_l("Reached by the choice"), choices=[], validate_choice=False,
                            description=_l("That choice will lead to the new node."))
    choice_text = TextAreaField(_l("Its first choice: what the clerk says or does"),
                                validators=[InputRequired(), Length(max=MAX_TEXT)],
                                render_kw={"rows": 2})
    choice_next = SelectField(_l("which leads to"), choices=[], validate_choice=False)


class EndingForm(FlaskForm):
    """An ending: its outcome, title and text."""

    base = HiddenField()
    outcome = SelectField(_l("Outcome"), choices=[], validate_choice=False)
    title = StringField(_l("Title"), validators=[InputRequired(), Length(max=200)])
    text = TextAreaField(_l("Text (optional)"), validators=[Optional(), Length(max=MAX_TEXT)],
                         render_kw={"rows": 2})


class NewEndingForm(EndingForm):
    """A new ending, reached through an existing choice."""

    id = StringField(_l("Id of the new ending"), validators=[InputRequired(), Length(max=64)],
                     render_kw={"autocapitalize": "none", "spellcheck": "false"})
    link_from = SelectField(_l("Reached by the choice"), choices=[], validate_choice=False,
                            description=_l("That choice will lead to the new ending."))


class DeleteForm(FlaskForm):
    """Delete a node or an ending; what led there may be pointed elsewhere."""

    base = HiddenField()
    redirect = SelectField(_l("Choices that led here now lead to"), choices=[],
                           validate_choice=False)


class VariableForm(Form):
    """One variable (a row of the settings form; the spare last row adds one)."""

    name = StringField(_l("Name"), validators=[Optional(), Length(max=64)],
                       render_kw={"autocapitalize": "none", "spellcheck": "false"})
    type = SelectField(_l("Type"), choices=[SelectChoice("int", _l("whole number")),
                                            SelectChoice("bool", _l("true / false"))])
    initial = StringField(_l("Initial value"), validators=[Optional(), Length(max=12)])
    min = IntegerField(_l("Minimum"), validators=[Optional()])
    max = IntegerField(_l("Maximum"), validators=[Optional()])
    label = StringField(_l("Label"), validators=[Optional(), Length(max=100)])
    remove = BooleanField(_l("Remove"))

    def edit(self) -> VariableEdit:
        if self.remove.data:
            return VariableEdit(name="", type="int", initial="")
        return VariableEdit(name=self.name.data or "", type=self.type.data or "int",
                            initial=self.initial.data or "", min=self.min.data,
                            max=self.max.data, label=self.label.data or "")


class SettingsForm(FlaskForm):
    """The scenario's title, summary, start node, step limit and variables."""

    base = HiddenField()
    title = StringField(_l("Title"), validators=[InputRequired(), Length(max=200)])
    summary = TextAreaField(_l("Summary (optional)"),
                            validators=[Optional(), Length(max=MAX_TEXT)],
                            render_kw={"rows": 3})
    start = SelectField(_l("Start node"), choices=[], validate_choice=False)
    max_steps = IntegerField(_l("Most choices in one run (1–200, blank: 40)"),
                             validators=[Optional(), NumberRange(1, 200)])
    variables = FieldList(FormField(VariableForm), min_entries=1, max_entries=40)


def settings_data(definition: dict[str, Any]) -> dict[str, Any]:
    """The stored scenario as SettingsForm data, with a spare row for a new variable."""
    rows = [{"name": v.name, "type": v.type, "initial": v.initial, "min": v.min,
             "max": v.max, "label": v.label} for v in authoring.variable_edits(definition)]
    return {"title": definition.get("title") or "", "summary": definition.get("summary") or "",
            "start": definition.get("start") or "", "max_steps": definition.get("max_steps"),
            "variables": [*rows, {}]}


class SourceForm(FlaskForm):
    """The whole scenario file, for changes the forms do not cover (renaming, reordering)."""

    base = HiddenField()
    source = TextAreaField(_l("The scenario file (YAML)"),
                           validators=[InputRequired(), Length(max=500_000)],
                           render_kw={"rows": 24, "autocapitalize": "none",
                                      "spellcheck": "false"})
    action = HiddenField()


def outcome_choices(labels: dict[str, Any]) -> list[tuple[str, Any]]:
    return [(outcome, labels.get(outcome, outcome)) for outcome in OUTCOMES]


def step_choices(labels: dict[str, Any]) -> list[tuple[str, Any]]:
    return [(step, labels.get(step, step)) for step in STEPS]
