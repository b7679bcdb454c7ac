"""Editing scenarios in the browser: the graph, per-node forms re-validated on every save,
the whole-file editor, the sync rule, exports, play-tests and runs of edited scenarios."""

from __future__ import annotations

import dataclasses
import io
import re
import shutil
import zipfile
from html import escape as html_escape
from pathlib import Path

import pytest
import yaml
from sqlalchemy import func, select

from academy.audit.models import AuditEntry
from academy.catalog.models import Course
from academy.catalog.package import dump_yaml, parse_course_zip
from academy.scenarios import authoring, services
from academy.scenarios.models import ScenarioChoiceLog, ScenarioDef, ScenarioRun
from tests.conftest import PASSWORD
from tests.learning_factories import get_skill
from tests.scenario_factories import BEST_PATH, EXAMPLE_COURSE, EXAMPLE_FILE
from tests.scenario_forms import choice_key, node_form, settings_form


def sync(runner, path: Path):
    return runner.invoke(args=["academy", "courses", "sync", str(path)])


def count(db, model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


@pytest.fixture
def synced(db, runner) -> ScenarioDef:
    get_skill("ETIQUETTE")
    db.session.commit()
    result = sync(runner, EXAMPLE_COURSE)
    assert result.exit_code == 0, result.output
    return db.session.scalar(select(ScenarioDef).where(
        ScenarioDef.slug == "elderly-no-smartphone"))


@pytest.fixture
def author(client, make_user, orgs):
    user = make_user("author", roles=("instructor",), unit=orgs["S1"])
    client.post("/login", data={"username": "author", "password": PASSWORD})
    return user


def fresh(db, row: ScenarioDef) -> ScenarioDef:
    db.session.expire_all()
    return db.session.get(ScenarioDef, row.id)


def post_node(client, row: ScenarioDef, node_id: str, data: dict[str, str]):
    return client.post(f"/scenarios/{row.id}/nodes/{node_id}", data=data)


def edits(db) -> int:
    """How many scenario edits the audit log holds."""
    return db.session.scalar(select(func.count()).select_from(AuditEntry).where(
        AuditEntry.action == "scenario.edit"))


def assert_unchanged(db, row: ScenarioDef, definition: dict, content_hash: str) -> None:
    again = fresh(db, row)
    assert again.definition == definition and again.content_hash == content_hash
    assert edits(db) == 0


# ---------------------------------------------------------------- the page


def test_edit_page_shows_the_graph_and_a_form_per_node(client, synced, author):
    page = client.get(f"/scenarios/{synced.id}/edit")
    assert page.status_code == 200
    html = page.text
    assert 'data-testid="scenario-graph"' in html and "<svg" in html
    assert re.search(r'class="scenario-graph scenario-graph-(md|lg|xl)"', html)
    scenario = services.scenario_of(synced)
    for node_id in scenario.nodes:
        assert f'href="#node-{node_id}"' in html and f'id="node-{node_id}"' in html
        assert f'action="/scenarios/{synced.id}/nodes/{node_id}"' in html
    for ending_id in scenario.endings:
        assert f'href="#ending-{ending_id}"' in html and f'id="ending-{ending_id}"' in html
    assert html.count('data-testid="choice-new"') == len(scenario.nodes)  # a spare row each
    assert "aria-label=\"Scenario graph: " in html  # the graph's words go through Babel
    assert "<script>" not in html and " style=" not in html
    assert "js/scenario-authoring.js" in html


def test_every_graph_word_is_translated():
    from academy.scenarios.graph import DEFAULT_LABELS
    from academy.scenarios.routes import GRAPH_LABELS

    assert set(GRAPH_LABELS) == set(DEFAULT_LABELS)


def test_trainees_cannot_edit(client, synced, make_user, orgs):
    make_user("learner", roles=("trainee",), unit=orgs["V1"])
    client.post("/login", data={"username": "learner", "password": PASSWORD})
    assert client.get(f"/scenarios/{synced.id}/edit").status_code == 403
    data = node_form(synced.definition, "seat")
    assert post_node(client, synced, "seat", data).status_code == 403


# ---------------------------------------------------------------- saving a node


def test_a_node_edit_is_checked_saved_and_audited(client, db, synced, author):
    before_hash, before_published = synced.content_hash, synced.published_at
    data = node_form(synced.definition, "seat", base=synced.content_hash)
    data["n-seat-situation"] = "老人在窗口前站着，看起来有些紧张。"
    data[choice_key(synced.definition, "seat", "seat-rush", "score_welcome")] = "-4"
    response = post_node(client, synced, "seat", data)
    assert response.status_code == 302, response.text[:2000]
    assert response.headers["Location"].endswith(f"/scenarios/{synced.id}/edit#node-seat")
    row = fresh(db, synced)
    seat = next(n for n in row.definition["nodes"] if n["id"] == "seat")
    assert seat["situation"] == "老人在窗口前站着，看起来有些紧张。"
    assert seat["choices"][1]["scores"] == {"welcome": -4, "patience": -2}
    assert row.content_hash != before_hash and row.content_hash == services.definition_hash(
        row.definition)
    assert row.published_at != before_published
    # The rest of the scenario is untouched.
    assert [n["id"] for n in row.definition["nodes"]] == [
        n["id"] for n in synced.definition["nodes"]]
    assert next(n for n in row.definition["nodes"] if n["id"] == "farewell") == next(
        n for n in yaml.safe_load((EXAMPLE_COURSE / EXAMPLE_FILE).read_text("utf-8"))["nodes"]
        if n["id"] == "farewell")
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "scenario.edit"))
    assert entry.target_id == str(row.id) and entry.after["change"] == "node seat"
    assert db.session.scalar(select(Course.source).where(Course.id == row.course_id)) == "browser"
    assert "老人在窗口前站着，看起来有些紧张。" in client.get(f"/scenarios/{row.id}/edit").text


