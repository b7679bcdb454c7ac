"""Scenarios in the app: loading from course packages, runs, the API and the player pages."""

from __future__ import annotations

import io
import re
import shutil
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import func, select

from academy import ROOT
from academy.catalog.models import Course, CourseVersion
from academy.catalog.package import parse_course_zip
from academy.errors import NotFound
from academy.scenarios import services
from academy.scenarios.models import ScenarioChoiceLog, ScenarioDef, ScenarioRun
from tests.conftest import PASSWORD
from tests.learning_factories import get_skill
from tests.scenario_factories import BEST_PATH, EXAMPLE_COURSE, EXAMPLE_FILE, WORST_PATH


def sync(runner, path: Path, *args: str):
    return runner.invoke(args=["academy", "courses", "sync", str(path), *args])


def count(db, model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


# The course ships three scenarios: the example and two more.
COURSE_SCENARIOS = len(list((EXAMPLE_COURSE / "scenarios").glob("*.yaml")))


@pytest.fixture
def etiquette(db):
    get_skill("ETIQUETTE")
    db.session.commit()


@pytest.fixture
def course_copy(tmp_path, etiquette) -> Path:
    """A copy of the service-etiquette course package to break."""
    return Path(shutil.copytree(EXAMPLE_COURSE, tmp_path / "service-etiquette"))


@pytest.fixture
def synced(db, runner, etiquette) -> ScenarioDef:
    result = sync(runner, EXAMPLE_COURSE)
    assert result.exit_code == 0, result.output
    return db.session.scalar(select(ScenarioDef).where(
        ScenarioDef.slug == "elderly-no-smartphone"))


@pytest.fixture
def trainee(make_user, make_worker, orgs):
    worker = make_worker(orgs["V1"], "T001", name="李学员")
    return make_user("t001", roles=("trainee",), unit=orgs["V1"], worker=worker)


@pytest.fixture
def token(client):
    def do(user) -> dict[str, str]:
        response = client.post("/api/v1/tokens",
                               json={"username": user.username, "password": PASSWORD})
        return {"Authorization": f"Bearer {response.get_json()['token']}"}

    return do


# ---------------------------------------------------------------- loading from packages


def test_sync_stores_the_scenario(db, runner, synced):
    assert synced.slug == "elderly-no-smartphone"
    assert synced.source_file == EXAMPLE_FILE
    assert synced.course_id == db.session.scalar(
        select(Course.id).where(Course.slug == "service-etiquette"))
    assert synced.definition["start"] == "arrive" and len(synced.content_hash) == 64
    assert services.scenario_of(synced).title == synced.title
    first_hash, first_published = synced.content_hash, synced.published_at
    assert sync(runner, EXAMPLE_COURSE).exit_code == 0
    db.session.expire_all()
    again = db.session.get(ScenarioDef, synced.id)
    assert count(db, ScenarioDef) == COURSE_SCENARIOS == 3
    assert (again.content_hash, again.published_at) == (first_hash, first_published)


def test_changed_scenario_updates_the_row(db, runner, synced, course_copy):
    path = course_copy / EXAMPLE_FILE
    path.write_text(path.read_text(encoding="utf-8").replace(
        "title: 没有智能手机的王大爷来补办社保卡", "title: 王大爷补办社保卡", 1), encoding="utf-8")
    result = sync(runner, course_copy)
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    row = db.session.get(ScenarioDef, synced.id)
    assert row.title == "王大爷补办社保卡" and row.definition["title"] == "王大爷补办社保卡"


def test_bad_scenario_blocks_the_sync(db, runner, course_copy):
    path = course_copy / EXAMPLE_FILE
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("next: seat\n", "next: nowhere\n", 1), encoding="utf-8")
    line = text.splitlines().index("        next: seat") + 1
    result = sync(runner, course_copy)
    assert result.exit_code == 1
    assert re.search(rf"^{re.escape(EXAMPLE_FILE)}:{line}: ", result.output, re.M), result.output
    assert "nothing was written" in result.output
    assert count(db, Course) == 0 and count(db, ScenarioDef) == 0


def test_missing_scenario_file_is_reported_at_its_entry(db, runner, course_copy):
    (course_copy / EXAMPLE_FILE).unlink()
    result = sync(runner, course_copy)
    assert result.exit_code == 1
    line = next(n for n, text in enumerate(
        (course_copy / "course.yaml").read_text(encoding="utf-8").splitlines(), start=1)
        if "type: scenario" in text)
    assert f"course.yaml:{line}: Missing scenario file {EXAMPLE_FILE}." in result.output
    assert count(db, ScenarioDef) == 0


