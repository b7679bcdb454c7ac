"""Forms: creating a question bank, uploading and confirming a question file."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired, FileSize
from wtforms import HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import AnyOf, InputRequired, Length, Optional, Regexp

from academy.quizzes.services import IMPORT_FORMATS

MAX_UPLOAD_BYTES = 10 * 1024 * 1024


class BankForm(FlaskForm):
    code = StringField(_l("Code"), validators=[
        InputRequired(), Length(max=32),
        Regexp(r"^[A-Za-z0-9_-]+$", message=_l("Use letters, digits, '_' or '-'."))],
        description=_l("Capital letters, digits, '_' and '-', e.g. SOCIAL-BASIC."))
    title = StringField(_l("Title"), validators=[InputRequired(), Length(max=120)])
    skill = SelectField(_l("Skill"), coerce=int, validators=[InputRequired()])
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=5000)])


def format_choices():
    return [("", _l("Detect from the file name")), ("gift", "GIFT"),
            ("moodle-xml", "Moodle XML"), ("xlsx", _l("Excel template (.xlsx)"))]


class QuestionImportForm(FlaskForm):
    file = FileField(_l("Question file"), validators=[
        FileRequired(_l("Choose a file.")),
        FileAllowed(["gift", "txt", "xml", "xlsx"],
                    _l("Upload a .gift, .txt, .xml or .xlsx file.")),
        FileSize(max_size=MAX_UPLOAD_BYTES, message=_l("The file is larger than 10 MB.")),
    ])
    format = SelectField(_l("Format"), choices=format_choices, validators=[Optional()])


class ConfirmQuestionImportForm(FlaskForm):
    token = HiddenField(validators=[InputRequired(), Length(max=64)])
    format = HiddenField(validators=[InputRequired(), AnyOf(IMPORT_FORMATS)])