def test_saving_the_form_unchanged_changes_nothing(client, db, synced, author):
    data = node_form(synced.definition, "farewell", base=synced.content_hash)
    response = post_node(client, synced, "farewell", data)
    assert response.status_code == 302
    assert fresh(db, synced).content_hash == synced.content_hash
    assert edits(db) == 0


def test_choices_are_added_and_removed(client, db, synced, author):
    data = node_form(synced.definition, "issue", base=synced.content_hash, spare={
        "text": "大爷，医保缴费可以在6号窗口交现金，我写在这张纸上给您。",
        "score_handover": "3", "next": "farewell",
        "effects": "add minutes 5\nadd frustration -1", "feedback": "写清楚去哪儿办。"})
    data[choice_key(synced.definition, "issue", "issue-not-sure", "remove")] = "y"
    response = post_node(client, synced, "issue", data)
    assert response.status_code == 302, response.text[:3000]
    issue = next(n for n in fresh(db, synced).definition["nodes"] if n["id"] == "issue")
    assert [c["id"] for c in issue["choices"]] == ["issue-handover", "issue-brush-off",
                                                   "issue-1"]
    assert issue["choices"][2] == {
        "id": "issue-1", "text": "大爷，医保缴费可以在6号窗口交现金，我写在这张纸上给您。",
        "scores": {"handover": 3}, "effects": {"add": {"minutes": 5, "frustration": -1}},
        "feedback": "写清楚去哪儿办。", "next": "farewell"}


def test_branches_are_edited_as_lines(client, db, synced, author):
    data = node_form(synced.definition, "form", base=synced.content_hash)
    assert data[choice_key(synced.definition, "form", "form-self", "branches")] == (
        "angry when frustration >= 4\nclosing-time when minutes >= 30\nissue")
    data[choice_key(synced.definition, "form", "form-self", "branches")] = (
        "angry when frustration >= 3\nclosing-time when minutes >= 30\nissue")
    assert post_node(client, synced, "form", data).status_code == 302
    form_node = next(n for n in fresh(db, synced).definition["nodes"] if n["id"] == "form")
    assert form_node["choices"][1]["branches"] == [
        {"when": "frustration >= 3", "next": "angry"},
        {"when": "minutes >= 30", "next": "closing-time"}, {"next": "issue"}]


