"""Human names of audit actions (the stored action stays a stable English slug)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

ACTION_LABELS = {
    "login": _l("Signed in"),
    "login_failed": _l("Failed sign-in"),
    "password_changed": _l("Changed own password"),
    "password_reset": _l("Password reset by an administrator"),
    "user_created": _l("Account created"),
    "user_enabled": _l("Account enabled"),
    "user_disabled": _l("Account disabled"),
    "roles_changed": _l("Roles changed"),
    "account_moved": _l("Account moved with its staff record"),
    "token_created": _l("API token issued"),
    "token_revoked": _l("API token revoked"),
    "org_unit_created": _l("Org unit created"),
    "org_unit_renamed": _l("Org unit renamed"),
    "org_unit_moved": _l("Org unit moved"),
    "worker_created": _l("Staff record created"),
    "worker_updated": _l("Staff record changed"),
    "worker_left": _l("Staff member left"),
    "worker_account_created": _l("Account opened for a staff member"),
    "roster_imported": _l("Roster imported"),
    "demo_built": _l("Demo district built"),
    "course.create": _l("Course created"),
    "course.import": _l("Course package imported"),
    "course.publish": _l("Course version published"),
    "skill.update": _l("Skill changed"),
    "profile.update": _l("Window profile changed"),
    "assignment_rule_created": _l("Assignment rule added"),
    "assignment_rule_updated": _l("Assignment rule changed"),
    "assignment_rule_activated": _l("Assignment rule activated"),
    "assignment_rule_deactivated": _l("Assignment rule deactivated"),
    "path_assigned": _l("Learning path assigned"),
    "path_completed": _l("Learning path completed"),
    "question_bank.create": _l("Question bank created"),
    "question_bank.import": _l("Questions imported"),
    "scenario.edit": _l("Scenario edited in the browser"),
    "observation.created": _l("Observation recorded"),
    "engagement.created": _l("Assessor engaged"),
    "engagement.ended": _l("Assessor engagement ended"),
    "quiz.essay_graded": _l("Quiz essay graded"),
}


def action_label(action: str) -> str:
    """The translated name of an action, or the slug itself for one not listed."""
    label = ACTION_LABELS.get(action)
    return str(label) if label is not None else action
