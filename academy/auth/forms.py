"""Forms for signing in, passwords and accounts."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField, SelectField, SelectMultipleField, StringField
from wtforms.validators import EqualTo, InputRequired, Length, Optional, Regexp
from wtforms.widgets import CheckboxInput, ListWidget

from academy.auth.passwords import MAX_LENGTH, MIN_LENGTH


class LoginForm(FlaskForm):
    username = StringField(_l("Username"), validators=[InputRequired(), Length(max=64)])
    password = PasswordField(_l("Password"), validators=[InputRequired(), Length(max=MAX_LENGTH)])
    remember = BooleanField(_l("Keep me signed in on this device"))


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField(_l("Current password"), validators=[InputRequired()])
    new_password = PasswordField(
        _l("New password"), validators=[InputRequired(), Length(min=MIN_LENGTH, max=MAX_LENGTH)]
    )
    confirm = PasswordField(
        _l("Repeat the new password"),
        validators=[InputRequired(), EqualTo("new_password", message=_l("The passwords differ."))],
    )


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def role_choices():
    return [
        ("trainee", _l("Trainee")),
        ("instructor", _l("Instructor")),
        ("assessor", _l("Assessor")),
        ("admin", _l("Administrator")),
    ]


class UserForm(FlaskForm):
    username = StringField(
        _l("Username"),
        validators=[
            InputRequired(),
            Length(max=64),
            Regexp(r"^[A-Za-z0-9_.@-]+$", message=_l("Use letters, digits and _ . @ - only.")),
        ],
    )
    display_name = StringField(_l("Display name"), validators=[InputRequired(), Length(max=64)])
    org_unit = SelectField(_l("Org unit"), validators=[InputRequired()])
    worker = StringField(_l("Employee number (optional)"), validators=[Optional(), Length(max=32)])
    roles = MultiCheckboxField(_l("Roles"), choices=role_choices)
    password = PasswordField(
        _l("Initial password"), validators=[InputRequired(), Length(min=MIN_LENGTH, max=MAX_LENGTH)]
    )


class RolesForm(FlaskForm):
    roles = MultiCheckboxField(_l("Roles"), choices=role_choices)


class ResetPasswordForm(FlaskForm):
    new_password = PasswordField(
        _l("New password"), validators=[InputRequired(), Length(min=MIN_LENGTH, max=MAX_LENGTH)]
    )


class EmptyForm(FlaskForm):
    """A form with only the CSRF token, for buttons that change state."""
