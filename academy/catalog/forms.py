"""Forms: importing a course package, editing skills and window profiles."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, Optional

from academy.catalog.models import Skill, WindowProfile
from academy.catalog.package import LEVELS


class ImportForm(FlaskForm):
    file = FileField(_l("Course package (.zip)"), validators=[FileRequired()])


class SkillForm(FlaskForm):
    name = StringField(_l("Name"), validators=[InputRequired(), Length(max=120)])
    standard_ref = StringField(_l("Service standard clause"),
                               validators=[Optional(), Length(max=255)])
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=5000)])
    level_1 = TextAreaField(_l("Level 1"), validators=[InputRequired(), Length(max=2000)])
    level_2 = TextAreaField(_l("Level 2"), validators=[InputRequired(), Length(max=2000)])
    level_3 = TextAreaField(_l("Level 3"), validators=[InputRequired(), Length(max=2000)])
    level_4 = TextAreaField(_l("Level 4"), validators=[InputRequired(), Length(max=2000)])

    def levels(self) -> dict[str, str]:
        return {str(level): getattr(self, f"level_{level}").data or "" for level in LEVELS}


def skill_form(skill: Skill) -> SkillForm:
    levels = skill.level_descriptors or {}
    form = SkillForm(obj=skill)
    if not form.is_submitted():
        for level in LEVELS:
            getattr(form, f"level_{level}").data = levels.get(str(level), "")
    return form


class ProfileForm(FlaskForm):
    name = StringField(_l("Name"), validators=[InputRequired(), Length(max=120)])
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=5000)])

    skill_fields: list[tuple[Skill, str]] = []

    def requirements(self) -> dict[str, int | None]:
        return {skill.code: int(self[name].data) if self[name].data else None
                for skill, name in self.skill_fields}


def profile_form(profile: WindowProfile, skills: list[Skill]) -> ProfileForm:
    """The profile form with one level choice per skill of the framework."""
    choices = [SelectChoice("", _l("Not required")),
               *(SelectChoice(str(level), str(level)) for level in LEVELS)]
    current = {req.skill_id: str(req.level) for req in profile.requirements}

    class Form(ProfileForm):
        pass

    fields = []
    for skill in skills:
        name = f"require_{skill.code}"
        setattr(Form, name, SelectField(skill.name, choices=choices,
                                        default=current.get(skill.id, "")))
        fields.append((skill, name))
    Form.skill_fields = fields
    return Form(obj=profile)