@pytest.mark.parametrize("entry, message", [
    ("{type: scenario}", "A scenario activity needs file:"),
    ("{type: scenario, file: ../x.yaml}", "must be a .yaml file inside the package"),
    ("{type: scenario, file: scenarios/x.txt}", "must be a .yaml file inside the package"),
    ("{type: scenario, file: scenarios/x.yaml, quiz: 1}", "Unknown key quiz."),
])
def test_bad_scenario_entries(db, runner, course_copy, entry, message):
    course = course_copy / "course.yaml"
    text = course.read_text(encoding="utf-8")
    course.write_text(text.replace(f"{{type: scenario, file: {EXAMPLE_FILE}}}", entry),
                      encoding="utf-8")
    result = sync(runner, course_copy)
    assert result.exit_code == 1 and message in result.output, result.output


def test_two_files_with_one_scenario_id_are_refused(db, runner, course_copy):
    shutil.copy(course_copy / EXAMPLE_FILE, course_copy / "scenarios" / "copy.yaml")
    course = course_copy / "course.yaml"
    text = course.read_text(encoding="utf-8")
    course.write_text(text.replace("    activities: []\n", "    activities:\n"
                                   "      - {type: scenario, file: scenarios/copy.yaml}\n", 1),
                      encoding="utf-8")
    result = sync(runner, course_copy)
    assert result.exit_code == 1
    assert "Duplicate scenario id elderly-no-smartphone" in result.output


def test_whole_curriculum_dry_run_passes(db, runner):
    result = sync(runner, ROOT / "courses", "--dry-run")
    assert result.exit_code == 0, result.output
    assert count(db, ScenarioDef) == 0


def test_course_api_shows_the_scenario_id(client, synced, trainee, token):
    body = client.get("/api/v1/courses/service-etiquette", headers=token(trainee)).get_json()
    modules = {m["slug"]: m for m in body["modules"]}
    assert modules["reception-steps"]["scenario"] == synced.id
    assert modules["reception-steps"]["activities"][0] == {"type": "scenario",
                                                           "file": EXAMPLE_FILE}
    assert modules["appearance-conduct"]["scenario"] is None


def test_export_carries_the_scenario_and_reimports(db, client, synced, make_user, token,
                                                     orgs):
    instructor = make_user(roles=("instructor",), unit=orgs["S1"])
    headers = token(instructor)
    first = client.get("/api/v1/courses/service-etiquette/export", headers=headers)
    assert first.status_code == 200
    names = zipfile.ZipFile(io.BytesIO(first.data)).namelist()
    assert EXAMPLE_FILE in names
    spec, problems = parse_course_zip(first.data, known_skills={"ETIQUETTE"})
    assert problems == [] and spec.modules[1].attachments[0]["content_hash"]
    imported = client.post("/api/v1/courses/import", data=first.data,
                           content_type="application/zip", headers=headers)
    assert imported.status_code == 200, imported.get_json()
    assert imported.get_json()["status"] == "unchanged"
    assert count(db, CourseVersion) == 1 and count(db, ScenarioDef) == COURSE_SCENARIOS
    second = client.get("/api/v1/courses/service-etiquette/export", headers=headers)
    assert second.data == first.data


# ---------------------------------------------------------------- services


def test_a_run_is_logged_and_scored(db, synced, trainee):
    run = services.start_run(synced, trainee)
    assert run.worker_id == trainee.worker_id and run.state["node"] == "arrive"
    for choice in BEST_PATH:
        services.choose(run, choice)
    db.session.commit()
    assert run.finished_at is not None
    assert run.score["outcome"] == "success" and run.score["overall"] == 100
    logs = db.session.scalars(select(ScenarioChoiceLog).order_by(ScenarioChoiceLog.id)).all()
    assert [log.choice_id for log in logs] == BEST_PATH
    assert [log.position for log in logs] == list(range(1, len(BEST_PATH) + 1))
    assert (logs[0].node_id, logs[0].step, logs[0].points) == (
        "arrive", "greeting", {"greeting": 5, "patience": 2})


def test_choices_not_on_offer_and_finished_runs_are_refused(db, synced, trainee):
    run = services.start_run(synced, trainee)
    with pytest.raises(services.ChoiceUnavailable):
        services.choose(run, "seat-welcome")  # a choice of a later node
    with pytest.raises(services.ChoiceUnavailable):
        services.choose(run, "no-such-choice")
    for choice in WORST_PATH:
        services.choose(run, choice)
    assert run.score["outcome"] == "failure" and len(run.score["taboo"]) == 2
    with pytest.raises(services.RunFinished):
        services.choose(run, "arrive-greet")
    assert count(db, ScenarioChoiceLog) == len(WORST_PATH)


