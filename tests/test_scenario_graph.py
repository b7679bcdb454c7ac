"""The scenario graph: a layered layout and its SVG (academy.scenarios.graph)."""

from __future__ import annotations

import os
import random
import subprocess
import sys
from collections import deque
from itertools import combinations
from pathlib import Path

from defusedxml import ElementTree

from academy.scenarios.graph import Layout, layout, render_svg
from academy.scenarios.loader import load_scenario
from academy.scenarios.model import Branch, Choice, Condition, Ending, Node, Scenario

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "courses" / "service-etiquette" / "scenarios" / "elderly-no-smartphone.yaml"
SVG = "{http://www.w3.org/2000/svg}"


def example() -> Scenario:
    scenario, problems = load_scenario(EXAMPLE.read_text(encoding="utf-8"), str(EXAMPLE))
    assert not problems, problems
    assert scenario is not None
    return scenario


def make(
    start: str,
    nodes: dict[str, list[tuple[str, str | list[tuple[str | None, str]]]]],
    endings: dict[str, str] | None = None,
    situations: dict[str, str] | None = None,
) -> Scenario:
    """A scenario from ``{node: [(choice id, target or [(condition, target), …])]}`` and
    ``{ending: outcome}``; built directly, so it may break the loader's rules."""
    built = {}
    for node_id, choices in nodes.items():
        made = []
        for choice_id, lead in choices:
            if isinstance(lead, str):
                branches = (Branch(lead),)
            else:
                branches = tuple(
                    Branch(target, Condition.parse(when) if when else None)
                    for when, target in lead
                )
            made.append(Choice(choice_id, f"说 {choice_id}", branches))
        situation = (situations or {}).get(node_id, f"情况 {node_id}")
        built[node_id] = Node(node_id, situation, tuple(made), citizen="群众说话")
    ends = {e: Ending(e, outcome, f"结局 {e}") for e, outcome in (endings or {}).items()}
    return Scenario("t", "测试", start, {}, built, ends)


def parse(svg: str):
    return ElementTree.fromstring(str(svg))


def edges_of(root) -> list[dict[str, str]]:
    return [g.attrib for g in root.iter(f"{SVG}g") if "sg-edge" in g.get("class", "").split()]


def line_width(root, choice: str) -> float:
    [group] = [
        g for g in root.iter(f"{SVG}g")
        if "sg-edge" in g.get("class", "").split() and g.get("data-choice") == choice
    ]
    [line] = [p for p in group.iter(f"{SVG}path") if p.get("class") == "sg-line"]
    return float(line.get("stroke-width"))


def bfs_depths(scenario: Scenario) -> dict[str, int]:
    depth, queue = {scenario.start: 0}, deque([scenario.start])
    while queue:
        current = queue.popleft()
        for choice in scenario.nodes[current].choices if current in scenario.nodes else ():
            for branch in choice.branches:
                if branch.target not in depth:
                    depth[branch.target] = depth[current] + 1
                    queue.append(branch.target)
    return depth


def big(seed: int = 7, size: int = 40) -> Scenario:
    """``size`` nodes along a main line, with skips ahead, loops back, conditional branches
    and five endings; all reachable, as the loader requires."""
    rng = random.Random(seed)
    ids = [f"n{i}" for i in range(size)]
    endings = {f"e{i}": ("success", "partial", "failure")[i % 3] for i in range(5)}
    nodes = {}
    for i, node_id in enumerate(ids):
        last = i == size - 1
        choices = [(f"{node_id}-c0", "e0" if last else ids[i + 1])]
        for c in range(1, rng.randint(1, 3)):
            pick = rng.random()
            if pick < 0.2 or last:
                target = rng.choice(list(endings))
            elif pick < 0.4 and i > 2:
                target = ids[rng.randrange(max(0, i - 6), i)]
            else:
                target = ids[min(size - 1, i + rng.randint(2, 5))]
            if pick > 0.7:
                other = rng.choice(list(endings))
                choices.append((f"{node_id}-c{c}", [("x > 1", target), (None, other)]))
            else:
                choices.append((f"{node_id}-c{c}", target))
        nodes[node_id] = choices
    return make("n0", nodes, endings)


def overlapping_boxes(drawn: Layout) -> list[tuple[str, str]]:
    return [
        (a.id, b.id)
        for a, b in combinations(drawn.boxes.values(), 2)
        if a.x < b.x + b.width and b.x < a.x + a.width
        and a.y < b.y + b.height and b.y < a.y + a.height
    ]