@pytest.mark.parametrize("field, value, where, message", [
    # a dangling next
    ("next", "nowhere", "choice <code>seat-welcome</code>",
     "The choice leads nowhere: nowhere is no node or ending."),
    # an undefined variable
    ("when", "anger > 2", "choice <code>seat-welcome</code>",
     "undefined variable &#39;anger&#39;"),
])
def test_a_broken_choice_is_refused_with_the_problem_named(client, db, synced, author, field,
                                                           value, where, message):
    definition, content_hash = synced.definition, synced.content_hash
    data = node_form(definition, "seat", base=content_hash)
    data[choice_key(definition, "seat", "seat-welcome", field)] = value
    response = post_node(client, synced, "seat", data)
    assert response.status_code == 422
    html = response.text
    assert 'data-testid="edit-problems"' in html and "Nothing was saved" in html
    assert where in html and message in html
    assert '<a href="#node-seat">' in html  # the problem links to its node's form
    assert html_escape(value) in html  # the form comes back as it was sent
    assert_unchanged(db, synced, definition, content_hash)


def test_an_edit_that_leaves_a_node_unreachable_is_refused(client, db, synced, author):
    definition, content_hash = synced.definition, synced.content_hash
    data = node_form(definition, "angry", base=content_hash)
    data[choice_key(definition, "angry", "angry-supervisor", "next")] = "issue"
    response = post_node(client, synced, "angry", data)
    assert response.status_code == 422
    assert "The node supervisor is unreachable from the start." in response.text
    assert "The ending left-to-supervisor is unreachable from the start." in response.text
    assert '<a href="#node-supervisor">' in response.text
    assert_unchanged(db, synced, definition, content_hash)


def test_bad_lines_and_numbers_are_field_errors(client, db, synced, author):
    definition, content_hash = synced.definition, synced.content_hash
    data = node_form(definition, "seat", base=content_hash)
    data[choice_key(definition, "seat", "seat-welcome", "effects")] = "raise frustration"
    data[choice_key(definition, "seat", "seat-rush", "score_patience")] = "11"
    response = post_node(client, synced, "seat", data)
    assert response.status_code == 422
    assert "Line 1: write" in response.text and "is-invalid" in response.text
    assert_unchanged(db, synced, definition, content_hash)


def test_a_stale_form_does_not_undo_a_newer_save(client, db, synced, author):
    old_hash = synced.content_hash
    first = node_form(synced.definition, "seat", base=old_hash)
    first["n-seat-situation"] = "第一次修改"
    assert post_node(client, synced, "seat", first).status_code == 302
    saved = fresh(db, synced)
    second = node_form(synced.definition, "seat", base=old_hash)
    second["n-seat-situation"] = "第二次修改"
    response = post_node(client, synced, "seat", second)
    assert response.status_code == 409 and "Someone else saved" in response.text
    assert fresh(db, synced).definition == saved.definition


def test_unknown_node_is_404(client, synced, author):
    assert client.post(f"/scenarios/{synced.id}/nodes/nope", data={}).status_code == 404
    assert client.get("/scenarios/999999/edit").status_code == 404


# ---------------------------------------------------------------- nodes and endings


