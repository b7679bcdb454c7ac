"""Sign-in, passwords, sessions and tokens."""

from __future__ import annotations

from tests.conftest import PASSWORD


def test_login_and_logout(client, orgs, make_user, auth):
    make_user("alice", roles=("admin",), unit=orgs["D"])
    response = auth.login("alice")
    assert response.status_code == 302
    page = client.get("/")
    assert page.status_code == 200
    assert "alice" in page.get_data(as_text=True)
    auth.logout()
    assert client.get("/").status_code == 302


def test_wrong_password_is_refused_and_audited(client, orgs, make_user, auth, db):
    from academy.audit.models import AuditEntry

    make_user("bob", unit=orgs["V1"])
    response = auth.login("bob", "wrong-password-123")
    assert response.status_code == 200
    assert client.get("/").status_code == 302
    actions = [e.action for e in db.session.scalars(db.select(AuditEntry))]
    assert "login_failed" in actions


def test_common_and_short_passwords_are_refused(app):
    from academy.auth.passwords import password_problems

    assert password_problems("password1")
    assert password_problems("short7")
    assert password_problems("x" * 129)
    assert password_problems(PASSWORD) == []


def test_password_change_ends_other_sessions_and_tokens(app, orgs, make_user):
    user = make_user("carol", unit=orgs["V1"])
    other = app.test_client()
    other.post("/login", data={"username": "carol", "password": PASSWORD})
    assert other.get("/").status_code == 200
    token = other.post("/api/v1/tokens", json={"username": "carol", "password": PASSWORD})
    headers = {"Authorization": "Bearer " + token.get_json()["token"]}
    assert app.test_client().get("/api/v1/me", headers=headers).status_code == 200

    mine = app.test_client()
    mine.post("/login", data={"username": "carol", "password": PASSWORD})
    response = mine.post("/account/password", data={
        "current_password": PASSWORD, "new_password": "Another-Horse-77",
        "confirm": "Another-Horse-77"})
    assert response.status_code == 302
    assert mine.get("/").status_code == 200  # this session survives
    assert other.get("/").status_code == 302  # the other one ended
    assert app.test_client().get("/api/v1/me", headers=headers).status_code == 401
    assert user.username == "carol"


def test_token_round_trip(client, orgs, make_user):
    make_user("dave", roles=("trainee", "instructor"), unit=orgs["S1"])
    response = client.post("/api/v1/tokens", json={"username": "dave", "password": PASSWORD})
    assert response.status_code == 201
    body = response.get_json()
    assert body["token"] and "T" in body["expires_at"] and "+" in body["expires_at"]
    headers = {"Authorization": "Bearer " + body["token"]}
    me = client.get("/api/v1/me", headers=headers).get_json()
    assert me["username"] == "dave" and me["roles"] == ["trainee", "instructor"]
    assert client.delete("/api/v1/tokens/current", headers=headers).status_code == 204
    assert client.get("/api/v1/me", headers=headers).status_code == 401


def test_bad_token_request_gets_problem_json(client):
    response = client.post("/api/v1/tokens", json={"username": 5})
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert set(error) == {"code", "message", "fields"}
    assert "password" in error["fields"] and "username" in error["fields"]
    assert client.post("/api/v1/tokens", data="{not json",
                       content_type="application/json").status_code == 400


def test_token_use_is_recorded_once_in_five_minutes(app, client, orgs, make_user, db):
    from datetime import timedelta

    from academy.auth.models import ApiToken
    from academy.timeutil import aware, utcnow

    make_user("erin", unit=orgs["V1"])
    body = client.post("/api/v1/tokens", json={"username": "erin", "password": PASSWORD})
    headers = {"Authorization": "Bearer " + body.get_json()["token"]}

    def last_used():
        db.session.expire_all()
        return aware(db.session.scalar(db.select(ApiToken.last_used_at)))

    issued = last_used()  # signing in is the first use
    assert issued is not None
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    assert last_used() == issued  # not rewritten within five minutes
    long_ago = issued - timedelta(minutes=6)
    db.session.execute(db.update(ApiToken).values(last_used_at=long_ago))
    db.session.commit()
    before = utcnow()
    # A read, and a request that fails, still record the use (committed on its own).
    assert client.post("/api/v1/quizzes/999999/attempts", headers=headers).status_code == 404
    assert last_used() >= before
    db.session.execute(db.update(ApiToken).values(last_used_at=long_ago))
    db.session.commit()
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    assert last_used() >= before
