"""An instructor reads how learners chose; an assessor records an observation on a phone
and can open nothing outside the engaged unit (Chromium)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from academy.extensions import db
from academy.observations.models import Observation
from academy.scenarios import services as scenario_services
from academy.scenarios.models import ScenarioDef
from tests.conftest import PASSWORD
from tests.learning_factories import get_skill
from tests.observation_factories import make_rubrics, observe, people  # noqa: F401
from tests.scenario_factories import BEST_PATH, EXAMPLE_COURSE, WORST_PATH

pytestmark = pytest.mark.e2e


def sign_in(page, username: str) -> None:
    page.goto("/login")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()


def test_instructor_sees_the_choice_distribution(app, page, orgs, make_worker, make_user):
    get_skill("ETIQUETTE")
    db.session.commit()
    result = app.test_cli_runner().invoke(
        args=["academy", "courses", "sync", str(EXAMPLE_COURSE)])
    assert result.exit_code == 0, result.output
    definition = db.session.scalar(select(ScenarioDef).where(
        ScenarioDef.slug == "elderly-no-smartphone"))
    for n, path in enumerate([BEST_PATH, WORST_PATH, WORST_PATH]):
        trainee = make_user(f"clerk{n}", unit=orgs["V1"], worker=make_worker(orgs["V1"]))
        run = scenario_services.start_run(definition, trainee)
        for choice in path:
            scenario_services.choose(run, choice)
        db.session.commit()
    outsider = make_user("west", unit=orgs["V2"], worker=make_worker(orgs["V2"]))
    run = scenario_services.start_run(definition, outsider)
    scenario_services.choose(run, "arrive-greet")
    db.session.commit()
    make_user("teacher.zhao", roles=("instructor",), unit=orgs["S1"])

    sign_in(page, "teacher.zhao")
    page.get_by_role("button", name="教学").click()
    page.locator('nav a[href="/scenarios/"]').click()
    row = page.get_by_test_id("scenario-row").filter(has_text=definition.title)
    row.get_by_role("link", name=re.compile("统计")).click()
    expect(page.get_by_test_id("stats-runs")).to_contain_text("3")  # V2's run not counted
    arrive = page.locator('[data-testid="stats-node"][data-node="arrive"]')
    expect(arrive).to_contain_text("67%")   # two of three took the brush-off…
    expect(arrive).to_contain_text("33%")   # …one greeted
    expect(page.get_by_test_id("stats-wrong-turns")).to_contain_text("服务指南上有")
    expect(page.get_by_test_id("stats-dimensions")).to_be_visible()


def test_assessor_observes_only_in_the_engaged_unit(phone_page, people):  # noqa: F811
    rubric = make_rubrics()[0]
    outside = observe(people.user("admin-s2"), people.workers["V2-001"], rubric)
    page = phone_page
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    sign_in(page, "assessor")

    page.goto("/observations/new")
    page.locator("#q").fill("东一")
    page.get_by_role("button", name="搜索").click()
    expect(page.get_by_test_id("worker-results")).to_contain_text("东一张三")
    page.get_by_test_id("worker-results").get_by_text("东一张三").click()
    expect(page.get_by_test_id("observed-worker")).to_contain_text("东一张三")
    for code, score in (("greeting", "5"), ("one_time_notice", "4"), ("closing", "3")):
        page.get_by_test_id(f"criterion-{code}").locator(
            f'label:has(.obs-score-num:text-is("{score}"))').click()
    page.locator('textarea[name="notes"]').fill("起身问候，材料一次讲清。")
    page.get_by_role("button", name="保存观察记录").click()
    expect(page.get_by_test_id("mean-score")).to_contain_text("4")
    db.session.expire_all()
    mine = db.session.scalars(select(Observation).where(
        Observation.id != outside.id)).one()
    assert mine.scores == {"greeting": 5, "one_time_notice": 4, "closing": 3}

    # Nothing outside S1: the V2 worker is not found, their record and observations 404.
    page.goto("/observations/new")
    page.locator("#q").fill("西一")
    page.get_by_role("button", name="搜索").click()
    expect(page.get_by_test_id("no-workers")).to_be_visible()
    for url in (f"/observations/new/V2-001?rubric={rubric.code}",
                f"/observations/{outside.id}"):
        response = page.goto(url)
        assert response.status == 404, url
    page.goto("/observations")
    expect(page.get_by_test_id("observations")).not_to_contain_text("西一王五")
    assert page.goto("/admin/workers/V2-001").status in (403, 404)
    assert not errors, errors