def test_a_node_is_added_between_a_choice_and_its_target(client, db, synced, author):
    response = client.post(f"/scenarios/{synced.id}/nodes", data={
        "new-node-base": synced.content_hash, "new-node-id": "ask-wait",
        "new-node-situation": "你请老人稍等，去后台查询。", "new-node-link_from": "arrive-busy",
        "new-node-choice_text": "大爷，让您久等了。", "new-node-choice_next": "need"})
    assert response.status_code == 302, response.text[:3000]
    assert response.headers["Location"].endswith("#node-ask-wait")
    row = fresh(db, synced)
    node = next(n for n in row.definition["nodes"] if n["id"] == "ask-wait")
    assert node["choices"] == [{"id": "ask-wait-1", "text": "大爷，让您久等了。", "next": "need"}]
    arrive = next(n for n in row.definition["nodes"] if n["id"] == "arrive")
    assert arrive["choices"][1]["next"] == "ask-wait"
    assert "ask-wait" in services.scenario_of(row).nodes


def test_a_new_node_nothing_leads_to_is_refused(client, db, synced, author):
    definition, content_hash = synced.definition, synced.content_hash
    response = client.post(f"/scenarios/{synced.id}/nodes", data={
        "new-node-id": "lonely", "new-node-situation": "没有人来到这里。",
        "new-node-choice_text": "好的。", "new-node-choice_next": "farewell"})
    assert response.status_code == 422
    assert "The node lonely is unreachable from the start." in response.text
    assert_unchanged(db, synced, definition, content_hash)
    taken = client.post(f"/scenarios/{synced.id}/nodes", data={
        "new-node-id": "seat", "new-node-situation": "重复", "new-node-choice_text": "好",
        "new-node-choice_next": "need", "new-node-link_from": "arrive-busy"})
    assert taken.status_code == 422 and "already has the id seat" in taken.text


def test_deleting_a_node_redirects_what_led_there(client, db, synced, author):
    response = client.post(f"/scenarios/{synced.id}/nodes/sent-back/delete",
                           data={"base": synced.content_hash, "redirect": "report-loss"})
    assert response.status_code == 302, response.text[:3000]
    row = fresh(db, synced)
    assert "sent-back" not in authoring.node_ids(row.definition)
    need = next(n for n in row.definition["nodes"] if n["id"] == "need")
    assert need["choices"][2]["branches"][1] == {"next": "report-loss"}


def test_deleting_a_node_that_others_need_is_refused(client, db, synced, author):
    definition, content_hash = synced.definition, synced.content_hash
    response = client.post(f"/scenarios/{synced.id}/nodes/supervisor/delete",
                           data={"base": content_hash, "redirect": ""})
    assert response.status_code == 422
    assert "The choice leads nowhere: supervisor is no node or ending." in response.text
    start = client.post(f"/scenarios/{synced.id}/nodes/arrive/delete", data={"redirect": ""})
    assert start.status_code == 422 and "choose another start node" in start.text
    assert_unchanged(db, synced, definition, content_hash)


def test_endings_are_edited_added_and_deleted(client, db, synced, author):
    response = client.post(f"/scenarios/{synced.id}/endings/complaint", data={
        "e-complaint-outcome": "failure", "e-complaint-title": "王大爷拨打了投诉电话",
        "e-complaint-text": ""})
    assert response.status_code == 302
    complaint = next(e for e in fresh(db, synced).definition["endings"]
                     if e["id"] == "complaint")
    assert complaint == {"id": "complaint", "outcome": "failure", "title": "王大爷拨打了投诉电话"}
    response = client.post(f"/scenarios/{synced.id}/endings", data={
        "new-ending-id": "sent-to-window-6", "new-ending-outcome": "partial",
        "new-ending-title": "王大爷去了6号窗口", "new-ending-link_from": "issue-not-sure"})
    assert response.status_code == 302, response.text[:2000]
    row = fresh(db, synced)
    assert "sent-to-window-6" in services.scenario_of(row).endings
    response = client.post(f"/scenarios/{synced.id}/endings/sent-to-window-6/delete",
                           data={"redirect": "farewell"})
    assert response.status_code == 302
    row = fresh(db, synced)
    assert "sent-to-window-6" not in authoring.ending_ids(row.definition)
    issue = next(n for n in row.definition["nodes"] if n["id"] == "issue")
    assert issue["choices"][2]["next"] == "farewell"
    bad = client.post(f"/scenarios/{synced.id}/endings/complaint", data={
        "e-complaint-outcome": "disaster", "e-complaint-title": "x"})
    assert bad.status_code == 422 and "Unknown outcome disaster" in bad.text


