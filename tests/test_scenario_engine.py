"""The scenario engine: conditions, effects, step-order scoring, taboo flags, suggestions,
resuming by replay — and property tests over random walks and the condition language."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from academy.scenarios import engine
from academy.scenarios.engine import ChoiceNotAvailable, Deduction, RunState
from academy.scenarios.loader import load_scenario
from academy.scenarios.model import (
    And,
    Compare,
    Const,
    Not,
    Or,
    Var,
    Variable,
    evaluate,
    parse_condition,
    satisfiable,
    taboo_phrases_in,
    witness,
)

EXAMPLE = (
    Path(__file__).parent.parent
    / "courses"
    / "service-etiquette"
    / "scenarios"
    / "elderly-no-smartphone.yaml"
)

ORDER = """\
id: order
title: 接待顺序
start: a
max_steps: 12
variables:
  frustration: {type: int, initial: 1, min: 0, max: 3}
  listed: {type: bool, initial: false}
nodes:
  - id: a
    situation: 群众来到窗口。
    choices:
      - id: greet
        text: 您好！
        step: greeting
        scores: {greeting: 5, patience: 1}
        effects: {add: {frustration: -5}}
        next: b
      - id: welcome-first
        text: 请坐。
        step: welcome
        scores: {welcome: 3}
        next: a2
      - id: ignore
        text: （不理睬）
        scores: {greeting: -5}
        feedback: 群众走近时要先问候。
        effects: {add: {frustration: 5}}
        next: b
  - id: a2
    situation: 群众坐下了。
    choices:
      - id: late-greet
        text: 您好！
        step: greeting
        scores: {greeting: 5}
        next: c
  - id: b
    situation: 群众说明来意。
    choices:
      - id: welcome
        text: 请坐，请问您办理什么业务？
        step: welcome
        scores: {welcome: 5}
        next: c
      - id: calm
        when: frustration >= 2
        text: 对不起，让您久等了。
        scores: {patience: 5}
        effects: {clamp: {frustration: [0, 1]}}
        next: b
  - id: c
    situation: 群众问要带什么。
    choices:
      - id: list-all
        text: 需要这些材料，我都写在告知单上了。
        step: explanation
        scores: {notification: 5, explanation: 3}
        effects: {set: {listed: true}}
        next: d
      - id: self-read
        text: 服务指南上有，自己看。
        scores: {notification: -5}
        feedback: 这是服务禁忌用语。
        next: d
      - id: toss
        text: （把材料扔回去）就这些。
        taboo: true
        step: explanation
        scores: {notification: 1}
        feedback: 不能扔材料。
        next: d
  - id: d
    situation: 群众要走了。
    choices:
      - id: bye
        text: 请慢走！
        step: closing
        scores: {closing: 5}
        branches:
          - when: listed
            next: good
          - next: meh
      - id: silent
        text: （叫下一位）
        scores: {closing: -5}
        feedback: 走有送声。
        next: meh
      - id: again
        text: 您还有其他需要办理的吗？
        next: c
endings:
  - id: good
    title: 好
    outcome: success
  - id: meh
    title: 一般
    outcome: partial
