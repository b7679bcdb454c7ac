"""The home page and the language switch."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import current_app, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required

from academy.auth.services import set_locale
from academy.extensions import db
from academy.main.blueprint import bp


@bp.get("/")
@login_required
def index():
    # A trainee's home is their learning; staff with other roles keep the overview.
    if current_user.worker_id and current_user.roles <= {"trainee"}:
        from academy.learning.routes import home

        return home()
    return render_template("main/index.html")


@bp.post("/language")
def set_language():
    """Switch the interface language; remembered on the account when signed in."""
    locale = request.form.get("locale", "")
    if locale in current_app.config["LANGUAGES"]:
        session["locale"] = locale
        if current_user.is_authenticated:
            set_locale(current_user, locale)
            db.session.commit()
    target = request.form.get("next") or ""
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/"):
        target = url_for("main.index")
    return redirect(target)


@bp.get("/healthz")
def healthz():
    db.session.execute(db.text("SELECT 1"))
    return {"status": "ok"}


@bp.app_context_processor
def navigation():
    """The navigation menu for the signed-in user's roles."""
    from flask_babel import get_locale
    from flask_babel import gettext as _

    from academy.permissions import ADMIN, ASSESSOR, INSTRUCTOR

    def nav_items():
        """Top-level links, with the staff tools grouped into menus so the bar fits."""
        endpoint = request.endpoint or ""

        def link(ep: str, label: str, prefix: str | None = None) -> dict:
            return {"url": url_for(ep), "label": label, "children": [],
                    "active": endpoint == ep or bool(prefix and endpoint.startswith(prefix))}

        def menu(label: str, children: list[dict]) -> dict:
            return {"url": None, "label": label, "children": children,
                    "active": any(child["active"] for child in children)}

        if not current_user.is_authenticated:
            return []
        items = [link("main.index", _("Home"))]
        if current_user.worker_id:
            items.append(link("learning.home", _("My learning"), "learning.lesson"))
            items.append(link("observations.mine", _("My observations")))
        items.append(link("catalog.courses", _("Courses"), "catalog.course"))
        # Observations: part of Teaching for instructors and admins, a menu for assessors.
        observing = [link("observations.start", _("Record an observation"),
                          "observations.record"),
                     link("observations.observations", _("Observations"),
                          "observations.detail")]
        if current_user.has_role(ASSESSOR) and not current_user.has_role(INSTRUCTOR, ADMIN):
            items.append(menu(_("Observations"), observing))
        if current_user.has_role(INSTRUCTOR, ADMIN):
            items.append(menu(_("Teaching"), [
                link("authoring.courses", _("Authoring"), "authoring."),
                link("learning.reports_page", _("Learning reports"), "learning.report"),
                link("quizzes.quizzes", _("Quizzes"), "quizzes.quiz"),
                link("quizzes.banks", _("Question banks"), "quizzes.bank"),
                link("scenarios.index", _("Scenarios"), "scenarios."),
                *observing,
            ]))
        if current_user.has_role(ADMIN):
            items.append(menu(_("Administration"), [
                link("org.units", _("Org units"), "org.unit"),
                link("org.workers", _("Staff"), "org.worker"),
                link("auth.users", _("Accounts"), "auth.user"),
                link("learning.admin_paths", _("Learning paths"), "learning.admin_"),
                link("catalog.framework", _("Skills & profiles"), "catalog.framework"),
                link("observations.engagements", _("Assessor engagements"),
                     "observations.engagement"),
                link("audit.entries", _("Audit log"), "audit."),
            ]))
        return items

    def role_label(role: str) -> str:
        return {
            "trainee": _("Trainee"),
            "instructor": _("Instructor"),
            "assessor": _("Assessor"),
            "admin": _("Administrator"),
        }.get(role, role)

    def current_locale() -> str:
        # Babel expands zh_CN to zh_Hans_CN; templates only need our two language codes.
        locale = get_locale()
        return "en" if locale is not None and locale.language == "en" else "zh_CN"

    return {"nav_items": nav_items, "role_label": role_label, "current_locale": current_locale}


@bp.get("/favicon.ico")
def favicon():
    return redirect(url_for("static", filename="img/favicon.svg"), code=301)