# ---------------------------------------------------------------- settings and the file


def test_settings_change_the_title_and_add_a_variable(client, db, synced, author):
    data = settings_form(synced.definition, base=synced.content_hash)
    data["settings-title"] = "王大爷补办社保卡"
    data.update({"settings-variables-4-name": "patience_left", "settings-variables-4-type":
                 "int", "settings-variables-4-initial": "3", "settings-variables-4-min": "0",
                 "settings-variables-4-max": "5"})
    response = client.post(f"/scenarios/{synced.id}/settings", data=data)
    assert response.status_code == 302, response.text[:3000]
    row = fresh(db, synced)
    assert row.title == "王大爷补办社保卡" == row.definition["title"]
    assert row.definition["variables"]["patience_left"] == {"type": "int", "initial": 3,
                                                            "min": 0, "max": 5}
    assert list(row.definition)[:4] == ["id", "title", "summary", "start"]


def test_removing_a_variable_still_used_is_refused(client, db, synced, author):
    definition, content_hash = synced.definition, synced.content_hash
    data = settings_form(definition, base=content_hash)
    data["settings-variables-0-remove"] = "y"  # frustration
    response = client.post(f"/scenarios/{synced.id}/settings", data=data)
    assert response.status_code == 422
    assert "undefined variable &#39;frustration&#39;" in response.text
    assert "The effect add changes the undefined variable frustration." in response.text
    assert_unchanged(db, synced, definition, content_hash)


def test_the_file_editor_checks_then_saves(client, db, synced, author):
    text = dump_yaml(synced.definition).decode("utf-8").replace(
        "text: 说吧，办什么？", "text: 请问办什么业务？")
    check = client.post(f"/scenarios/{synced.id}/source", data={
        "source-base": synced.content_hash, "source-source": text, "source-action": "check"})
    assert check.status_code == 200 and "No problems found" in check.text
    assert 'data-testid="source-preview"' in check.text
    assert fresh(db, synced).content_hash == synced.content_hash  # a check writes nothing
    save = client.post(f"/scenarios/{synced.id}/source", data={
        "source-base": synced.content_hash, "source-source": text, "source-action": "save"})
    assert save.status_code == 302
    seat = next(n for n in fresh(db, synced).definition["nodes"] if n["id"] == "seat")
    assert seat["choices"][1]["text"] == "请问办什么业务？"


def test_the_file_editor_lists_problems_by_line(client, db, synced, author):
    definition, content_hash = synced.definition, synced.content_hash
    text = dump_yaml(definition).decode("utf-8")
    broken = text.replace("next: seat\n", "next: nowhere\n", 1)
    line = next(n for n, content in enumerate(broken.splitlines(), start=1)
                if content.strip() == "next: nowhere")
    response = client.post(f"/scenarios/{synced.id}/source", data={
        "source-source": broken, "source-action": "save"})
    assert response.status_code == 422
    assert f"line {line}: The choice leads nowhere: nowhere is no node or ending." in \
        response.text
    renamed = client.post(f"/scenarios/{synced.id}/source", data={
        "source-source": text.replace("id: elderly-no-smartphone", "id: renamed", 1),
        "source-action": "save"})
    assert renamed.status_code == 422 and "The scenario id cannot change here" in renamed.text
    assert_unchanged(db, synced, definition, content_hash)


# ---------------------------------------------------------------- files: export and sync


