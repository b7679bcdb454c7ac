"""Account administration: create, roles, reset, disable; scope."""

from __future__ import annotations

from academy.auth.models import User
from tests.conftest import PASSWORD


def _user(db, username):
    db.session.expire_all()
    return db.session.scalar(db.select(User).where(User.username == username))


def test_admin_creates_account_with_roles(client, orgs, login_as, db):
    login_as(roles=("admin",), unit=orgs["D"])
    response = client.post("/admin/users/new", data={
        "username": "wang.li", "display_name": "王丽", "org_unit": "V1",
        "roles": ["trainee", "instructor"], "password": "Window-Clerk-2026"})
    assert response.status_code == 302
    user = _user(db, "wang.li")
    assert user.roles == {"trainee", "instructor"} and user.org_unit.code == "V1"
    assert app_login(client.application, "wang.li", "Window-Clerk-2026")


def app_login(app, username, password):
    other = app.test_client()
    return other.post("/login", data={"username": username,
                                      "password": password}).status_code == 302


def test_weak_password_is_refused_on_create(client, orgs, login_as, db):
    login_as(roles=("admin",), unit=orgs["D"])
    response = client.post("/admin/users/new", data={
        "username": "weak", "display_name": "弱", "org_unit": "V1",
        "roles": ["trainee"], "password": "password1"})
    assert response.status_code == 200
    assert "common" in response.get_data(as_text=True) or "常见" in response.get_data(as_text=True)
    assert _user(db, "weak") is None


def test_duplicate_username_is_reported(client, orgs, login_as, make_user, db):
    make_user("taken", unit=orgs["V1"])
    login_as(roles=("admin",), unit=orgs["D"])
    response = client.post("/admin/users/new", data={
        "username": "taken", "display_name": "x", "org_unit": "V1",
        "roles": ["trainee"], "password": "Window-Clerk-2026"})
    assert response.status_code == 200
    assert "taken" in response.get_data(as_text=True)


def test_disable_ends_sessions_and_blocks_login(app, client, orgs, login_as, make_user, db):
    target = make_user("li.na", unit=orgs["V1"])
    victim = app.test_client()
    assert victim.post("/login", data={"username": "li.na",
                                       "password": PASSWORD}).status_code == 302
    token = app.test_client().post("/api/v1/tokens",
                                   json={"username": "li.na", "password": PASSWORD})
    headers = {"Authorization": "Bearer " + token.get_json()["token"]}
    login_as(roles=("admin",), unit=orgs["D"])
    assert client.post(f"/admin/users/{target.id}/active").status_code == 302
    assert _user(db, "li.na").active is False
    assert victim.get("/").status_code == 302
    assert app.test_client().get("/api/v1/me", headers=headers).status_code == 401
    assert not app_login(app, "li.na", PASSWORD)
    assert app.test_client().post("/api/v1/tokens", json={
        "username": "li.na", "password": PASSWORD}).status_code == 401


def test_reset_password(app, client, orgs, login_as, make_user, db):
    target = make_user("zhou", unit=orgs["V1"])
    login_as(roles=("admin",), unit=orgs["S1"])
    response = client.post(f"/admin/users/{target.id}/password",
                           data={"new_password": "Fresh-Start-8899"})
    assert response.status_code == 302
    assert app_login(app, "zhou", "Fresh-Start-8899")
    assert not app_login(app, "zhou", PASSWORD)


def test_admin_of_other_subtree_is_refused(client, orgs, login_as, make_user, db):
    target = make_user("far.away", unit=orgs["V2"])
    login_as(roles=("admin",), unit=orgs["S1"])
    assert client.get(f"/admin/users/{target.id}").status_code == 403
    assert client.post(f"/admin/users/{target.id}/active").status_code == 403
    assert client.post(f"/admin/users/{target.id}/password",
                       data={"new_password": "Fresh-Start-8899"}).status_code == 403
    assert client.post(f"/admin/users/{target.id}/roles",
                       data={"roles": ["admin"]}).status_code == 403
    assert _user(db, "far.away").roles == {"trainee"}
    listing = client.get("/admin/users").get_data(as_text=True)
    assert "far.away" not in listing


def test_admin_cannot_lock_themself_out(client, orgs, login_as, db):
    me = login_as(roles=("admin",), unit=orgs["D"])
    client.post(f"/admin/users/{me.id}/active")
    client.post(f"/admin/users/{me.id}/roles", data={"roles": ["trainee"]})
    user = _user(db, me.username)
    assert user.active and "admin" in user.roles


def test_roles_change_is_audited(client, orgs, login_as, make_user, db):
    from academy.audit.models import AuditEntry

    target = make_user("audited", unit=orgs["V1"])
    login_as(roles=("admin",), unit=orgs["D"])
    client.post(f"/admin/users/{target.id}/roles", data={"roles": ["trainee", "assessor"]})
    entry = db.session.scalar(db.select(AuditEntry).where(AuditEntry.action == "roles_changed"))
    assert entry.before == {"roles": ["trainee"]}
    assert entry.after == {"roles": ["assessor", "trainee"]}
    page = client.get("/admin/audit/?action=roles_changed").get_data(as_text=True)
    assert "audited" in page


def test_audit_page_names_actions_and_filters_by_them(client, orgs, login_as, make_user):
    make_user("filtered", unit=orgs["V1"])
    login_as(roles=("admin",), unit=orgs["D"])
    page = client.get("/admin/audit/?action=user_created").get_data(as_text=True)
    assert "Account created" in page and "filtered" in page
    assert "Org unit created" not in page.split("<tbody>")[1]


def test_every_audited_action_has_a_name():
    """The audit page shows people names, not slugs, for every action the code records."""
    import re
    from pathlib import Path

    from academy.audit.labels import ACTION_LABELS

    root = Path(__file__).resolve().parent.parent / "academy"
    recorded = set()
    for path in root.rglob("*.py"):
        recorded |= set(re.findall(r'record\(\s*"([a-z_.]+)"', path.read_text(encoding="utf-8")))
        recorded |= set(re.findall(r'"(user_enabled|user_disabled|assignment_rule_[a-z]+)"',
                                   path.read_text(encoding="utf-8")))
    assert recorded and not recorded - set(ACTION_LABELS)
