"""Fuzz every operation of the OpenAPI document: no input, however bad, may produce a 5xx.

Schemathesis generates valid (positive) and invalid (negative) requests from
``/api/v1/openapi.json``; each is sent through the WSGI app with an admin's bearer token,
in its own app context as in production. Generation is derandomized, so runs repeat.
"""

from __future__ import annotations

import csv
import io
import traceback
from datetime import date

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
)

from academy.org.api import XLSX_MIME
from tests.conftest import PASSWORD

MAX_EXAMPLES = 30
HEADER = ["工号", "姓名", "所属单位编码", "用工性质", "劳务公司", "入职日期", "岗位", "状态",
          "离职日期", "离职原因"]
CHECKS = [not_a_server_error, response_schema_conformance, content_type_conformance]

cell = st.one_of(
    st.sampled_from(["", "V1", "S2", "NOPE", "在编公务员", "事业编制", "劳务派遣合同", "在职",
                     "离职", "2024-03-01", "2024/3/1", "2099-01-01", "W1", "某劳务公司"]),
    st.text(max_size=12),
)


@st.composite
def roster_csv(draw) -> bytes:
    """Roster-shaped CSV: the real headers (sometimes damaged) over random cells."""
    header = list(HEADER)
    if draw(st.booleans()):
        header = draw(st.permutations(header))[: draw(st.integers(1, len(header)))]
    rows = draw(st.lists(st.lists(cell, min_size=0, max_size=12), max_size=6))
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "gbk"]))
    return out.getvalue().encode(encoding, errors="replace")


schemathesis.openapi.media_type("text/csv", st.one_of(roster_csv(), st.binary(max_size=512)))
schemathesis.openapi.media_type(XLSX_MIME, st.one_of(
    st.binary(max_size=512), st.just(b"PK\x03\x04" + b"\x00" * 64)))


@pytest.fixture
def seeded(orgs, make_worker, make_user, client):
    """Some staff, one with an account, and a district admin's bearer token."""
    w1 = make_worker(orgs["V1"], "W1")
    make_user("W1", roles=("trainee",), unit=orgs["V1"], worker=w1)
    make_worker(orgs["V2"], "W2", employment_type="civil_servant")
    make_user("fuzz-admin", roles=("admin",), unit=orgs["D"])


def fresh_token(app) -> dict[str, str]:
    with app.app_context():
        response = app.test_client().post("/api/v1/tokens",
                                          json={"username": "fuzz-admin", "password": PASSWORD})
    assert response.status_code == 201, response.get_json()
    return {"Authorization": "Bearer " + response.get_json()["token"]}


def fuzz(app, operation, mode: GenerationMode, path_parameters=None) -> None:
    """Send generated requests for one operation; raise on the first failed check."""
    headers = fresh_token(app)  # a fuzzed DELETE /tokens/current may revoke it

    @settings(max_examples=MAX_EXAMPLES, deadline=None, derandomize=True, database=None,
              phases=[Phase.explicit, Phase.generate, Phase.shrink], print_blob=False,
              suppress_health_check=list(HealthCheck))
    @given(case=operation.as_strategy(generation_mode=mode, path_parameters=path_parameters))
    def run(case):
        with app.app_context():  # one context per request, as in production
            response = case.call(headers=headers)
        case.validate_response(response, checks=CHECKS)

    run()


def test_no_input_produces_a_server_error(app, seeded):
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    schema.validate()
    operations = [result.ok() for result in schema.get_all_operations()]
    labels = {operation.label for operation in operations}
    assert {"GET /api/v1/org-units", "POST /api/v1/org-units", "GET /api/v1/workers",
            "POST /api/v1/workers", "GET /api/v1/workers/{employee_no}",
            "PATCH /api/v1/workers/{employee_no}", "POST /api/v1/workers/import"} <= labels

    runs = []
    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            runs.append((operation, mode, None))
            if "{employee_no}" in operation.path:  # also fuzz the body against a real record
                runs.append((operation, mode, {"employee_no": "W1"}))

    failures = []
    for operation, mode, path_parameters in runs:
        try:
            fuzz(app, operation, mode, path_parameters)
        except Exception as exc:  # collect every operation's failure, then report them all
            notes = "\n".join(getattr(exc, "__notes__", []))
            detail = "".join(traceback.format_exception_only(exc)).strip()
            failures.append(f"{operation.label} [{mode.value}, {path_parameters}]\n"
                            f"{detail[:3000]}\n{notes[:3000]}")
    assert not failures, "\n\n".join(failures)


