"""Forms of the authoring pages (course drafts, modules, lessons, images, publishing)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import AnyOf, InputRequired, Length, Optional, Regexp

SLUG_MESSAGE = _l("Use lower-case letters a–z, digits and '-'.")


def level_choices():
    return [(1, _l("1 · aware")), (2, _l("2 · competent")), (3, _l("3 · proficient")),
            (4, _l("4 · can mentor"))]


class CourseSettingsForm(FlaskForm):
    title = StringField(_l("Title"), validators=[InputRequired(), Length(max=200)])
    skill = SelectField(_l("Skill"), coerce=int, validators=[InputRequired()])
    target_level = SelectField(_l("Target level"), coerce=int, choices=level_choices,
                               validators=[InputRequired()])
    summary = TextAreaField(_l("Summary"), validators=[Optional(), Length(max=2000)],
                            render_kw={"rows": 3})


class CourseForm(CourseSettingsForm):
    slug = StringField(
        _l("Slug"),
        description=_l("The course's permanent address, e.g. social-security."),
        validators=[InputRequired(), Length(max=64), Regexp(r"^[a-z0-9-]+$",
                                                            message=SLUG_MESSAGE)],
        render_kw={"autocapitalize": "none", "spellcheck": "false"},
    )



class NewItemForm(FlaskForm):
    """A new module or lesson: a title and an optional slug."""

    title = StringField(_l("Title"), validators=[InputRequired(), Length(max=200)])
    slug = StringField(
        _l("Slug (optional)"),
        validators=[Optional(), Length(max=64), Regexp(r"^[a-z0-9-]+$", message=SLUG_MESSAGE)],
        render_kw={"autocapitalize": "none", "spellcheck": "false"},
    )


class ModuleForm(FlaskForm):
    title = StringField(_l("Title"), validators=[InputRequired(), Length(max=200)])
    summary = TextAreaField(_l("Summary"), validators=[Optional(), Length(max=2000)],
                            render_kw={"rows": 2})


class MoveForm(FlaskForm):
    direction = HiddenField(validators=[InputRequired(), AnyOf(["up", "down"])])


class MoveToModuleForm(FlaskForm):
    module = SelectField(_l("Move to module"), coerce=int, validators=[InputRequired()])


class LessonForm(FlaskForm):
    title = StringField(_l("Title"), validators=[InputRequired(), Length(max=200)])
    body_md = TextAreaField(_l("Lesson text (Markdown)"),
                            validators=[Length(max=200_000)],
                            render_kw={"rows": 18, "spellcheck": "false"})


class ImageForm(FlaskForm):
    image = FileField(_l("Image (PNG, JPEG, GIF or WebP, at most 5 MB)"),
                      validators=[FileRequired(_l("Choose an image file."))],
                      render_kw={"accept": "image/png,image/jpeg,image/gif,image/webp"})
    lesson = HiddenField()  # return to this lesson's editor after the upload


class PublishForm(FlaskForm):
    note = TextAreaField(_l("What changed in this version"),
                         validators=[InputRequired(), Length(max=2000)],
                         render_kw={"rows": 2})


class ConfirmForm(FlaskForm):
    """A button-only form (delete): just the CSRF token."""
