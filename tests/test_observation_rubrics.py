"""Rubrics as data: the shipped rubrics.yaml, every kind of problem with its line, score
checks, and the sync that stores them (academy.observations.rubrics is pure)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import func, select

from academy import ROOT
from academy.catalog.models import Skill
from academy.catalog.package import parse_framework
from academy.observations import rubrics as pure
from academy.observations.models import ObservationRubric
from tests.observation_factories import RUBRIC_YAML

SHIPPED = ROOT / "courses" / "rubrics.yaml"
FRAMEWORK = ROOT / "courses" / "framework.yaml"
STANDARD_STEPS = {"微笑问候", "迎接语", "业务讲解", "结束语"}


def framework_skills() -> set[str]:
    framework, problems = parse_framework(FRAMEWORK.read_bytes())
    assert not problems
    return framework.declared


# ---------------------------------------------------------------- the shipped rubrics


def test_shipped_rubrics_load_cleanly_against_the_framework():
    specs, problems = pure.parse_rubrics(SHIPPED.read_bytes(), known_skills=framework_skills())
    assert problems == []
    by_code = {spec.code: spec for spec in specs}
    assert {"counter-service", "role-play"} <= set(by_code)
    assert by_code["counter-service"].kind == "counter_session"
    assert by_code["role-play"].kind == "role_play"
    for spec in specs:
        names = {c.name for c in spec.criteria}
        assert names >= STANDARD_STEPS, spec.code  # the unified reception steps, always
        for criterion in spec.criteria:
            assert set(criterion.levels) == {"1", "2", "3", "4", "5"}
            assert all(criterion.levels.values())
            assert criterion.skill in framework_skills()
    counter = {c.name for c in by_code["counter-service"].criteria}
    assert {"一次性告知", "耐心与情绪控制", "首问负责", "文明用语与服务禁忌", "仪容仪表"} <= counter


def test_content_hash_follows_the_content():
    specs, _problems = pure.parse_rubrics(RUBRIC_YAML.encode())
    again, _problems = pure.parse_rubrics(RUBRIC_YAML.encode())
    changed, _problems = pure.parse_rubrics(RUBRIC_YAML.replace("测试接待量表", "新名").encode())
    assert specs[0].content_hash == again[0].content_hash != changed[0].content_hash


# ---------------------------------------------------------------- problems, with their lines


def line_of(text: str, fragment: str) -> int:
    return next(n for n, line in enumerate(text.splitlines(), 1) if fragment in line)


@pytest.mark.parametrize(("old", "new", "anchor", "message"), [
    ("    title: 测试接待量表", "    titel: 测试接待量表", "titel:", "Unknown key titel."),
    ("  - code: test-counter", "  - code: Test Counter", "Test Counter", "Bad slug Test Counter"),
    ("      - code: closing", "      - code: Closing", "Closing", "Bad criterion code Closing"),
    ("      - code: closing", "      - code: greeting",
     "      - code: greeting\n        name: 结束语",
     "Duplicate criterion code greeting (first on line 7)."),
    ("        skill: ETIQUETTE", "        skill: NO_SUCH_SKILL", "NO_SUCH_SKILL",
     "Unknown skill NO_SUCH_SKILL."),
    ("    kind: counter_session", "    kind: interview", "kind: interview",
     "kind must be one of role_play, counter_session."),
    ("4: 做得好, 5: 堪作示范}\n      - code: one", "4: 做得好, 6: 堪作示范}\n      - code: one",
     "6: 堪作示范", "Bad score 6: scores are 1 to 5."),
    ("{1: 没有结束语, 2: 只说好了, 3: 基本做到, 4: 做得好, 5: 堪作示范}",
     "{1: 没有结束语, 2: 只说好了, 3: 基本做到, 4: 做得好}", "没有结束语",
     "Describe every score 1–5 (missing: 5)."),
    ("        name: 结束语\n", "", "- code: closing", "Missing required key name."),
    ("{1: 没有告知, 2: 遗漏较多", "{1: '', 2: 遗漏较多", "1: ''", "Describe score 1."),
])
def test_each_problem_names_its_line(old, new, anchor, message):
    assert old in RUBRIC_YAML
    text = RUBRIC_YAML.replace(old, new, 1)
    specs, problems = pure.parse_rubrics(text.encode(), known_skills={"ETIQUETTE",
                                                                      "ONE_TIME_NOTIFICATION"})
    anchor_line = line_of(text, anchor.split("\n")[0]) if "\n" not in anchor else \
        line_of(text, anchor.split("\n")[1]) - 1
    rendered = [str(p) for p in problems]
    assert any(r.startswith(f"rubrics.yaml:{anchor_line}: ") and message in r
               for r in rendered), rendered
    assert specs == []  # a rubric with a problem is never loaded


def test_duplicate_rubric_codes_and_empty_criteria():
    text = RUBRIC_YAML + "  - code: test-counter\n    title: 又一个\n    criteria: []\n"
    specs, problems = pure.parse_rubrics(text.encode())
    rendered = [str(p) for p in problems]
    dup_line = len(RUBRIC_YAML.splitlines()) + 1
    assert f"rubrics.yaml:{dup_line}: Duplicate rubric code test-counter (first on line 2)." \
        in rendered
    assert f"rubrics.yaml:{dup_line + 2}: A rubric needs at least one criterion." in rendered
    assert [s.code for s in specs] == ["test-counter"]


@pytest.mark.parametrize(("text", "message"), [
    ("rubrics: [\n", "Invalid YAML"),
    ("- a\n- b\n", "rubrics.yaml must be a mapping"),
    ("rubrics: {}\n", "rubrics must be a list."),
    ("rubrics:\n  - code: a\n    code: b\n    title: t\n    criteria: []\n",
     "rubrics.yaml:3: Duplicate key code."),
    ("rubrics:\n  - 42\n", "rubrics.yaml:2: rubrics must be a mapping"),
    ("rubrics:\n  - code: x\n    title: t\n    criteria:\n      - code: a\n        name: n\n"
     "        levels: 优秀\n", "rubrics.yaml:7: levels must map each score 1–5"),
])
def test_malformed_files(text, message):
    _specs, problems = pure.parse_rubrics(text.encode())
    assert any(message in str(p) for p in problems), [str(p) for p in problems]


# ---------------------------------------------------------------- scores

CRITERIA = [{"code": "greeting", "skill": "ETIQUETTE"}, {"code": "notice", "skill": None},
            {"code": "closing", "skill": "ETIQUETTE"}]


def test_check_scores_accepts_scores_and_not_observed():
    clean, problems = pure.check_scores(CRITERIA, {"closing": 5, "greeting": 2, "notice": None})
    assert problems == []
    assert list(clean.items()) == [("greeting", 2), ("notice", None), ("closing", 5)]
    assert pure.mean_score(clean) == 3.5
    assert pure.skill_means(CRITERIA, clean) == {"ETIQUETTE": 3.5}


@pytest.mark.parametrize(("scores", "expected"), [
    ({"greeting": 4, "notice": 4}, [("closing", pure.MISSING)]),
    ({"greeting": 0, "notice": 6, "closing": 3},
     [("greeting", pure.OUT_OF_RANGE), ("notice", pure.OUT_OF_RANGE)]),
    ({"greeting": True, "notice": "4", "closing": 2.5},
     [("greeting", pure.OUT_OF_RANGE), ("notice", pure.OUT_OF_RANGE),
      ("closing", pure.OUT_OF_RANGE)]),
    ({"greeting": 4, "notice": 4, "closing": 4, "smile": 5}, [("smile", pure.UNKNOWN)]),
    ({"greeting": None, "notice": None, "closing": None}, [("", pure.NOTHING_SCORED)]),
])
def test_check_scores_problems(scores, expected):
    _clean, problems = pure.check_scores(CRITERIA, scores)
    assert [(p.criterion, p.kind) for p in problems] == expected


score_values = st.one_of(st.none(), st.integers(-3, 9), st.booleans(), st.text(max_size=2))


@given(st.dictionaries(st.sampled_from(["greeting", "notice", "closing", "other"]),
                       score_values))
def test_check_scores_property(scores):
    clean, problems = pure.check_scores(CRITERIA, scores)
    valid = (set(scores) == {"greeting", "notice", "closing"}
             and all(v is None or (type(v) is int and 1 <= v <= 5) for v in scores.values())
             and any(v is not None for v in scores.values()))
    assert (problems == []) == valid
    if valid:
        assert clean == scores
        assert 1 <= pure.mean_score(clean) <= 5


# ---------------------------------------------------------------- the sync


def sync(runner, path: Path, *args: str):
    return runner.invoke(args=["academy", "courses", "sync", str(path), *args])


def count(db) -> int:
    return db.session.scalar(select(func.count()).select_from(ObservationRubric))


@pytest.fixture
def tree(tmp_path) -> Path:
    """framework.yaml and rubrics.yaml as shipped, without the courses."""
    shutil.copy(FRAMEWORK, tmp_path / "framework.yaml")
    shutil.copy(SHIPPED, tmp_path / "rubrics.yaml")
    return tmp_path


def test_sync_stores_the_rubrics_once(db, runner, tree):
    result = sync(runner, tree)
    assert result.exit_code == 0, result.output
    assert "rubrics: 2 created, 0 updated, 0 unchanged" in result.output
    counter = db.session.scalar(select(ObservationRubric).where(
        ObservationRubric.code == "counter-service"))
    assert counter.title == "窗口接待现场观察" and counter.source == "files"
    assert counter.criteria[0]["code"] == "greeting"
    assert counter.criteria[0]["levels"]["5"]
    before = [(r.id, r.updated_at, r.content_hash) for r in db.session.scalars(
        select(ObservationRubric).order_by(ObservationRubric.id))]
    db.session.rollback()

    again = sync(runner, tree)
    assert "rubrics: 0 created, 0 updated, 2 unchanged" in again.output
    assert [(r.id, r.updated_at, r.content_hash) for r in db.session.scalars(
        select(ObservationRubric).order_by(ObservationRubric.id))] == before
    db.session.rollback()

    text = (tree / "rubrics.yaml").read_text().replace("窗口接待现场观察", "窗口接待观察")
    (tree / "rubrics.yaml").write_text(text)
    changed = sync(runner, tree)
    assert "rubrics: 0 created, 1 updated, 1 unchanged" in changed.output
    assert db.session.scalar(select(ObservationRubric.title).where(
        ObservationRubric.code == "counter-service")) == "窗口接待观察"


def test_a_bad_rubric_blocks_the_whole_sync(db, runner, tree):
    text = (tree / "rubrics.yaml").read_text().replace("skill: ONE_TIME_NOTIFICATION",
                                                       "skill: ONE_TIME", 1)
    (tree / "rubrics.yaml").write_text(text)
    result = sync(runner, tree)
    assert result.exit_code == 1
    line = next(n for n, row in enumerate(text.splitlines(), 1)
                if row.endswith("skill: ONE_TIME"))
    assert f"rubrics.yaml:{line}: Unknown skill ONE_TIME." in result.output
    assert "nothing was written" in result.output
    assert count(db) == 0
    assert db.session.scalar(select(func.count()).select_from(Skill)) == 0


def test_skills_already_stored_count(db, runner, tmp_path):
    """A tree with rubrics.yaml but no framework.yaml: skills in the database are known."""
    shutil.copy(SHIPPED, tmp_path / "rubrics.yaml")
    result = sync(runner, tmp_path)
    assert result.exit_code == 1 and "Unknown skill ETIQUETTE." in result.output
    for code in framework_skills():
        db.session.add(Skill(code=code, name=code, category="soft", level_descriptors={}))
    db.session.commit()
    result = sync(runner, tmp_path)
    assert result.exit_code == 0, result.output
    assert count(db) == 2


def test_dry_run_writes_no_rubric(db, runner, tree):
    result = sync(runner, tree, "--dry-run")
    assert result.exit_code == 0 and "rubrics: 2 created" in result.output
    assert count(db) == 0


def test_a_tree_without_rubrics_keeps_the_stored_ones(db, runner, tree):
    assert sync(runner, tree).exit_code == 0
    (tree / "rubrics.yaml").unlink()
    result = sync(runner, tree)
    assert result.exit_code == 0 and "rubrics: 0 created, 0 updated, 0 unchanged" in result.output
    assert count(db) == 2
