"""Sign-in, sign-out, own password, and account administration."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy import or_, select

from academy.auth import services
from academy.auth.blueprint import bp
from academy.auth.forms import (
    ChangePasswordForm,
    EmptyForm,
    LoginForm,
    ResetPasswordForm,
    RolesForm,
    UserForm,
)
from academy.auth.models import User
from academy.errors import DomainError
from academy.extensions import db, limiter
from academy.forms import attach_errors
from academy.org.models import OrgUnit
from academy.org.services import get_unit_by_code, get_worker, unit_tree
from academy.permissions import ADMIN, can_manage_user, can_manage_worker, in_scope, role_required


def _login_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


def _login_ip_limit() -> str:
    return current_app.config["LOGIN_IP_RATE_LIMIT"]


def _username_key() -> str:
    return "login-user:" + (request.form.get("username") or "").strip().lower()[:64]


def _safe_next(target: str | None) -> str:
    if not target:
        return url_for("main.index")
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return url_for("main.index")
    return target


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_ip_limit, methods=["POST"])
@limiter.limit(_login_limit, methods=["POST"], key_func=_username_key)
def login():
    if current_user.is_authenticated:
        return redirect(url_for("main.index"))
    form = LoginForm()
    if form.validate_on_submit():
        user = services.authenticate(form.username.data, form.password.data)
        if user is None:
            db.session.commit()  # keep the audit entry of the failure
            form.password.errors.append(
                _("Wrong username or password, or the account is disabled."))
        else:
            login_user(user, remember=form.remember.data)
            if user.locale:
                session["locale"] = user.locale
            db.session.commit()
            return redirect(_safe_next(request.args.get("next")))
    return render_template("auth/login.html", form=form)


@bp.post("/logout")
def logout():
    logout_user()  # the CSRF check ran in before_request
    flash(_("You have signed out."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            services.change_password(current_user, form.current_password.data,
                                     form.new_password.data)
        except DomainError as exc:
            db.session.rollback()
            wrong_current = "current_password" in exc.fields
            target = form.current_password if wrong_current else form.new_password
            target.errors.extend(exc.fields.get("password") or [exc.message])
        else:
            db.session.commit()
            # This session survives, under the new epoch.
            login_user(current_user._get_current_object(), fresh=True)
            flash(_("Your password has been changed. Other sessions were signed out."), "success")
            return redirect(url_for("main.index"))
    return render_template("auth/change_password.html", form=form)


# ---------------------------------------------------------------- account admin


def _unit_choices() -> list[tuple[str, str]]:
    return [(u.code, "\u3000" * depth + f"{u.name} ({u.code})")
            for u, depth in unit_tree(current_user.org_unit)]


def _load_user(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        abort(404)
    if not can_manage_user(current_user, user):
        abort(403)
    return user


@bp.get("/admin/users")
@role_required(ADMIN)
def users():
    q = (request.args.get("q") or "").strip()
    stmt = (
        select(User).join(User.org_unit)
        .where(OrgUnit.path.startswith(current_user.org_unit.path, autoescape=True))
    )
    if q:
        like = f"%{q}%"
        stmt = stmt.where(or_(User.username.like(like), User.display_name.like(like)))
    role = request.args.get("role")
    if role:
        from academy.auth.models import UserRole

        stmt = stmt.where(User.id.in_(select(UserRole.user_id).where(UserRole.role == role)))
    page = db.paginate(stmt.order_by(User.username), per_page=50, error_out=False, max_per_page=200)
    return render_template("auth/users.html", page=page, q=q, role=role)


@bp.route("/admin/users/new", methods=["GET", "POST"])
@role_required(ADMIN)
def create_user():
    form = UserForm()
    form.org_unit.choices = _unit_choices()
    if form.validate_on_submit():
        unit = get_unit_by_code(form.org_unit.data)
        worker = get_worker(form.worker.data.strip()) if form.worker.data else None
        if unit is None or not in_scope(current_user, unit):
            abort(403)
        if form.worker.data and worker is None:
            form.worker.errors.append(_("No staff member with this employee number."))
        elif worker is not None and not can_manage_worker(current_user, worker):
            form.worker.errors.append(_("This staff member is outside your org units."))
        else:
            try:
                user = services.create_user(
                    username=form.username.data, display_name=form.display_name.data,
                    org_unit=unit, roles=set(form.roles.data or []),
                    password=form.password.data, worker=worker,
                )
            except DomainError as exc:
                db.session.rollback()
                attach_errors(form, exc)
            else:
                db.session.commit()
                flash(_("Account %(u)s created.", u=user.username), "success")
                return redirect(url_for("auth.user_detail", user_id=user.id))
    return render_template("auth/user_form.html", form=form)




@bp.get("/admin/users/<int:user_id>")
@role_required(ADMIN)
def user_detail(user_id: int):
    user = _load_user(user_id)
    roles_form = RolesForm(roles=sorted(user.roles))
    return render_template("auth/user_detail.html", user=user, roles_form=roles_form,
                           reset_form=ResetPasswordForm(), toggle_form=EmptyForm())


@bp.post("/admin/users/<int:user_id>/roles")
@role_required(ADMIN)
def user_roles(user_id: int):
    user = _load_user(user_id)
    form = RolesForm()
    if form.validate_on_submit():
        roles = set(form.roles.data or [])
        if user.id == current_user.id and ADMIN not in roles:
            flash(_("You cannot remove your own administrator role."), "danger")
        else:
            services.set_roles(user, roles)
            db.session.commit()
            flash(_("Roles saved."), "success")
    return redirect(url_for("auth.user_detail", user_id=user.id))


@bp.post("/admin/users/<int:user_id>/password")
@role_required(ADMIN)
def user_reset_password(user_id: int):
    user = _load_user(user_id)
    form = ResetPasswordForm()
    if form.validate_on_submit():
        try:
            services.reset_password(user, form.new_password.data)
        except DomainError as exc:
            db.session.rollback()
            flash(exc.message, "danger")
        else:
            db.session.commit()
            flash(_("Password reset. The user's sessions and API tokens were ended."), "success")
    else:
        for errors in form.errors.values():
            for error in errors:
                flash(error, "danger")
    return redirect(url_for("auth.user_detail", user_id=user.id))


@bp.post("/admin/users/<int:user_id>/active")
@role_required(ADMIN)
def user_toggle_active(user_id: int):
    user = _load_user(user_id)
    form = EmptyForm()
    if form.validate_on_submit():
        if user.id == current_user.id:
            flash(_("You cannot disable your own account."), "danger")
        else:
            services.set_active(user, not user.active)
            db.session.commit()
            flash(_("Account enabled.") if user.active else _("Account disabled."), "success")
    return redirect(url_for("auth.user_detail", user_id=user.id))
