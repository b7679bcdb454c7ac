"""Run in a fresh interpreter by test_security.py: Flask-Limiter is process-global."""

import json
import sys

from academy import create_app
from academy.auth import services
from academy.extensions import db
from academy.org.services import create_unit
from config import TestConfig

app = create_app(TestConfig, SQLALCHEMY_DATABASE_URI=sys.argv[1], RATELIMIT_ENABLED=True,
                 RATELIMIT_STORAGE_URI="memory://", LOGIN_RATE_LIMIT="5 per minute",
                 LOGIN_IP_RATE_LIMIT="8 per minute")
with app.app_context():
    db.create_all()
    unit = create_unit(code="D", name="区", level="district", parent=None)
    services.create_user(username="victim", display_name="v", org_unit=unit, roles={"trainee"},
                         password="Correct-Horse-42")
    db.session.commit()

results = {}
client = app.test_client()
codes = [client.post("/login", data={"username": "victim", "password": "wrong-pass-1"},
                     environ_base={"REMOTE_ADDR": f"10.0.0.{i}"}).status_code for i in range(7)]
results["same_user_many_ips"] = codes
codes = [client.post("/login", data={"username": f"u{i}", "password": "wrong-pass-1"},
                     environ_base={"REMOTE_ADDR": "10.9.9.9"}).status_code for i in range(10)]
results["same_ip_many_users"] = codes
codes = [client.post("/api/v1/tokens", json={"username": "victim", "password": "x"},
                     environ_base={"REMOTE_ADDR": f"10.1.0.{i}"}).status_code for i in range(7)]
results["tokens"] = codes
results["token_429_body"] = client.post(
    "/api/v1/tokens", json={"username": "victim", "password": "x"}).get_json()
print(json.dumps(results))
