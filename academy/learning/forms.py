"""Forms for assignment rules and manual assignment."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import DateField, IntegerField, RadioField, SelectField, StringField
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from academy.org.forms import FlaskForm


def employment_type_choices():
    return [("", _l("Any employment type")), ("contract", _l("Contract (labour dispatch)")),
            ("public_institution", _l("Public institution staff")),
            ("civil_servant", _l("Civil servant"))]


def org_level_choices():
    return [("", _l("Any level")), ("district", _l("district")),
            ("subdistrict", _l("subdistrict/town centre")),
            ("village", _l("village/community station"))]


def due_from_choices():
    return [("assignment", _l("From the day it is assigned")),
            ("hire", _l("From the hire date"))]


def target_choices():
    return [("person", _l("One person")), ("unit", _l("A whole org unit"))]


class RuleForm(FlaskForm):
    name = StringField(_l("Rule name"), validators=[InputRequired(), Length(max=200)])
    employment_type = SelectField(_l("Employment type"), choices=employment_type_choices,
                                  validate_choice=False)
    hired_within_days = IntegerField(_l("Hired within (days)"),
                                     validators=[Optional(), NumberRange(min=0, max=36500)])
    org_level = SelectField(_l("Org level"), choices=org_level_choices, validate_choice=False)
    org_unit = SelectField(_l("Org unit (with its sub-units)"), validate_choice=False)
    post = StringField(_l("Post"), validators=[Optional(), Length(max=64)])
    due_from = SelectField(_l("Due period counts"), choices=due_from_choices,
                           validators=[InputRequired()])


class AssignForm(FlaskForm):
    target = RadioField(_l("Assign to"), choices=target_choices, default="person",
                        validators=[InputRequired()])
    employee_no = StringField(_l("Employee number"), validators=[Optional(), Length(max=32)])
    org_unit = SelectField(_l("Org unit (all active staff, with its sub-units)"),
                           validate_choice=False)
    due_date = DateField(_l("Due date (optional)"), validators=[Optional()])
