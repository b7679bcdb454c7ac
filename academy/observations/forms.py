"""Forms: scoring an observation (one field pair per criterion), and engagements."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import (
    DateField,
    DateTimeLocalField,
    HiddenField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Length, Optional

from academy.observations.services import NOTE_MAX, NOTES_MAX
from academy.org.forms import FlaskForm

NOT_OBSERVED = "na"
DATETIME_FORMAT = "%Y-%m-%dT%H:%M"


def kind_choices():
    return [("counter_session", _l("Counter session")), ("role_play", _l("Role-play"))]


def kind_labels() -> dict[str, Any]:
    return dict(kind_choices())


def score_choices():
    return [(str(score), str(score)) for score in range(1, 6)] + \
        [(NOT_OBSERVED, _l("Not observed"))]


def score_field(code: str) -> str:
    return f"score_{code}"


def note_field(code: str) -> str:
    return f"note_{code}"


class ObservationForm(FlaskForm):
    """The fields every rubric shares; :func:`observation_form` adds the criteria."""

    rubric = HiddenField()
    kind = RadioField(_l("What was observed"), choices=kind_choices,
                      validators=[InputRequired(message=_l("Choose what was observed."))])
    observed_at = DateTimeLocalField(_l("When"), format=DATETIME_FORMAT,
                                     validators=[InputRequired(message=_l(
                                         "Give the date and time of the observation."))])
    notes = TextAreaField(_l("Overall notes"), validators=[Optional(), Length(max=NOTES_MAX)])

    criteria: list[dict[str, Any]] = []

    def scores(self) -> dict[str, int | None]:
        """The submitted score of each criterion (None: not observed)."""
        out: dict[str, int | None] = {}
        for criterion in self.criteria:
            value = getattr(self, score_field(criterion["code"])).data
            if value == NOT_OBSERVED:
                out[criterion["code"]] = None
            elif value and value.isdigit():
                out[criterion["code"]] = int(value)
        return out

    def criterion_notes(self) -> dict[str, str]:
        return {c["code"]: getattr(self, note_field(c["code"])).data or ""
                for c in self.criteria}

    def criterion_fields(self) -> Iterable[tuple[dict[str, Any], Any, Any]]:
        """(criterion, score field, note field) for each criterion, in order."""
        for criterion in self.criteria:
            yield (criterion, getattr(self, score_field(criterion["code"])),
                   getattr(self, note_field(criterion["code"])))


def observation_form(criteria: list[Mapping[str, Any]], **kwargs: Any) -> ObservationForm:
    """A scoring form for a rubric's criteria."""
    attrs: dict[str, Any] = {"criteria": [dict(c) for c in criteria]}
    for criterion in criteria:
        attrs[score_field(criterion["code"])] = RadioField(
            criterion["name"], choices=score_choices,
            validators=[InputRequired(message=_l(
                "Score this criterion from 1 to 5, or mark it not observed."))])
        attrs[note_field(criterion["code"])] = TextAreaField(
            _l("Note"), validators=[Optional(), Length(max=NOTE_MAX)])
    form_class = type("RubricObservationForm", (ObservationForm,), attrs)
    return form_class(**kwargs)


class EngagementForm(FlaskForm):
    assessor = SelectField(_l("Assessor"), coerce=int,
                           validators=[InputRequired(message=_l("Choose an assessor."))])
    org_unit = SelectField(_l("Org unit (with its sub-units)"),
                           validators=[InputRequired(message=_l("Choose an org unit."))])
    valid_from = DateField(_l("From"), validators=[InputRequired()])
    valid_to = DateField(_l("Until (inclusive)"), validators=[InputRequired()])
    note = StringField(_l("Note"), validators=[Optional(), Length(max=255)],
                       description=_l("E.g. the contract or the evaluation it is for."))
