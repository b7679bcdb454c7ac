"""Security behaviour: rate limits, CSRF, headers, error pages, no 500 on bad input."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_login_and_token_creation_are_rate_limited(tmp_path):
    db_url = f"sqlite:///{tmp_path / 'rl.db'}"
    out = subprocess.run(
        [sys.executable, str(ROOT / "tests/scripts/rate_limit_check.py"), db_url],
        capture_output=True, text=True, cwd=ROOT, timeout=120, check=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    results = json.loads(out.stdout.strip().splitlines()[-1])
    # Per username: the 6th try from yet another address is refused.
    assert results["same_user_many_ips"][:5] == [200] * 5
    assert results["same_user_many_ips"][5:] == [429, 429]
    # Per address (a looser limit: a hall shares one address): 8 pass, then refused.
    assert results["same_ip_many_users"] == [200] * 8 + [429, 429]
    assert results["tokens"][:5] == [401] * 5 and results["tokens"][5] == 429
    assert results["token_429_body"]["error"]["code"] == "rate_limited"


def test_csrf_is_required_for_session_posts(app, orgs, make_user):
    make_user("csrf.user", unit=orgs["V1"])
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        client = app.test_client()
        response = client.post("/login", data={"username": "csrf.user",
                                               "password": "Correct-Horse-42"})
        assert response.status_code == 400
        page = client.get("/login").get_data(as_text=True)
        token = page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
        response = client.post("/login", data={"username": "csrf.user",
                                               "password": "Correct-Horse-42",
                                               "csrf_token": token})
        assert response.status_code == 302
        # A cookie-authenticated API write without the token is refused...
        assert client.post("/api/v1/org-units", json={}).status_code == 400
        # ...while bearer-token calls need no CSRF token.
        issued = client.post("/api/v1/tokens", json={"username": "csrf.user",
                                                     "password": "Correct-Horse-42"})
        assert issued.status_code == 201
        bearer = {"Authorization": "Bearer " + issued.get_json()["token"]}
        assert app.test_client().delete("/api/v1/tokens/current",
                                        headers=bearer).status_code == 204
    finally:
        app.config["WTF_CSRF_ENABLED"] = False


def test_security_headers(client):
    response = client.get("/login")
    csp = response.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp
    script_src = [d for d in csp.split(";") if d.strip().startswith("script-src")][0]
    assert "'unsafe-inline'" not in script_src
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"]


def test_no_inline_scripts_in_pages(client, orgs, login_as):
    login_as(roles=("admin",), unit=orgs["D"])
    for url in ["/", "/admin/units", "/admin/users", "/admin/audit/", "/login"]:
        html = client.get(url).get_data(as_text=True)
        for chunk in html.split("<script")[1:]:
            assert chunk.lstrip().startswith("src=") or " src=" in chunk.split(">")[0], url


def test_error_pages_html_and_json(client, orgs, login_as):
    page = client.get("/no/such/page")
    assert page.status_code == 404 and "<html" in page.get_data(as_text=True)
    body = client.get("/api/v1/no/such").get_json()
    assert body["error"]["code"] == "not_found"
    assert client.get("/api/v1/me").get_json()["error"]["code"] == "unauthorized"
    login_as(roles=("trainee",), unit=orgs["V1"])
    forbidden = client.get("/admin/units")
    assert forbidden.status_code == 403 and "<html" in forbidden.get_data(as_text=True)


def test_state_changing_routes_refuse_get(client, orgs, login_as):
    login_as(roles=("admin",), unit=orgs["D"])
    for url in ["/logout", "/language", "/admin/users/1/active", "/admin/users/1/password"]:
        assert client.get(url).status_code == 405, url


def test_open_redirect_is_refused(client, orgs, make_user):
    make_user("redir", unit=orgs["V1"])
    response = client.post("/login?next=https://evil.example/", data={
        "username": "redir", "password": "Correct-Horse-42"})
    assert response.status_code == 302 and "evil" not in response.headers["Location"]
    response = client.post("/language", data={"locale": "en", "next": "//evil.example"})
    assert "evil" not in response.headers["Location"]