def test_resume_finds_the_latest_unfinished_run(db, synced, trainee, make_user, orgs):
    assert services.latest_unfinished_run(synced, trainee) is None
    run = services.resume_or_start(synced, trainee)
    services.choose(run, "arrive-greet")
    db.session.commit()
    assert services.resume_or_start(synced, trainee).id == run.id
    assert services.run_state(run).node == "seat"
    other = make_user(unit=orgs["V2"])
    assert services.resume_or_start(synced, other).id != run.id
    for choice in BEST_PATH[1:]:
        services.choose(run, choice)
    assert services.latest_unfinished_run(synced, trainee) is None


def test_runs_belong_to_their_user(db, synced, trainee, make_user, orgs):
    run = services.start_run(synced, trainee)
    assert services.get_run(run.id, trainee) is run
    with pytest.raises(NotFound):
        services.get_run(run.id, make_user(unit=orgs["V2"]))
    with pytest.raises(NotFound):
        services.get_run(10**12, trainee)


def test_a_run_of_a_changed_scenario_is_outdated(db, synced, trainee):
    run = services.start_run(synced, trainee)
    services.choose(run, "arrive-greet")
    run.state = {**run.state, "path": ["gone"]}
    with pytest.raises(services.RunOutdated):
        services.choose(run, "seat-welcome")
    assert services.latest_unfinished_run(synced, trainee) is None


# ---------------------------------------------------------------- API


def test_api_plays_to_the_end(client, db, synced, trainee, token):
    headers = token(trainee)
    started = client.post(f"/api/v1/scenarios/{synced.id}/runs", headers=headers)
    assert started.status_code == 201
    body = started.get_json()
    assert body["node"]["id"] == "arrive" and body["node"]["text"]
    assert {"id": "arrive-greet", "text": "（起身，面带微笑，看着老人）大爷您好！"} in \
        body["node"]["choices"]
    url = f"/api/v1/scenario-runs/{body['id']}/choices"
    for choice in BEST_PATH[:-1]:
        step = client.post(url, json={"choice": choice}, headers=headers)
        assert step.status_code == 200, step.get_json()
        assert "node" in step.get_json()
    end = client.post(url, json={"choice": BEST_PATH[-1]}, headers=headers).get_json()
    assert end["finished"] is True and end["score"] == 100 and end["outcome"] == "success"
    assert end["steps"]["performed"][:2] == ["greeting", "welcome"]
    assert end["steps"]["missing"] == [] and end["flags"] == []
    again = client.post(url, json={"choice": BEST_PATH[-1]}, headers=headers)
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "run_finished"


def test_api_reports_taboo_flags(client, synced, trainee, token):
    headers = token(trainee)
    run_id = client.post(f"/api/v1/scenarios/{synced.id}/runs", headers=headers).get_json()["id"]
    for choice in WORST_PATH:
        body = client.post(f"/api/v1/scenario-runs/{run_id}/choices", json={"choice": choice},
                           headers=headers).get_json()
    assert body["finished"] and body["outcome"] == "failure"
    assert [flag["choice"] for flag in body["flags"]] == WORST_PATH
    assert body["mistakes"][0]["better_choice"] == "arrive-greet"


@pytest.mark.parametrize("payload, status", [
    ({}, 422), ({"choice": ""}, 422), ({"choice": 5}, 422), ({"choice": None}, 422),
    ({"choice": "x" * 65}, 422), ({"choice": "a\x00b"}, 422), ({"choice": ["a"]}, 422),
    ({"choice": "seat-welcome"}, 409), ({"choice": "nope"}, 409),
])
def test_api_bad_choices(client, synced, trainee, token, payload, status):
    headers = token(trainee)
    run_id = client.post(f"/api/v1/scenarios/{synced.id}/runs", headers=headers).get_json()["id"]
    response = client.post(f"/api/v1/scenario-runs/{run_id}/choices", json=payload,
                           headers=headers)
    assert response.status_code == status, response.get_json()
    assert set(response.get_json()["error"]) == {"code", "message", "fields"}


def test_api_bad_bodies_and_ids(client, synced, trainee, token):
    headers = token(trainee)
    run_id = client.post(f"/api/v1/scenarios/{synced.id}/runs", headers=headers).get_json()["id"]
    url = f"/api/v1/scenario-runs/{run_id}/choices"
    assert client.post(url, data="not json", content_type="application/json",
                       headers=headers).status_code in (400, 422)
    assert client.post(url, data="choice=x", headers=headers).status_code in (400, 415, 422)
    for bad in ("/api/v1/scenarios/0/runs", f"/api/v1/scenarios/{10**15}/runs",
                "/api/v1/scenario-runs/0/choices", f"/api/v1/scenario-runs/{10**15}/choices"):
        response = client.post(bad, json={"choice": "arrive-greet"}, headers=headers)
        assert response.status_code == 404, bad
    assert client.post(f"/api/v1/scenarios/{synced.id}/runs").status_code == 401