# ---------------------------------------------------------------- worker writes, deeper

maybe = st.one_of(st.none(), st.text(max_size=70))
dates = st.one_of(st.dates().map(str), st.sampled_from(["2024-02-30", "2099-12-31", ""]),
                  st.none())
wild = {
    "employee_no": st.one_of(st.text(max_size=40), st.none()),
    "name": st.one_of(st.sampled_from([" 王五 ", ""]), maybe),
    "org_unit": st.sampled_from(["D", "V2", "NOPE", "", None]),
    "employment_type": st.sampled_from(["intern", None]),
    "employer": maybe,
    "hire_date": dates,
    "post": maybe,
    "status": st.sampled_from(["gone", None]),
    "leave_date": dates,
    "leave_reason": st.one_of(maybe, st.text(min_size=250, max_size=260)),
    "roles": st.one_of(st.none(), st.lists(st.sampled_from(["trainee", "root"]), max_size=3)),
}
past = st.dates(min_value=date(1990, 1, 1), max_value=date(2025, 12, 31)).map(str)
sensible = {
    "name": st.sampled_from(["李四", "王五"]),
    "org_unit": st.sampled_from(["V1", "S1", "D", "V2"]),
    "employment_type": st.sampled_from(["contract", "civil_servant", "public_institution"]),
    "employer": st.just("某劳务公司"),
    "hire_date": past,
    "post": st.sampled_from(["综合窗口", None]),
    "status": st.just("active"),
    "roles": st.lists(st.sampled_from(["trainee", "instructor", "assessor", "admin"]),
                      max_size=3),
}
REQUIRED = ("name", "org_unit", "employment_type", "employer", "hire_date")


@st.composite
def worker_body(draw, *, creating: bool) -> dict:
    """Mostly sensible values (so requests get past validation), plus a few wild ones."""
    keys = list(REQUIRED) if creating else []
    keys += draw(st.lists(st.sampled_from(sorted(sensible)), max_size=4, unique=True))
    body = {key: draw(sensible[key]) for key in keys}
    if draw(st.integers(0, 3)) == 0:
        body.update(status="left", leave_date=draw(past), leave_reason=draw(st.just("辞职")))
    if creating:
        body["employee_no"] = draw(st.from_regex(r"[NW][0-9]{1,6}", fullmatch=True))
    for key in draw(st.lists(st.sampled_from(sorted(wild)), max_size=2, unique=True)):
        if creating or key != "employee_no":
            body[key] = draw(wild[key])
    return body


def test_worker_writes_never_fail_on_the_server(app, seeded):
    """Plausible create/change requests with valid codes reach the services' deeper rules."""
    headers = fresh_token(app)
    client = app.test_client()
    targets = st.sampled_from([None, None, "W1", "W2"])  # None: the one just created

    @settings(max_examples=100, deadline=None, derandomize=True, database=None,
              print_blob=False, suppress_health_check=list(HealthCheck))
    @given(body=worker_body(creating=True), target=targets,
           change=worker_body(creating=False))
    def run(body, target, change):
        created = client.post("/api/v1/workers", json=body, headers=headers)
        assert created.status_code in {201, 403, 409, 422}, created.get_json()
        target = target or body["employee_no"]
        changed = client.patch(f"/api/v1/workers/{target}", json=change, headers=headers)
        assert changed.status_code in {200, 403, 404, 409, 422}, changed.get_json()
        for response in (created, changed):
            assert response.status_code < 300 or set(response.get_json()["error"]) == {
                "code", "message", "fields"}

    run()