def test_the_export_carries_the_edit(client, db, synced, author):
    data = node_form(synced.definition, "seat", base=synced.content_hash)
    data["n-seat-situation"] = "改过的情景"
    assert post_node(client, synced, "seat", data).status_code == 302
    exported = client.get("/api/v1/courses/service-etiquette/export")
    assert exported.status_code == 200
    text = zipfile.ZipFile(io.BytesIO(exported.data)).read(EXAMPLE_FILE).decode("utf-8")
    assert "situation: 改过的情景" in text
    spec, problems = parse_course_zip(exported.data, known_skills={"ETIQUETTE"})
    assert problems == []
    [attachment] = [a for m in spec.modules for a in m.attachments
                    if a.get("file") == EXAMPLE_FILE]
    row = fresh(db, synced)
    assert attachment["definition"] == row.definition
    assert attachment["content_hash"] == row.content_hash


def test_a_sync_keeps_the_browser_edit_and_says_so(client, db, runner, synced, author,
                                                   tmp_path):
    data = node_form(synced.definition, "seat", base=synced.content_hash)
    data["n-seat-situation"] = "浏览器里改的"
    assert post_node(client, synced, "seat", data).status_code == 302
    edited = fresh(db, synced).definition
    result = sync(runner, EXAMPLE_COURSE)  # the unchanged files
    assert result.exit_code == 0, result.output
    assert "kept as changed in the app" in result.output
    assert "service-etiquette: kept" in result.output
    assert fresh(db, synced).definition == edited
    changed = Path(shutil.copytree(EXAMPLE_COURSE, tmp_path / "service-etiquette"))
    path = changed / EXAMPLE_FILE
    path.write_text(path.read_text("utf-8").replace("老人在窗口前站着，有些拘谨。", "文件里改的"),
                    encoding="utf-8")
    assert sync(runner, changed).exit_code == 0
    assert fresh(db, synced).definition == edited


# ---------------------------------------------------------------- play-test


def test_the_play_test_shows_the_variables_and_writes_nothing(client, db, synced, author):
    first = client.get(f"/scenarios/{synced.id}/test")
    assert first.status_code == 200
    assert 'data-testid="playtest-variables"' in first.text
    assert 'data-variable="frustration"' in first.text and "王大爷的着急程度" in first.text
    assert 'data-testid="playtest-node"><a href="/scenarios/' in first.text
    step = client.get(f"/scenarios/{synced.id}/test?path=arrive-greet")
    row = re.search(r'data-variable="frustration">(.*?)</tr>', step.text, re.S)[1]
    assert re.search(r'data-testid="variable-value">1<', row)  # 2, then −1
    assert "table-warning" in step.text  # the value that just changed is marked
    assert "→ <code>need</code>" in step.text  # where each choice would lead
    assert "Welcome +5" in step.text  # the points of each choice
    end = client.get(f"/scenarios/{synced.id}/test?path={','.join(BEST_PATH)}")
    assert 'data-testid="playtest-end"' in end.text
    assert 'data-testid="scenario-score">100<' in end.text
    assert count(db, ScenarioRun) == 0 and count(db, ScenarioChoiceLog) == 0


def test_the_play_test_shows_conditions_and_whether_they_hold(client, db, synced, author):
    data = node_form(synced.definition, "arrive", base=synced.content_hash)
    data[choice_key(synced.definition, "arrive", "arrive-busy", "when")] = "frustration > 2"
    assert post_node(client, synced, "arrive", data).status_code == 302
    page = client.get(f"/scenarios/{synced.id}/test").text
    option = re.search(r'<li class="scenario-option[^"]*" data-choice="arrive-busy"'
                       r' data-offered="no">(.*?)</li>', page, re.S)
    assert option and "frustration &gt; 2" in option[1] and "does not hold" in option[1]
    assert "path=arrive-busy" not in page  # not on offer in the chat


def test_a_play_test_path_that_no_longer_fits_is_reported(client, synced, author):
    response = client.get(f"/scenarios/{synced.id}/test?path=arrive-greet,gone,farewell")
    assert response.status_code == 200
    assert 'data-testid="playtest-broken"' in response.text
    node = f'data-testid="playtest-node"><a href="/scenarios/{synced.id}/edit#node-seat">'
    assert node in response.text


