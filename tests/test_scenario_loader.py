"""Scenario files: the shipped example loads cleanly, and every kind of problem is reported
with its file and line (the expected line is marked ``# <-`` in each snippet)."""

from __future__ import annotations

from pathlib import Path
from textwrap import dedent

import pytest

from academy.scenarios.loader import load_scenario

EXAMPLE = (
    Path(__file__).parent.parent
    / "courses"
    / "service-etiquette"
    / "scenarios"
    / "elderly-no-smartphone.yaml"
)

VALID = """\
id: tiny
title: 小场景
start: a
variables:
  frustration: {type: int, initial: 0, min: 0, max: 5}
  listed: {type: bool, initial: false}
nodes:
  - id: a
    situation: 群众走近窗口。
    choices:
      - id: a-greet
        text: 您好！
        step: greeting
        scores: {greeting: 5}
        next: b
  - id: b
    situation: 群众说明来意。
    choices:
      - id: b-list
        text: 需要这些材料……
        step: explanation
        effects: {set: {listed: true}}
        next: done
endings:
  - id: done
    title: 办完了
    outcome: success
"""


def problems_of(text: str, file: str = "s.yaml") -> list[tuple[int | None, str]]:
    scenario, problems = load_scenario(dedent(text), file)
    assert scenario is None or not problems
    assert all(p.file == file for p in problems)
    return [(p.line, p.message) for p in problems]


def marked_line(text: str) -> int:
    lines = dedent(text).splitlines()
    return next(i for i, line in enumerate(lines, 1) if "# <-" in line)


def assert_one(text: str, *words: str) -> None:
    """Exactly one problem, on the marked line, whose message has all ``words``."""
    found = problems_of(text)
    assert len(found) == 1, found
    line, message = found[0]
    assert line == marked_line(text), found
    for word in words:
        assert word in message, found


def test_the_example_loads_without_problems():
    scenario, problems = load_scenario(EXAMPLE.read_text("utf-8"), str(EXAMPLE))
    assert problems == []
    assert scenario is not None
    assert len(scenario.nodes) >= 10
    assert {e.outcome for e in scenario.endings.values()} == {"success", "partial", "failure"}
    assert scenario.variables["frustration"].type == "int"


def test_a_valid_snippet_loads():
    scenario, problems = load_scenario(VALID, "s.yaml")
    assert problems == []
    assert scenario.start == "a"
    assert scenario.nodes["b"].choices[0].effects[0].op == "set"


def test_problems_print_as_file_line_message():
    _, problems = load_scenario(VALID.replace("next: b", "next: nowhere"), "x/s.yaml")
    assert str(problems[0]).startswith("x/s.yaml:15: ")


def test_invalid_yaml():
    assert_one(VALID.replace("title: 小场景", "title: '小'场景  # <-"), "Invalid YAML")


def test_unreachable_node():
    text = VALID.replace(
        "endings:",
        dedent("""\
      - id: island  # <-
        situation: 没人来过这里。
        choices:
          - id: island-go
            text: 走吧
            next: done
    endings:"""),
    )
    assert_one(text, "island", "unreachable")


def test_unreachable_ending():
    text = VALID + "  - id: never  # <-\n    title: 没人到这里\n    outcome: failure\n"
    assert_one(text, "never", "unreachable")


def test_choice_leading_to_an_undefined_target():
    assert_one(VALID.replace("next: b", "next: nowhere  # <-"), "leads nowhere", "nowhere")


def test_choice_without_next():
    text = VALID.replace("      - id: b-list", "      - id: b-list  # <-").replace(
        "        next: done\n", ""
    )
    assert_one(text, "leads nowhere")


def test_node_without_choices():
    text = VALID.replace(
        "        scores: {greeting: 5}\n        next: b",
        "        scores: {greeting: 5}\n        branches:\n"
        "          - when: frustration > 2\n            next: b\n"
        "          - next: stuck",
    ).replace(
        "endings:",
        dedent("""\
      - id: stuck  # <-
        situation: 没有出路。
        choices: []
    endings:"""),
    )
    assert_one(text, "stuck", "no choices")


def test_loop_with_no_way_out():
    text = VALID.replace("next: done", "next: c").replace(
        "endings:",
        dedent("""\
      - id: c  # <-
        situation: 兜圈子。
        choices:
          - id: c-again
            text: 再说一遍
            next: d
      - id: d
        situation: 还在兜圈子。
        choices:
          - id: d-again
            text: 又说一遍
            next: c
    endings:"""),
    )
    found = problems_of(text)
    # the ending is now unreachable too; the loop is named with its line
    assert (marked_line(text), "Loop with no way out: c → d never reach an ending.") in found
    assert any("done" in m and "unreachable" in m for _, m in found)


def test_undefined_variable_in_a_condition():
    text = VALID.replace(
        "        step: greeting\n",
        "        step: greeting\n        when: anger > 2 or true  # <-\n",
    )
    assert_one(text, "undefined variable 'anger'")


def test_undefined_variable_in_an_effect():
    text = VALID.replace("{set: {listed: true}}", "{set: {listed: true}, add: {anger: 1}}  # <-")
    assert_one(text, "undefined variable anger")


def test_effect_of_the_wrong_type():
    text = VALID.replace("{set: {listed: true}}", "{add: {listed: 1}}  # <-")
    assert_one(text, "does not fit listed")


def test_effect_outside_the_range():
    text = VALID.replace("{set: {listed: true}}", "{set: {frustration: 9}}  # <-")
    assert_one(text, "outside", "0–5")


