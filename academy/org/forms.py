"""Forms for org units and staff records."""

from __future__ import annotations

from flask import request
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm as _BaseForm
from wtforms import SelectField, StringField
from wtforms.validators import InputRequired, Length, Regexp


class FlaskForm(_BaseForm):
    """A form that knows whether it was the one submitted (several share a page)."""

    def submit_ok(self, action: str) -> bool:
        return request.method == "POST" and request.form.get("action") == action and \
            self.validate_on_submit()


def level_choices():
    return [
        ("subdistrict", _l("subdistrict/town centre")),
        ("village", _l("village/community station")),
        ("district", _l("district")),
    ]


class UnitForm(FlaskForm):
    code = StringField(_l("Code"), validators=[
        InputRequired(), Length(max=32),
        Regexp(r"^[A-Za-z0-9_.-]+$", message=_l("Use letters, digits, '-', '_' or '.'.")),
    ])
    name = StringField(_l("Name"), validators=[InputRequired(), Length(max=120)])
    level = SelectField(_l("Level"), choices=level_choices, validators=[InputRequired()])
    parent = SelectField(_l("Parent unit"), validators=[InputRequired()])


class RenameUnitForm(FlaskForm):
    name = StringField(_l("Name"), validators=[InputRequired(), Length(max=120)])


class MoveUnitForm(FlaskForm):
    parent = SelectField(_l("New parent unit"), validators=[InputRequired()])