# ---------------------------------------------------------------- runs of an edited scenario


@pytest.fixture
def trainee(make_user, make_worker, orgs):
    worker = make_worker(orgs["V1"], "T001", name="李学员")
    return make_user("t001", roles=("trainee",), unit=orgs["V1"], worker=worker)


def test_a_run_broken_by_an_edit_restarts_in_the_player(app, db, synced, trainee):
    run = services.start_run(synced, trainee)
    services.choose(run, "arrive-greet")
    finished = services.start_run(synced, trainee)
    for choice in BEST_PATH:
        services.choose(finished, choice)
    db.session.commit()
    arrive = synced.definition["nodes"][0]
    choices = [authoring.choice_edit(c) for c in arrive["choices"]]
    choices[0] = dataclasses.replace(choices[0], when="frustration > 3")  # arrive-greet
    definition = authoring.update_node(synced.definition, "arrive",
                                       situation=arrive["situation"],
                                       citizen=arrive["citizen"], choices=choices)
    assert services.save_definition(synced, definition, user=None, base_hash=None,
                                    change="test")
    db.session.commit()
    learner = app.test_client()
    learner.post("/login", data={"username": "t001", "password": PASSWORD})
    response = learner.post(f"/scenarios/runs/{run.id}/choose", data={"choice": "seat-welcome"})
    assert response.status_code == 302 and "/play" in response.headers["Location"]
    page = learner.get(response.headers["Location"])
    assert page.status_code == 200 and 'data-testid="scenario-outdated"' in page.text
    assert 'data-testid="scenario-start"' in page.text
    assert learner.post(f"/scenarios/{synced.id}/play").status_code == 302
    assert "姑娘，门口那个机器让我扫码" in learner.get(f"/scenarios/{synced.id}/play").text
    report = learner.get(f"/scenarios/runs/{finished.id}/report")
    assert report.status_code == 200 and 'data-testid="scenario-outdated"' in report.text
    assert 'data-testid="scenario-score">100<' in report.text


# ---------------------------------------------------------------- the pure parts


@pytest.mark.parametrize("effects", [
    {"add": {"frustration": -1, "minutes": 5}},
    {"set": {"loss_reported": True}, "add": {"minutes": 5, "frustration": 1}},
    {"clamp": {"minutes": [0, 60]}},
])
def test_effect_lines_round_trip(app, effects):
    assert authoring.parse_effect_lines(authoring.effects_to_lines(effects)) == effects


@pytest.mark.parametrize("lines", ["raise x 1", "add x", "add x one", "clamp x 1",
                                   "add x 1\nadd x 2", "set x maybe"])
def test_bad_effect_lines(app, lines):
    with pytest.raises(authoring.EditError):
        authoring.parse_effect_lines(lines)


def test_branch_lines(app):
    assert authoring.parse_branch_lines("angry when frustration >= 4\r\n\r\nneed\n") == [
        {"when": "frustration >= 4", "next": "angry"}, {"next": "need"}]
    for bad in ("angry when", "two words", " when x > 1"):
        with pytest.raises(authoring.EditError):
            authoring.parse_branch_lines(bad)


def test_problems_are_placed_on_what_they_concern(app, synced):
    definition = authoring.update_settings(
        synced.definition, title="t", summary=None, start="arrive", max_steps=None,
        variables=[v for v in authoring.variable_edits(synced.definition)
                   if v.name != "minutes"])
    scenario, problems = services.check_definition(definition, "x.yaml")
    assert scenario is None and problems
    located = authoring.locate(definition, problems)
    assert {(p.section, p.node, p.choice) for p in located} >= {
        ("node", "arrive", "arrive-busy"), ("node", "form", "form-self")}
    assert all(p.anchor.startswith("node-") for p in located)