@pytest.mark.parametrize(
    "condition",
    [
        "frustration >= 6",
        "frustration < 0",
        "listed and not listed",
        "frustration > 3 and frustration < 4",
    ],
)
def test_condition_that_can_never_hold(condition):
    text = VALID.replace(
        "        step: greeting\n", f"        step: greeting\n        when: {condition}  # <-\n"
    )
    found = problems_of(text)
    assert (marked_line(text), f"The condition {condition!r} can never hold.") in found


@pytest.mark.parametrize(
    "condition, error",
    [
        ("frustration >=", "unexpected end"),
        ("frustration => 3", "unexpected"),
        ("(listed", "')' expected"),
        ("frustration", "is a number"),
        ("listed > 1", "true/false"),
        ("frustration == true", "compare it with a number"),
        ("frustration == listed", "compare a variable with a number"),
        ("__import__('os')", "unexpected"),
    ],
)
def test_bad_expression(condition, error):
    text = VALID.replace(
        "        step: greeting\n", f'        step: greeting\n        when: "{condition}"  # <-\n'
    )
    assert_one(text, "Bad condition", error)


def test_node_that_may_offer_no_choice():
    text = VALID.replace(
        "    choices:\n      - id: a-greet", "    choices:  # <-\n      - id: a-greet"
    ).replace("        step: greeting\n", "        step: greeting\n        when: frustration < 3\n")
    assert_one(text, "may offer no choice", "frustration=3")


def test_branches_that_may_all_fail():
    text = VALID.replace(
        "        next: b", "        branches:  # <-\n          - when: listed\n            next: b"
    )
    assert_one(text, "branches may all fail", "listed=false")


def test_unknown_step_tag():
    assert_one(VALID.replace("step: greeting", "step: smiling  # <-"), "Unknown step smiling")


def test_unknown_top_level_key():
    assert_one(VALID + "extra_nodes: []  # <-\n", "Unknown key extra_nodes")


def test_unknown_dimension_and_points_out_of_range():
    assert_one(VALID.replace("{greeting: 5}", "{charm: 5}  # <-"), "Unknown dimension charm")
    assert_one(VALID.replace("{greeting: 5}", "{greeting: 50}  # <-"), "-10 to 10")


def test_duplicate_node_and_ending_ids():
    text = VALID.replace("  - id: b\n", "  - id: done  # <-\n").replace("next: b", "next: done")
    found = problems_of(text)
    assert (marked_line(text), "Duplicate id done (also at line 25).") in found


def test_duplicate_choice_ids():
    assert_one(VALID.replace("- id: b-list", "- id: a-greet  # <-"), "Duplicate choice id a-greet")


def test_duplicate_yaml_keys():
    assert_one(
        VALID.replace("title: 小场景\n", "title: 小场景\ntitle: 又一个  # <-\n"),
        "Duplicate key title",
    )


def test_ending_without_an_outcome():
    text = VALID.replace("  - id: done\n", "  - id: done  # <-\n").replace(
        "    outcome: success\n", ""
    )
    assert_one(text, "done has no outcome")


def test_ending_with_an_unknown_outcome():
    assert_one(VALID.replace("outcome: success", "outcome: great  # <-"), "Unknown outcome great")


def test_start_that_names_no_node():
    found = problems_of(VALID.replace("start: a", "start: zzz"))
    assert (3, "start zzz names no node.") in found


def test_bad_variables():
    block = "\n    type: int\n    initial: 7  # <-\n    min: 0\n    max: 5"
    assert_one(
        VALID.replace(" {type: int, initial: 0, min: 0, max: 5}", block),
        "initial value of frustration",
        "0–5",
    )
    assert_one(
        VALID.replace(
            "  frustration: {type: int, initial: 0, min: 0, max: 5}",
            "  frustration: {type: text, initial: x}  # <-",
        ),
        "type int or bool",
    )
    assert_one(
        VALID.replace(
            "  frustration: {type: int, initial: 0, min: 0, max: 5}",
            "  frustration: {type: int, initial: 0}  # <-",
        ),
        "min and max",
    )


def test_remote_image_refused():
    text = VALID.replace(
        "    situation: 群众走近窗口。\n",
        "    situation: 群众走近窗口。\n    image: https://x.cn/a.png  # <-\n",
    )
    assert_one(text, "relative path")


def test_every_problem_is_reported_at_once():
    text = (
        VALID.replace("step: greeting", "step: smiling")
        .replace("next: done", "next: nowhere")
        .replace("    outcome: success\n", "")
    )
    messages = [m for _, m in problems_of(text)]
    assert any("smiling" in m for m in messages)
    assert any("nowhere" in m for m in messages)
    assert any("no outcome" in m for m in messages)


@pytest.mark.parametrize("text", ["", "- a\n- b\n", "just text"])
def test_not_a_mapping(text):
    scenario, problems = load_scenario(text, "s.yaml")
    assert scenario is None
    assert problems and problems[0].line == 1


SHIPPED = sorted((Path(__file__).resolve().parent.parent / "courses").glob("*/scenarios/*.yaml"))


def test_at_least_eight_scenarios_ship():
    assert len(SHIPPED) >= 8


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.stem)
def test_each_shipped_scenario_is_a_real_role_play(path):
    scenario, problems = load_scenario(path.read_text(encoding="utf-8"), path.name)
    assert not problems, [str(p) for p in problems]
    assert len(scenario.nodes) >= 10 and scenario.variables
    assert len({ending.outcome for ending in scenario.endings.values()}) >= 2
    assert len(scenario.endings) >= 3
