"""Forms for staff records, their accounts and the roster import."""

from __future__ import annotations

from datetime import date

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileAllowed, FileField, FileRequired, FileSize
from wtforms import DateField, HiddenField, PasswordField, SelectField, StringField
from wtforms.validators import InputRequired, Length, Optional, Regexp, ValidationError

from academy.auth.passwords import MAX_LENGTH, MIN_LENGTH
from academy.org.forms import FlaskForm

MAX_UPLOAD_BYTES = 10 * 1024 * 1024


def employment_type_choices():
    return [
        ("civil_servant", _l("Civil servant")),
        ("public_institution", _l("Public institution staff")),
        ("contract", _l("Contract (labour dispatch)")),
    ]


class WorkerForm(FlaskForm):
    """The editable fields of a staff record."""

    name = StringField(_l("Full name"), validators=[InputRequired(), Length(max=64)])
    org_unit = SelectField(_l("Org unit"), validators=[InputRequired()])
    employment_type = SelectField(_l("Employment type"), choices=employment_type_choices,
                                  validators=[InputRequired()])
    employer = StringField(_l("Labour company"), validators=[Optional(), Length(max=120)],
                           description=_l("Required for contract staff."))
    hire_date = DateField(_l("Hire date"), validators=[InputRequired()])
    post = StringField(_l("Post"), validators=[Optional(), Length(max=64)])


class NewWorkerForm(WorkerForm):
    employee_no = StringField(_l("Employee number"), validators=[
        InputRequired(), Length(max=32),
        Regexp(r"^[^\s/\\?#%]+$",
               message=_l("No spaces, slashes, '?', '#' or '%' in an employee number.")),
    ])


class LeaveForm(FlaskForm):
    leave_date = DateField(_l("Leave date"), validators=[InputRequired()])
    leave_reason = StringField(_l("Reason"), validators=[InputRequired(), Length(max=255)])

    def validate_leave_date(self, field) -> None:
        if field.data and field.data > date.today():
            raise ValidationError(_l("The leave date cannot be in the future."))


class AccountForm(FlaskForm):
    password = PasswordField(
        _l("Initial password"),
        validators=[InputRequired(), Length(min=MIN_LENGTH, max=MAX_LENGTH)],
    )


class ImportForm(FlaskForm):
    file = FileField(_l("Roster file (.xlsx or .csv)"), validators=[
        FileRequired(_l("Choose a file.")),
        FileAllowed(["csv", "xlsx"], _l("Upload a .csv or .xlsx file.")),
        FileSize(max_size=MAX_UPLOAD_BYTES, message=_l("The file is larger than 10 MB.")),
    ])


class ConfirmImportForm(FlaskForm):
    token = HiddenField(validators=[InputRequired(), Length(max=64)])