# ---------------------------------------------------------------- tests


def test_the_same_scenario_gives_the_same_bytes_whatever_the_hash_seed():
    code = (
        "from tests.test_scenario_graph import example, big; "
        "from academy.scenarios.graph import render_svg; "
        "import sys; sys.stdout.write(render_svg(example()) + render_svg(big()))"
    )
    outputs = set()
    for seed in ("1", "2", "3"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        done = subprocess.run(
            [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, check=True
        )
        outputs.add(done.stdout)
    assert len(outputs) == 1
    assert str(render_svg(example())) == str(render_svg(example()))
    assert layout(big()) == layout(big())


def test_every_node_and_ending_is_drawn_once_as_a_link():
    scenario = example()
    svg = str(render_svg(scenario))
    for node_id in scenario.nodes:
        assert svg.count(f'data-node="{node_id}"') == 1, node_id
        assert svg.count(f'href="#node-{node_id}"') == 1, node_id
    for ending_id in scenario.endings:
        assert svg.count(f'data-ending="{ending_id}"') == 1, ending_id
        assert svg.count(f'href="#ending-{ending_id}"') == 1, ending_id
    root = parse(svg)
    links = list(root.iter(f"{SVG}a"))
    assert len(links) == len(scenario.nodes) + len(scenario.endings)
    # Every box carries a <title> with its full text.
    titles = {a.get("data-node") or a.get("data-ending"): a.find(f"{SVG}title").text
              for a in links}
    assert scenario.nodes["need"].citizen in titles["need"]
    assert scenario.nodes["need"].situation in titles["need"]
    assert scenario.endings["satisfied"].text in titles["satisfied"]


def test_every_branch_of_every_choice_is_an_edge_titled_with_the_choice():
    scenario = example()
    root = parse(render_svg(scenario))
    drawn = {(e["data-choice"], e["data-target"], int(e["data-branch"])) for e in edges_of(root)}
    expected = {
        (choice.id, branch.target, i)
        for _, choice in scenario.all_choices()
        for i, branch in enumerate(choice.branches)
    }
    assert drawn == expected
    assert len(edges_of(root)) == len(expected)
    titles = {
        g.get("data-choice"): g.find(f"{SVG}title").text
        for g in root.iter(f"{SVG}g")
        if "sg-edge" in g.get("class", "").split()
    }
    for _, choice in scenario.all_choices():
        assert choice.text in titles[choice.id]


def test_branches_are_dashed_and_titled_with_their_condition():
    scenario = make(
        "a",
        {"a": [("go", [("x >= 4", "b"), (None, "c")]), ("plain", "c")], "b": [("b-end", "end")],
         "c": [("c-end", "end")]},
        {"end": "success"},
    )
    root = parse(render_svg(scenario, labels={"when": "当", "otherwise": "否则"}))
    by_key = {}
    for group in root.iter(f"{SVG}g"):
        if "sg-edge" in group.get("class", "").split():
            by_key[(group.get("data-choice"), group.get("data-target"))] = group
    to_b, to_c, plain = by_key[("go", "b")], by_key[("go", "c")], by_key[("plain", "c")]
    assert "sg-branch" in to_b.get("class").split()
    assert "当: x >= 4" in to_b.find(f"{SVG}title").text
    assert "否则" in to_c.find(f"{SVG}title").text
    dashes = {
        key: [p.get("stroke-dasharray") for p in g.iter(f"{SVG}path")
              if p.get("class") == "sg-line"]
        for key, g in by_key.items()
    }
    assert dashes[("go", "b")] == ["5 3"]
    assert dashes[("plain", "c")] == [None]
    assert "sg-branch" not in plain.get("class").split()


def test_text_is_escaped_everywhere():
    nasty = '<script>alert("x")</script> & 群众'
    scenario = Scenario(
        "t",
        "<b>title</b>",
        "a",
        {},
        {"a": Node("a", nasty, (Choice("a-go", nasty, (Branch("end"),)),), citizen=nasty)},
        {"end": Ending("end", "failure", nasty, nasty)},
    )
    svg = str(render_svg(scenario))
    assert "<script" not in svg
    assert "<b>" not in svg
    assert "&lt;script&gt;" in svg
    root = parse(svg)  # well-formed, so nothing broke out of an attribute or element
    assert root.get("aria-label").endswith("<b>title</b>")
    titles = [t.text for t in root.iter(f"{SVG}title")]
    assert any(nasty in t for t in titles)
    shown = [t.text for t in root.iter(f"{SVG}text") if t.get("class") == "sg-text"]
    assert shown[0].startswith("<script>")  # escaped in the source, plain text once parsed


def test_counts_scale_the_edges_and_label_them():
    scenario = make(
        "a", {"a": [("often", "b"), ("rarely", "b")], "b": [("b-end", "end")]}, {"end": "partial"}
    )
    plain = parse(render_svg(scenario))
    assert line_width(plain, "often") == line_width(plain, "rarely")

    counted = parse(render_svg(scenario, counts={"often": 9, "rarely": 1}))
    assert line_width(counted, "often") > line_width(counted, "rarely")
    assert line_width(counted, "rarely") >= line_width(plain, "rarely")
    labels = {t.get("data-count"): t.text for t in counted.iter(f"{SVG}text")
              if t.get("class") == "sg-count"}
    assert labels == {"often": "9", "rarely": "1", "b-end": "0"}
    assert not [t for t in plain.iter(f"{SVG}text") if t.get("class") == "sg-count"]


def test_unreachable_nodes_and_endings_are_still_drawn_on_a_last_rank():
    scenario = make(
        "a",
        {"a": [("a-b", "b")], "b": [("b-end", "end")], "orphan": [("o-a", "a"), ("o-x", "lost")]},
        {"end": "success", "lost": "failure"},
    )
    drawn = layout(scenario)
    last = len(drawn.ranks) - 1
    assert drawn.rank_of("orphan") == drawn.rank_of("lost") == last
    assert drawn.rank_of("end") == 2 < last
    assert not drawn.boxes["orphan"].reachable and drawn.boxes["b"].reachable
    root = parse(render_svg(scenario))
    classes = {(a.get("data-node") or a.get("data-ending")): a.get("class").split()
               for a in root.iter(f"{SVG}a")}
    assert "sg-unreachable" in classes["orphan"]
    assert "sg-unreachable" in classes["lost"]
    assert "sg-unreachable" not in classes["a"]
    assert {(e["data-source"], e["data-target"]) for e in edges_of(root)} >= {
        ("orphan", "a"), ("orphan", "lost")}


def test_a_cycle_is_drawn_as_a_back_edge_beside_the_boxes():
    scenario = make(
        "a",
        {
            "a": [("a-b", "b")],
            "b": [("b-c", "c"), ("b-again", "b")],
            "c": [("c-a", "a"), ("c-end", "end")],
        },
        {"end": "success"},
    )
    drawn = layout(scenario)
    [back] = [e for e in drawn.edges if e.choice == "c-a"]
    assert back.kind == "back"
    left = min(b.x for b in drawn.boxes.values())
    right = max(b.x + b.width for b in drawn.boxes.values())
    lane = [x for x, _ in back.points if x < left or x > right]
    assert lane, back.points  # it runs outside every box
    assert back.points[-1][1] == drawn.boxes["a"].y  # and comes in on top of its target
    assert back.points[0][1] == drawn.boxes["c"].bottom
    [loop] = [e for e in drawn.edges if e.choice == "b-again"]  # a node back to itself
    assert loop.kind == "back"
    assert loop.points[0][1] == drawn.boxes["b"].bottom
    assert loop.points[-1][1] == drawn.boxes["b"].y
    root = parse(render_svg(scenario))
    [group] = [e for e in edges_of(root) if e["data-choice"] == "c-a"]
    assert "sg-back" in group["class"].split()
    [group] = [e for e in edges_of(root) if e["data-choice"] == "b-again"]
    assert (group["data-source"], group["data-target"]) == ("b", "b")


def test_the_shipped_example_renders_as_one_accessible_svg_without_inline_styles():
    scenario = example()
    svg = render_svg(scenario, highlight=["need", "satisfied"], counts={"arrive-greet": 3})
    assert hasattr(svg, "__html__")  # Markup: safe to put in a template as it is
    root = parse(svg)
    assert root.tag == f"{SVG}svg"
    assert root.get("width") == "100%"
    assert root.get("role") == "img"
    assert scenario.title in root.get("aria-label")
    assert len(root.get("viewBox").split()) == 4
    for element in root.iter():
        assert "style" not in element.attrib, element.tag
        assert element.tag != f"{SVG}style"
    # One root element (it parsed), nothing before or after it.
    assert str(svg).startswith("<svg ") and str(svg).endswith("</svg>")
    classes = {(a.get("data-node") or a.get("data-ending")): a.get("class").split()
               for a in root.iter(f"{SVG}a")}
    assert "sg-start" in classes["arrive"]
    assert [k for k, v in classes.items() if "sg-start" in v] == ["arrive"]
    assert sorted(k for k, v in classes.items() if "sg-hl" in v) == ["need", "satisfied"]
    assert {"sg-ending", "sg-success"} <= set(classes["satisfied"])
    assert {"sg-ending", "sg-failure"} <= set(classes["complaint"])
    assert {"sg-ending", "sg-partial"} <= set(classes["card-no-notice"])
    assert "sg-ending" not in classes["need"]


def test_ranks_are_breadth_first_depths():
    scenario = make(
        "s",
        {
            "s": [("s-a", "a"), ("s-b", "b")],
            "a": [("a-c", "c")],
            "b": [("b-d", [("x > 1", "d"), (None, "c")])],
            "c": [("c-s", "s"), ("c-end", "end")],
            "d": [("d-end", "end")],
        },
        {"end": "success"},
    )
    drawn = layout(scenario)
    ranks = {v: drawn.rank_of(v) for v in drawn.boxes}
    assert ranks == {"s": 0, "a": 1, "b": 1, "c": 2, "d": 2, "end": 3}
    assert [set(r) for r in drawn.ranks] == [{"s"}, {"a", "b"}, {"c", "d"}, {"end"}]

    for scenario in (example(), big()):
        drawn = layout(scenario)
        depths = bfs_depths(scenario)
        assert {v: drawn.rank_of(v) for v in depths} == depths
        for edge in drawn.edges:
            source, target = drawn.rank_of(edge.source), drawn.rank_of(edge.target)
            if edge.kind == "forward":
                assert target == source + 1
            else:
                assert target <= source


def test_boxes_never_overlap_and_lanes_stay_outside_them():
    for scenario in (example(), big(), big(seed=3, size=15)):
        drawn = layout(scenario)
        assert overlapping_boxes(drawn) == []
        left = min(b.x for b in drawn.boxes.values())
        right = max(b.x + b.width for b in drawn.boxes.values())
        for edge in drawn.edges:
            if edge.kind == "back":
                lane_x = edge.points[2][0]
                assert lane_x < left or lane_x > right
        for box in drawn.boxes.values():
            assert box.x >= 0 and box.x + box.width <= drawn.width
            assert box.y >= 0 and box.bottom <= drawn.height


def test_barycenter_ordering_removes_avoidable_crossings():
    # In discovery order (c1, c2), a1 → c2 crosses a2 → c1; swapping c1 and c2 does not.
    scenario = make(
        "s",
        {
            "s": [("s-a1", "a1"), ("s-a2", "a2")],
            "a1": [("a1-c1", "c1"), ("a1-c2", "c2")],
            "a2": [("a2-c1", "c1")],
            "c1": [("c1-end", "end")],
            "c2": [("c2-end", "end")],
        },
        {"end": "success"},
    )
    drawn = layout(scenario)
    assert drawn.ranks[1] == ("a1", "a2")
    assert drawn.ranks[2] == ("c2", "c1")
    assert drawn.boxes["c2"].x < drawn.boxes["c1"].x


def test_long_text_is_shortened_in_the_box_and_kept_whole_in_the_title():
    long = "老人坐下，从口袋里掏出身份证。" * 4
    scenario = make("a", {"a": [("a-end", "end")]}, {"end": "success"}, situations={"a": long})
    root = parse(render_svg(scenario))
    [box] = [a for a in root.iter(f"{SVG}a") if a.get("data-node") == "a"]
    lines = [t.text for t in box.iter(f"{SVG}text") if t.get("class") == "sg-text"]
    assert len(lines) == 2
    assert lines[-1].endswith("…")
    shown = "".join(lines)
    assert 14 <= len(shown) <= 20
    assert long.startswith(shown[:-1])
    assert long in box.find(f"{SVG}title").text


def test_labels_translate_the_words_of_the_drawing():
    scenario = make("a", {"a": [("a-end", "end")]}, {"end": "success"})
    english = str(render_svg(scenario))
    chinese = str(render_svg(scenario, labels={"start": "开始", "graph": "情景图"}))
    assert ">start<" in english and ">start<" not in chinese
    assert ">开始<" in chinese
    assert 'aria-label="情景图: 测试"' in chinese
