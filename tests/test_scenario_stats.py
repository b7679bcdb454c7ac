"""Scenario statistics: choices per node, wrong turns, outcomes and dimension averages over
the runs of the viewer's subtree; the list of scenarios; the export; the query count."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime

import openpyxl
import pytest
from sqlalchemy import event, select

from academy.scenarios import services, stats
from academy.scenarios.models import ScenarioRun
from tests.conftest import PASSWORD
from tests.scenario_factories import BEST_PATH, WORST_PATH, store_example


@pytest.fixture
def scenario(db):
    row = store_example()
    db.session.commit()
    return row


@pytest.fixture
def people(make_user, make_worker, orgs):
    """Trainees: three in V1 (under S1), one in V2 (under S2)."""
    found = {}
    for name, unit in [("v1a", "V1"), ("v1b", "V1"), ("v1c", "V1"), ("v2a", "V2")]:
        worker = make_worker(orgs[unit], name.upper(), name=name)
        found[name] = make_user(name, roles=("trainee",), unit=orgs[unit], worker=worker)
    return found


def play(db, scenario, user, path, started: datetime | None = None) -> ScenarioRun:
    run = services.start_run(scenario, user)
    for choice in path:
        services.choose(run, choice)
    if started is not None:
        run.started_at = started
    db.session.commit()
    return run


@pytest.fixture
def runs(db, scenario, people):
    """V1: two best runs, one worst, one unfinished (greeted only); V2: one worst."""
    return {
        "best1": play(db, scenario, people["v1a"], BEST_PATH, datetime(2025, 3, 1, 2, tzinfo=UTC)),
        "best2": play(db, scenario, people["v1b"], BEST_PATH,
                      datetime(2025, 3, 4, 20, tzinfo=UTC)),  # 03-05 04:00 in Shanghai
        "worst": play(db, scenario, people["v1c"], WORST_PATH, datetime(2025, 4, 1, 2,
                                                                        tzinfo=UTC)),
        "open": play(db, scenario, people["v1c"], ["arrive-greet"],
                     datetime(2025, 4, 2, 2, tzinfo=UTC)),
        "other": play(db, scenario, people["v2a"], WORST_PATH, datetime(2025, 3, 1, 2,
                                                                        tzinfo=UTC)),
    }


def login(client, make_user, orgs, unit: str, roles=("admin",)):
    user = make_user(f"viewer-{unit}-{roles[0]}", roles=roles, unit=orgs[unit])
    client.post("/login", data={"username": user.username, "password": PASSWORD})
    return user


def by_choice(found: stats.ScenarioStatistics, node_id: str) -> dict[str, tuple[int, float]]:
    node = next(n for n in found.nodes if n.node.id == node_id)
    return {c.choice.id: (c.count, round(c.percent, 1)) for c in node.choices}


# ---------------------------------------------------------------- the numbers


def test_statistics_over_hand_made_runs(app, db, scenario, runs, make_user, orgs):
    viewer = make_user("s1-admin", roles=("admin",), unit=orgs["S1"])
    found = stats.scenario_statistics(scenario, services.scenario_of(scenario), viewer)
    assert (found.runs, found.finished, found.people) == (4, 3, 3)
    # Choices per node, from every run in scope (the unfinished one too).
    assert by_choice(found, "arrive") == {"arrive-greet": (3, 75.0), "arrive-busy": (0, 0.0),
                                          "arrive-guide": (1, 25.0)}
    assert by_choice(found, "angry")["angry-complain"] == (1, 100.0)
    assert by_choice(found, "farewell")["farewell-closing"] == (2, 100.0)
    assert found.counts["arrive-greet"] == 3
    best = next(n for n in found.nodes if n.node.id == "arrive")
    assert [c.best for c in best.choices] == [True, False, False]
    # Wrong turns: the worst run's two choices, once each, out of three finished runs.
    assert [(t.choice, t.runs, round(t.percent, 1), t.taboo) for t in found.wrong_turns] == [
        ("angry-complain", 1, 33.3, True), ("arrive-guide", 1, 33.3, True)]
    assert found.wrong_turns[1].better_text == "（起身，面带微笑，看着老人）大爷您好！"
    # Outcomes and dimension averages, as the three stored reports say.
    reports = [runs[key].score for key in ("best1", "best2", "worst")]
    assert [(s.key, s.count) for s in found.outcomes] == [("success", 2), ("failure", 1)]
    assert found.average == pytest.approx(sum(r["overall"] for r in reports) / 3)
    for share in found.dimensions:
        values = [r["dimensions"][share.key] for r in reports if share.key in r["dimensions"]]
        assert share.value == pytest.approx(sum(values) / len(values))
        assert share.count == len(values)
    assert {s.key for s in found.dimensions} >= {"greeting", "welcome", "patience"}
    assert [(e.id, s.count) for e, s in found.endings] == [("satisfied", 2), ("complaint", 1)]


def test_other_subtrees_are_left_out(app, db, scenario, runs, make_user, orgs):
    s2 = make_user("s2-admin", roles=("admin",), unit=orgs["S2"])
    found = stats.scenario_statistics(scenario, services.scenario_of(scenario), s2)
    assert (found.runs, found.finished) == (1, 1)
    assert by_choice(found, "arrive")["arrive-greet"] == (0, 0.0)
    district = make_user("d-admin", roles=("admin",), unit=orgs["D"])
    whole = stats.scenario_statistics(scenario, services.scenario_of(scenario), district)
    assert (whole.runs, whole.finished) == (5, 4)
    only_v1 = stats.scenario_statistics(scenario, services.scenario_of(scenario), district,
                                        unit=orgs["V1"])
    assert only_v1.runs == 4


def test_the_page_shows_distribution_wrong_turns_and_bars(client, db, scenario, runs,
                                                         make_user, orgs):
    login(client, make_user, orgs, "S1", roles=("instructor",))
    page = client.get(f"/scenarios/{scenario.id}/statistics")
    assert page.status_code == 200
    html = page.text
    assert re.search(r'data-testid="stats-runs">4<', html)
    assert re.search(r'data-testid="stats-finished">3<', html)
    arrive = re.search(r'data-node="arrive">(.*?)</ul>', html, re.S)[1]
    assert re.search(r'data-choice="arrive-greet">.*?choice-count">3<.*?\(75%\)', arrive, re.S)
    assert 'data-testid="stats-wrong-turns"' in html and "你去投诉好了" in html
    assert 'data-testid="stats-dimensions"' in html and "Smile and greeting" in html
    assert 'data-outcome="success"' in html and "(67%)" in html
    assert 'data-testid="stats-graph"' in html and 'data-count="arrive-greet"' in html
    for node_id in services.scenario_of(scenario).nodes:  # the graph's links land
        assert f'id="node-{node_id}"' in html
    for ending_id in services.scenario_of(scenario).endings:
        assert f'id="ending-{ending_id}"' in html
    assert "<script>" not in html and " style=" not in html
    # admin of S2: only V2's run, none of S1's people.
    client.post("/logout")
    login(client, make_user, orgs, "S2")
    other = client.get(f"/scenarios/{scenario.id}/statistics").text
    assert re.search(r'data-testid="stats-runs">1<', other)
    assert "东一社区" not in other and "V1A" not in other


def test_filters_by_unit_and_dates(client, db, scenario, runs, make_user, orgs):
    login(client, make_user, orgs, "D")
    url = f"/scenarios/{scenario.id}/statistics"
    assert re.search(r'stats-runs">5<', client.get(url).text)
    assert re.search(r'stats-runs">4<', client.get(url + "?org_unit=V1").text)
    assert re.search(r'stats-runs">1<', client.get(url + "?org_unit=S2").text)
    march = client.get(url + "?from=2025-03-01&to=2025-03-31").text
    assert re.search(r'stats-runs">3<', march)  # best1, best2, other
    # Dates are the district's local days: 2025-03-04 20:00 UTC is 03-05 in Shanghai.
    assert re.search(r'stats-runs">1<', client.get(url + "?from=2025-03-05&to=2025-03-05").text)
    assert re.search(r'stats-runs">0<', client.get(url + "?from=2025-03-04&to=2025-03-04").text)
    assert re.search(r'stats-runs">5<', client.get(url + "?from=nonsense").text)
    assert client.get(url + "?org_unit=NOPE").status_code == 404
    client.post("/logout")
    login(client, make_user, orgs, "S2")
    assert client.get(url + "?org_unit=V1").status_code == 403


def test_play_tests_never_count(client, db, scenario, make_user, orgs):
    login(client, make_user, orgs, "S1", roles=("instructor",))
    assert client.get(f"/scenarios/{scenario.id}/test?path={','.join(BEST_PATH)}") \
        .status_code == 200
    page = client.get(f"/scenarios/{scenario.id}/statistics").text
    assert re.search(r'stats-runs">0<', page) and 'data-testid="stats-empty"' in page


def test_the_export(client, db, scenario, runs, make_user, orgs):
    login(client, make_user, orgs, "S1")
    response = client.get(f"/scenarios/{scenario.id}/statistics.xlsx?org_unit=V1")
    assert response.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(response.data))
    assert book.sheetnames == ["Summary", "Choices", "Wrong turns"]
    summary = {row[0]: row[1] for row in book["Summary"].iter_rows(values_only=True) if row}
    assert summary["Runs"] == 4 and summary["Finished runs"] == 3 and summary["Org unit"] == "V1"
    choices = {(r[0], r[1]): r[3] for r in book["Choices"].iter_rows(min_row=2, values_only=True)}
    assert choices[("arrive", "arrive-greet")] == 3 and choices[("angry", "angry-complain")] == 1
    wrong = [r[1] for r in book["Wrong turns"].iter_rows(min_row=2, values_only=True)]
    assert wrong == ["angry-complain", "arrive-guide"]


def test_the_list_counts_the_viewers_subtree(client, db, scenario, runs, make_user, orgs):
    login(client, make_user, orgs, "S1", roles=("instructor",))
    page = client.get("/scenarios/")
    assert page.status_code == 200
    row = re.search(r'<tr data-testid="scenario-row">(.*?)</tr>', page.text, re.S)[1]
    cells = re.findall(r'<td class="text-end[^"]*">([^<]*)</td>', row)
    reports = [runs[key].score["overall"] for key in ("best1", "best2", "worst")]
    assert cells == ["13", "4", "3", f"{sum(reports) / 3:.0f}"]
    assert f'href="/scenarios/{scenario.id}/edit"' in row
    assert f'href="/scenarios/{scenario.id}/statistics"' in row
    assert "Scenarios" in client.get("/").text  # in the Teaching menu


# ---------------------------------------------------------------- the query count


def _queries(client, db, url: str) -> int:
    seen = []

    def count(*args):
        seen.append(1)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        assert client.get(url).status_code == 200
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    return len(seen)


def test_query_count_does_not_grow_with_the_runs(client, db, scenario, make_user,
                                                 make_worker, orgs):
    login(client, make_user, orgs, "D")
    urls = [f"/scenarios/{scenario.id}/statistics", f"/scenarios/{scenario.id}/statistics.xlsx",
            f"/scenarios/{scenario.id}/statistics?org_unit=V1", "/scenarios/"]

    def add_runs(n: int) -> None:
        for index in range(n):
            unit = orgs["V1" if index % 2 else "V2"]
            worker = make_worker(unit)
            user = make_user(roles=("trainee",), unit=unit, worker=worker)
            play(db, scenario, user, BEST_PATH if index % 3 else WORST_PATH)

    add_runs(3)
    small = [_queries(client, db, url) for url in urls]
    add_runs(27)
    assert db.session.scalar(select(ScenarioRun.id).order_by(ScenarioRun.id.desc()).limit(1))
    large = [_queries(client, db, url) for url in urls]
    assert large == small


def test_aggregate_counts_choices_the_scenario_no_longer_has(app):
    scenario = services.scenario_of(store_example())
    found = stats.aggregate(scenario, {("arrive", "arrive-greet"): 2, ("arrive", "gone"): 3},
                            [])
    assert found.retired == 3 and found.counts == {"arrive-greet": 2}
    assert found.average is None and found.wrong_turns == [] and found.outcomes == []