def test_api_hides_other_users_runs(client, synced, trainee, make_user, token, orgs):
    run_id = client.post(f"/api/v1/scenarios/{synced.id}/runs",
                         headers=token(trainee)).get_json()["id"]
    response = client.post(f"/api/v1/scenario-runs/{run_id}/choices",
                           json={"choice": "arrive-greet"},
                           headers=token(make_user(unit=orgs["V2"])))
    assert response.status_code == 404


def test_api_is_documented(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    assert "post" in spec["paths"]["/api/v1/scenarios/{scenario_id}/runs"]
    assert "post" in spec["paths"]["/api/v1/scenario-runs/{run_id}/choices"]


# ---------------------------------------------------------------- pages


def choose_on_page(client, html: str, choice: str):
    action = re.search(r'<form method="post" action="([^"]+/choose)"', html)[1]
    return client.post(action, data={"choice": choice})


def test_player_page_plays_resumes_and_reports(client, db, synced, trainee):
    client.post("/login", data={"username": trainee.username, "password": PASSWORD})
    intro = client.get(f"/scenarios/{synced.id}/play")
    assert intro.status_code == 200 and 'data-testid="scenario-start"' in intro.text
    assert count(db, ScenarioRun) == 0  # looking writes nothing
    started = client.post(f"/scenarios/{synced.id}/play")
    assert started.status_code == 302
    page = client.get(f"/scenarios/{synced.id}/play").text
    assert "姑娘，门口那个机器让我扫码" in page and 'value="arrive-greet"' in page
    assert "<script>" not in page and "js/scenario.js" in page
    response = choose_on_page(client, page, "arrive-greet")
    assert response.status_code == 302 and "/play" in response.headers["Location"]
    # A reload (or a new visit) resumes the same run, showing the path so far.
    page = client.get(f"/scenarios/{synced.id}/play").text
    assert 'class="scenario-line scenario-clerk"' in page and "大爷您好" in page
    assert 'value="seat-welcome"' in page and 'value="arrive-greet"' not in page
    client.post(f"/scenarios/{synced.id}/play")
    assert count(db, ScenarioRun) == 1
    for choice in BEST_PATH[1:]:
        response = choose_on_page(client, client.get(f"/scenarios/{synced.id}/play").text,
                                  choice)
    assert "/report" in response.headers["Location"]
    report = client.get(response.headers["Location"])
    assert report.status_code == 200
    assert 'data-testid="scenario-bars"' in report.text and "<rect" in report.text
    assert 'data-testid="scenario-score">100<' in report.text
    assert "No mistakes" in report.text


def test_report_shows_mistakes_and_flags(client, db, synced, trainee):
    client.post("/login", data={"username": trainee.username, "password": PASSWORD})
    client.post(f"/scenarios/{synced.id}/play")
    for choice in WORST_PATH:
        response = choose_on_page(client, client.get(f"/scenarios/{synced.id}/play").text,
                                  choice)
    report = client.get(response.headers["Location"]).text
    assert 'data-testid="scenario-flags"' in report and "服务指南上有" in report
    assert report.count('data-testid="scenario-mistake"') == 2
    assert "（起身，面带微笑，看着老人）大爷您好！" in report  # the better choice


def test_page_refuses_unavailable_choice_and_other_users(client, db, synced, trainee,
                                                         make_user, orgs):
    run = services.start_run(synced, trainee)
    db.session.commit()
    client.post("/login", data={"username": trainee.username, "password": PASSWORD})
    response = client.post(f"/scenarios/runs/{run.id}/choose", data={"choice": "nope"})
    assert response.status_code == 302
    assert "not available" in client.get(response.headers["Location"]).text
    assert count(db, ScenarioChoiceLog) == 0
    client.post("/logout")
    other = make_user(unit=orgs["V2"])
    client.post("/login", data={"username": other.username, "password": PASSWORD})
    assert client.get(f"/scenarios/runs/{run.id}/report").status_code == 404
    assert client.post(f"/scenarios/runs/{run.id}/choose",
                       data={"choice": "arrive-greet"}).status_code == 404
    assert client.get("/scenarios/999999/play").status_code == 404


def test_lesson_page_links_the_practice(client, synced, trainee):
    client.post("/login", data={"username": trainee.username, "password": PASSWORD})
    lesson = client.get("/learning/service-etiquette/reception-steps/reception-steps").text
    assert f'href="/scenarios/{synced.id}/play"' in lesson
    assert "Practice: 没有智能手机的王大爷来补办社保卡" in lesson
    other = client.get("/learning/service-etiquette/appearance-conduct/appearance").text
    assert 'data-testid="scenario-practice"' not in other