"""


def load(text: str):
    scenario, problems = load_scenario(text, "s.yaml")
    assert problems == []
    return scenario


@pytest.fixture(scope="module")
def order():
    return load(ORDER)


@pytest.fixture(scope="module")
def example():
    return load(EXAMPLE.read_text("utf-8"))


def ids(choices) -> list[str]:
    return [c.id for c in choices]


# ---------------------------------------------------------------- running


def test_start_is_plain_data(order):
    state = engine.start(order)
    assert state == RunState(node="a", variables={"frustration": 1, "listed": False})
    assert json.loads(json.dumps(state.as_dict())) == state.as_dict()
    assert RunState.from_dict(state.as_dict()) == state
    assert not engine.finished(state)


def test_conditions_hide_choices(order):
    calm = engine.replay(order, ["greet"])
    assert ids(engine.available_choices(order, calm)) == ["welcome"]
    upset = engine.replay(order, ["ignore"])
    assert ids(engine.available_choices(order, upset)) == ["welcome", "calm"]


def test_effects_and_clamping(order):
    assert engine.replay(order, ["greet"]).variables["frustration"] == 0  # 1 - 5 → min 0
    assert engine.replay(order, ["ignore"]).variables["frustration"] == 3  # 1 + 5 → max 3
    assert engine.replay(order, ["ignore", "calm"]).variables["frustration"] == 1  # clamp 0–1
    assert engine.replay(order, ["greet", "welcome", "list-all"]).variables["listed"] is True


def test_branches_follow_the_variables(order):
    listed = engine.replay(order, ["greet", "welcome", "list-all", "bye"])
    assert listed.ending == "good" and engine.finished(listed)
    unlisted = engine.replay(order, ["greet", "welcome", "self-read", "bye"])
    assert unlisted.ending == "meh"


def test_choosing_what_is_not_offered_is_a_domain_error(order):
    state = engine.start(order)
    with pytest.raises(ChoiceNotAvailable):
        engine.choose(order, state, "bye")  # another node's choice
    with pytest.raises(ChoiceNotAvailable):
        engine.choose(order, engine.replay(order, ["greet"]), "calm")  # condition false
    done = engine.replay(order, ["greet", "welcome", "list-all", "bye"])
    with pytest.raises(ChoiceNotAvailable):
        engine.choose(order, done, "bye")
    with pytest.raises(ChoiceNotAvailable):
        engine.choose(order, state, "nonexistent")


def test_a_run_stops_after_max_steps(order):
    path = ["greet", "welcome"] + ["list-all", "again"] * 5
    state = engine.replay(order, path)
    assert engine.finished(state) and state.timed_out and state.ending is None
    assert len(state.path) == order.max_steps
    assert engine.score(order, state).outcome == engine.TIMEOUT


def test_replay_equals_the_live_run(order):
    state = engine.start(order)
    for choice_id in ["ignore", "calm", "welcome", "list-all", "again", "toss", "bye"]:
        state = engine.choose(order, state, choice_id)
        state = RunState.from_dict(json.loads(json.dumps(state.as_dict())))  # stored & read
    assert engine.replay(order, state.path) == state


# ---------------------------------------------------------------- scoring


def test_a_model_run_scores_full_marks(order):
    report = engine.score(order, engine.replay(order, ["greet", "welcome", "list-all", "bye"]))
    assert report.outcome == "success" and report.ending == "good"
    assert report.steps_performed == ["greeting", "welcome", "explanation", "closing"]
    assert report.standard_order == ["greeting", "welcome", "explanation", "closing"]
    assert report.missing_steps == [] and report.out_of_order_steps == []
    assert report.deductions == [] and report.taboo == [] and report.mistakes == []
    assert set(report.dimensions.values()) == {100}
    assert report.overall == 100


def test_missing_steps_are_named_and_cost_their_points(order):
    report = engine.score(
        order, engine.replay(order, ["ignore", "calm", "welcome", "list-all", "silent"])
    )
    assert report.outcome == "partial"
    assert report.missing_steps == ["greeting", "closing"]
    assert [d.step for d in report.deductions] == ["greeting", "closing"]
    assert all(
        d.kind == "missing" and d.points == engine.MISSING_STEP_POINTS for d in report.deductions
    )
    assert report.dimensions["greeting"] == 0 and report.dimensions["closing"] == 0
    assert report.overall < 100


def test_out_of_order_steps_are_named_and_cost_points(order):
    report = engine.score(
        order, engine.replay(order, ["welcome-first", "late-greet", "list-all", "bye"])
    )
    assert report.steps_performed == ["welcome", "greeting", "explanation", "closing"]
    assert report.out_of_order_steps == ["greeting"]
    assert report.missing_steps == []
    # greeting: 5 of 10 possible at node a (50), then the out-of-order deduction
    assert report.deductions == [Deduction("greeting", "out_of_order", engine.OUT_OF_ORDER_POINTS)]
    assert report.dimensions["greeting"] == 50 - engine.OUT_OF_ORDER_POINTS


def test_taboo_flags_from_tags_and_phrases(order):
    report = engine.score(
        order, engine.replay(order, ["greet", "welcome", "self-read", "again", "toss", "bye"])
    )
    flags = {flag.choice: flag.phrases for flag in report.taboo}
    assert flags == {"self-read": ("服务指南上有自己看",), "toss": ()}
    clean = engine.score(order, engine.replay(order, ["greet", "welcome", "list-all", "bye"]))
    assert report.overall <= clean.overall - 2 * engine.TABOO_POINTS


@pytest.mark.parametrize(
    "text, phrases",
    [
        ("我要下班了，明天再来。", ["下班了明天再来"]),
        ("这个不归我管。", ["不归我管"]),
        ("不 知 道！", ["不知道"]),
        ("您别着急，我马上为您办理。", []),
        ("有意见找领导去！", ["有意见找领导去"]),
        ("您去投诉好了。", ["你去投诉好了"]),
        ("这不归我们管。", ["不归我管"]),
    ],
)
def test_taboo_phrases_in_text(text, phrases):
    assert taboo_phrases_in(text) == phrases


def test_mistakes_carry_feedback_and_the_better_choice(order):
    report = engine.score(
        order, engine.replay(order, ["ignore", "calm", "welcome", "self-read", "silent"])
    )
    mistakes = {m.choice: m for m in report.mistakes}
    assert set(mistakes) == {"ignore", "self-read", "silent"}
    assert mistakes["ignore"].feedback == "群众走近时要先问候。"
    assert (mistakes["ignore"].better_choice, mistakes["ignore"].better_text) == ("greet", "您好！")
    assert mistakes["self-read"].node == "c"
    assert mistakes["self-read"].better_choice == "list-all"
    assert mistakes["silent"].better_choice == "bye"


def test_an_unfinished_run_can_be_scored(order):
    report = engine.score(order, engine.replay(order, ["greet"]))
    assert report.outcome is None
    assert report.missing_steps == ["welcome", "explanation", "closing"]


def test_the_example_best_and_worst_runs(example):
    best = [
        "arrive-greet",
        "seat-welcome",
        "need-manual",
        "loss-both-hands",
        "materials-all",
        "form-help",
        "issue-handover",
        "farewell-closing",
    ]
    state = engine.replay(example, best)
    report = engine.score(example, state)
    assert state.ending == "satisfied" and report.outcome == "success"
    assert report.missing_steps == [] and report.taboo == [] and report.mistakes == []
    assert report.overall == 100

    worst = ["arrive-busy", "need-not-mine", "angry-complain"]
    state = engine.replay(example, worst)
    report = engine.score(example, state)
    assert state.ending == "complaint" and report.outcome == "failure"
    assert {f.choice for f in report.taboo} == {"need-not-mine", "angry-complain"}
    assert "greeting" in report.missing_steps
    assert report.overall < 30


def test_an_angry_citizen_is_led_back_to_what_is_left(example):
    state = engine.replay(example, ["arrive-guide"])
    assert state.node == "angry"  # frustration 2 + 2 ≥ 4
    state = engine.replay(example, ["arrive-busy", "need-phone"])
    assert state.node == "angry"  # 2 + 1 + 2 ≥ 4
    state = engine.choose(example, state, "angry-calm")
    assert state.node == "report-loss"  # nothing done yet


# ---------------------------------------------------------------- properties


def walk(scenario, data, bound: int):
    state = engine.start(scenario)
    steps = 0
    while not engine.finished(state):
        offered = engine.available_choices(scenario, state)
        assert offered, f"stuck at {state.node}"
        offered_ids = {c.id for c in offered}
        unavailable = [c.id for _, c in scenario.all_choices() if c.id not in offered_ids]
        if unavailable:
            with pytest.raises(ChoiceNotAvailable):
                engine.choose(scenario, state, data.draw(st.sampled_from(unavailable)))
        state = engine.choose(scenario, state, data.draw(st.sampled_from(offered)).id)
        steps += 1
        assert steps <= bound
    return state


@pytest.mark.parametrize("name", ["order", "example"])
@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_random_walks_end_within_the_bound_and_score_within_0_100(name, data, request):
    scenario = request.getfixturevalue(name)
    state = walk(scenario, data, scenario.max_steps)
    assert state.ending in scenario.endings or state.timed_out
    assert engine.replay(scenario, state.path) == state
    assert RunState.from_dict(json.loads(json.dumps(state.as_dict()))) == state
    report = engine.score(scenario, state)
    assert 0 <= report.overall <= 100
    assert all(0 <= v <= 100 for v in report.dimensions.values())
    assert set(report.missing_steps) | set(report.steps_performed) == set(report.standard_order)
    for mistake in report.mistakes:
        assert mistake.better_choice is not None or any(
            flag.choice == mistake.choice for flag in report.taboo
        )


VARIABLES = {
    "n": Variable("n", "int", 0, -2, 3),
    "m": Variable("m", "int", 1, 0, 4),
    "b": Variable("b", "bool", False),
}


def comparisons():
    int_var = st.sampled_from(["n", "m"]).map(Var)
    literal = st.integers(-4, 6).map(Const)
    ops = st.sampled_from(["==", "!=", "<", "<=", ">", ">="])
    int_cmp = st.builds(
        lambda op, v, c, flip: Compare(op, c, v) if flip else Compare(op, v, c),
        ops,
        int_var,
        literal,
        st.booleans(),
    )
    bool_cmp = st.builds(
        lambda op, c: Compare(op, Var("b"), Const(c)), st.sampled_from(["==", "!="]), st.booleans()
    )
    return st.one_of(int_cmp, bool_cmp, st.just(Var("b")), st.booleans().map(Const))


expressions = st.recursive(
    comparisons(),
    lambda inner: st.one_of(
        inner.map(Not),
        st.lists(inner, min_size=2, max_size=3).map(lambda xs: And(tuple(xs))),
        st.lists(inner, min_size=2, max_size=3).map(lambda xs: Or(tuple(xs))),
    ),
    max_leaves=6,
)


def source_of(expr) -> str:
    match expr:
        case Var(name):
            return name
        case Const(value):
            return str(value).lower()
        case Not(operand):
            return f"not ({source_of(operand)})"
        case And(operands):
            return " and ".join(f"({source_of(o)})" for o in operands)
        case Or(operands):
            return " or ".join(f"({source_of(o)})" for o in operands)
        case Compare(op, left, right):
            return f"{source_of(left)} {op} {source_of(right)}"


@settings(max_examples=300, deadline=None)
@given(expressions)
def test_satisfiability_is_exact_over_the_whole_domain(expr):
    domain = [range(-2, 4), range(0, 5), [False, True]]
    brute = any(
        evaluate(expr, dict(zip("nmb", values, strict=True)))
        for values in itertools.product(*domain)
    )
    assert satisfiable(expr, VARIABLES) == brute
    found = witness(expr, VARIABLES)
    if found is not None:
        assert evaluate(expr, {"n": 0, "m": 1, "b": False, **found})
    assert parse_condition(source_of(expr)) is not None
    values = {"n": 1, "m": 3, "b": True}
    assert evaluate(parse_condition(source_of(expr)), values) == evaluate(expr, values)


CAPPED = """\
id: capped
title: 结局封顶
start: a
nodes:
  - id: a
    situation: 群众来到窗口。
    choices:
      - {id: greet, text: 您好！请坐。, step: greeting, scores: {greeting: 5}, next: b}
  - id: b
    situation: 群众问要带什么。
    choices:
      - {id: welcome, text: 请问您办理什么业务？, step: welcome, scores: {welcome: 5}, next: c}
  - id: c
    situation: 材料讲完了。
    choices:
      - {id: explain, text: 需要这些材料。, step: explanation, scores: {explanation: 5}, next: d}
  - id: d
    situation: 群众要走了。
    choices:
      - {id: bye, text: 请慢走！, step: closing, scores: {closing: 5}, next: end}
endings:
  - {id: end, title: 结束, outcome: %s}
"""


@pytest.mark.parametrize("outcome, overall", [("success", 100), ("partial", 79),
                                              ("failure", 59)])
def test_the_ending_caps_the_overall_score(outcome, overall):
    # The same flawless reception: only how it ended differs.
    scenario = load(CAPPED % outcome)
    report = engine.score(scenario, engine.replay(scenario, ["greet", "welcome", "explain",
                                                             "bye"]))
    assert report.overall == overall
