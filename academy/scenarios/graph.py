"""A scenario drawn as a graph: a layered layout and the SVG of it, made by the app.

Pure: no Flask, no database, no JavaScript. :func:`layout` places the boxes and routes the
edges; :func:`render_svg` turns that into one ``<svg>`` element.

The layout is a simplified Sugiyama drawing, top to bottom:

* **Ranks**: a node's rank is its breadth-first depth from ``start`` over every choice
  target (``next`` and each branch). Nodes and endings that cannot be reached share one
  last rank. Breadth-first depths make every edge either *forward* (to the next rank) or a
  *back* edge (to the same or an earlier rank).
* **Order**: within a rank, a few barycenter sweeps (down, up, …) over the forward edges,
  keeping the order with the fewest crossings.
* **Position**: each node is pulled towards the mean position of its neighbours in the
  rank above (then below), keeping the order and a minimum gap (least squares, by pooling
  adjacent violators).
* **Routing**: a forward edge is a curve from its choice's port (under the box) to a port
  on top of the target. A back edge leaves under its box, runs along a *lane* beside the
  graph (left or right, whichever is nearer; nested so that short edges lie inside), and
  comes back in above the target. An edge to the next box in the same rank is a short
  arrow between their sides.

Everything is deterministic: the same scenario gives the same bytes. No ``style``
attribute or element is written (the Content-Security-Policy forbids inline styles):
colours are presentation attributes, which a stylesheet may override through the
``sg-*`` classes.
"""

from __future__ import annotations

import unicodedata
from collections import defaultdict, deque
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

from academy.scenarios.model import Choice, Ending, Node, Scenario

__all__ = ["DEFAULT_LABELS", "Box", "Edge", "Layout", "layout", "render_svg"]

# ---------------------------------------------------------------- geometry (SVG user units)

BOX_WIDTH = 132
BOX_HEIGHT = 58
BOX_GAP = 36  # between two boxes of a rank
NODE_RADIUS = 4
MARGIN = 12
PORT_INSET = 10  # no port closer than this to a box's corner
LABEL_PAD = 16  # under a rank, room for the count labels before any back-edge track
MIDDLE_GAP = 30  # between the tracks under a rank and those above the next one
ENTER_PAD = 10  # above a rank, between the boxes and the nearest back-edge track
TRACK = 8  # between two horizontal runs of back edges
LANE_MARGIN = 16  # between the outermost box and the first lane
LANE_GAP = 10  # between two lanes
SIDE_SPREAD = 12  # between two side arrows joining the same two boxes
CORNER = 6  # radius of a back edge's rounded corners

FONT = "system-ui, -apple-system, 'Segoe UI', 'Noto Sans CJK SC', 'PingFang SC', sans-serif"
FONT_SIZE = 12
HEAD_SIZE = 11
BOLD = 1.1  # bold Latin runs about this much wider
TAG_SIZE = 9.5
COUNT_SIZE = 10
TEXT_PAD = 8  # inside a node box
ENDING_PAD = 20  # inside an ending's pill (the outcome mark sits in its left end)
ENDING_HEAD_PAD = 10  # the same for the id line, near the top of the pill
TEXT_LINES = 2  # of about 9 CJK characters each: ~18, then an ellipsis
LINE_HEIGHT = 15
ARROW = 6  # arrowhead length for the thinnest edge
BASE_STROKE = 1.25
MAX_EXTRA_STROKE = 4.75  # added for a choice taken every time at its node
OUTCOME_MARKS = {"success": "\u2713", "partial": "\u25d0", "failure": "\u2717"}

SWEEPS = 6
PLACEMENT_PASSES = 3

# Default colours; a stylesheet can override them through the classes.
INK = "#2d3748"
MUTED = "#718096"
EDGE = "#8795a8"
BRAND = "#1f4e8c"
HIGHLIGHT = "#d97706"
NODE_FILL = "#ffffff"
OUTCOME_COLOURS = {  # fill, stroke
    "success": ("#e6f4ea", "#2f855a"),
    "partial": ("#fdf3dc", "#b7791f"),
    "failure": ("#fde8e8", "#c53030"),
}

#: The words the drawing uses; pass translations as ``labels=`` to :func:`render_svg`.
DEFAULT_LABELS: Mapping[str, str] = {
    "graph": "Scenario graph",
    "start": "start",
    "unreachable": "unreachable",
    "citizen": "Citizen",
    "success": "success",
    "partial": "partial",
    "failure": "failure",
    "when": "when",
    "otherwise": "otherwise",
    "offered": "offered when",
    "chosen": "chosen",
}

# ---------------------------------------------------------------- the layout


@dataclass(frozen=True)
class Box:
    """Where a node or an ending is drawn; ``x``/``y`` is the top-left corner."""

    id: str
    kind: str  # "node" | "ending"
    rank: int
    x: float
    y: float
    width: float
    height: float
    reachable: bool

    @property
    def center_x(self) -> float:
        return self.x + self.width / 2

    @property
    def bottom(self) -> float:
        return self.y + self.height


@dataclass(frozen=True)
class Edge:
    """One branch of one choice, routed.

    ``kind`` is ``forward`` (to the next rank: a curve from ``points[0]`` to ``points[-1]``),
    ``back`` (to the same or an earlier rank, along a lane: a polyline with rounded
    corners) or ``side`` (to the neighbouring box of the same rank: a straight arrow).
    ``conditional`` edges belong to a choice with ``branches:`` and are drawn dashed.
    """

    source: str
    target: str
    choice: str
    branch: int
    kind: str
    conditional: bool
    points: tuple[tuple[float, float], ...]


@dataclass(frozen=True)
class Layout:
    """The drawing's size, its ranks (in drawing order), boxes, edges, and choice ports."""

    width: float
    height: float
    ranks: tuple[tuple[str, ...], ...]
    boxes: Mapping[str, Box]
    edges: tuple[Edge, ...]
    ports: Mapping[str, tuple[float, float]]  # choice id → where its edges leave the box

    def rank_of(self, identifier: str) -> int:
        return self.boxes[identifier].rank


@dataclass(frozen=True)
class _Link:
    source: str
    target: str
    choice: str
    branch: int
    conditional: bool


def _links(scenario: Scenario) -> list[_Link]:
    """Every branch of every choice whose target exists, in file order."""
    known = set(scenario.nodes) | set(scenario.endings)
    links = []
    for node in scenario.nodes.values():
        for choice in node.choices:
            conditional = len(choice.branches) > 1 or any(
                b.when is not None for b in choice.branches
            )
            for index, branch in enumerate(choice.branches):
                if branch.target in known:
                    links.append(_Link(node.id, branch.target, choice.id, index, conditional))
    return links


def _vertices(scenario: Scenario) -> list[str]:
    return [*scenario.nodes, *(e for e in scenario.endings if e not in scenario.nodes)]


def _bfs_ranks(
    scenario: Scenario, links: Sequence[_Link]
) -> tuple[dict[str, int], list[str], set[str]]:
    """Breadth-first depth from ``start`` (the unreachable share the last rank), the
    vertices in discovery order (then the unreachable ones in file order), and the
    reachable ones."""
    successors: dict[str, list[str]] = defaultdict(list)
    for link in links:
        successors[link.source].append(link.target)
    depth: dict[str, int] = {}
    if scenario.start in scenario.nodes:
        depth[scenario.start] = 0
        queue = deque([scenario.start])
        while queue:
            current = queue.popleft()
            for target in successors[current]:
                if target not in depth:
                    depth[target] = depth[current] + 1
                    queue.append(target)
    discovered = list(depth)
    last = max(depth.values(), default=-1) + 1
    unreachable = [v for v in _vertices(scenario) if v not in depth]
    ranks = {**depth, **dict.fromkeys(unreachable, last)}
    return ranks, discovered + unreachable, set(depth)


# ---------------------------------------------------------------- ordering within ranks


def _crossings(order: Sequence[Sequence[str]], forward: Sequence[tuple[str, str]]) -> int:
    position = {v: i for rank in order for i, v in enumerate(rank)}
    by_rank: dict[int, list[tuple[int, int]]] = defaultdict(list)
    rank_of = {v: r for r, rank in enumerate(order) for v in rank}
    for source, target in forward:
        by_rank[rank_of[source]].append((position[source], position[target]))
    total = 0
    for pairs in by_rank.values():
        for i, (a1, b1) in enumerate(pairs):
            for a2, b2 in pairs[i + 1 :]:
                if (a1 - a2) * (b1 - b2) < 0:
                    total += 1
    return total


def _by_barycenter(
    rank: list[str], fixed: Sequence[str], neighbours: Mapping[str, list[str]]
) -> list[str]:
    """``rank`` sorted by the mean position of each vertex's neighbours in ``fixed``."""
    position = {v: i for i, v in enumerate(fixed)}

    def key(item: tuple[int, str]) -> tuple[float, int]:
        index, vertex = item
        near = [position[n] for n in neighbours.get(vertex, ()) if n in position]
        return (sum(near) / len(near) if near else float(index), index)

    return [v for _, v in sorted(enumerate(rank), key=key)]


def _order(
    ranks: list[list[str]], forward: Sequence[tuple[str, str]]
) -> list[list[str]]:
    """A few barycenter sweeps; the order with the fewest crossings wins (first on ties)."""
    above: dict[str, list[str]] = defaultdict(list)
    below: dict[str, list[str]] = defaultdict(list)
    for source, target in forward:
        above[target].append(source)
        below[source].append(target)
    order = [list(rank) for rank in ranks]
    best, fewest = [list(rank) for rank in order], _crossings(order, forward)
    for sweep in range(SWEEPS):
        if sweep % 2 == 0:
            for r in range(1, len(order)):
                order[r] = _by_barycenter(order[r], order[r - 1], above)
        else:
            for r in range(len(order) - 2, -1, -1):
                order[r] = _by_barycenter(order[r], order[r + 1], below)
        crossings = _crossings(order, forward)
        if crossings < fewest:
            best, fewest = [list(rank) for rank in order], crossings
    return best


# ---------------------------------------------------------------- horizontal positions


def _non_decreasing(values: Sequence[float]) -> list[float]:
    """The non-decreasing sequence nearest ``values`` (least squares): pool adjacent violators."""
    blocks: list[list[float]] = []  # [sum, count]
    for value in values:
        blocks.append([value, 1])
        while len(blocks) > 1 and blocks[-2][0] / blocks[-2][1] > blocks[-1][0] / blocks[-1][1]:
            total, count = blocks.pop()
            blocks[-1][0] += total
            blocks[-1][1] += count
    result: list[float] = []
    for total, count in blocks:
        result.extend([total / count] * int(count))
    return result


def _spread(desired: Sequence[float], step: float) -> list[float]:
    """Centres as near ``desired`` as can be, in the same order, ``step`` or more apart."""
    shifted = [d - i * step for i, d in enumerate(desired)]
    return [x + i * step for i, x in enumerate(_non_decreasing(shifted))]


def _positions(
    order: Sequence[Sequence[str]], forward: Sequence[tuple[str, str]]
) -> dict[str, float]:
    """Box centres: each rank packed and centred, then pulled towards its neighbours."""
    step = BOX_WIDTH + BOX_GAP
    x: dict[str, float] = {}
    for rank in order:
        for i, vertex in enumerate(rank):
            x[vertex] = (i - (len(rank) - 1) / 2) * step
    above: dict[str, list[str]] = defaultdict(list)
    below: dict[str, list[str]] = defaultdict(list)
    for source, target in forward:
        above[target].append(source)
        below[source].append(target)

    def pull(rank: Sequence[str], neighbours: Mapping[str, list[str]]) -> None:
        desired = []
        for vertex in rank:
            near = [x[n] for n in neighbours.get(vertex, ())]
            desired.append(sum(near) / len(near) if near else x[vertex])
        for vertex, centre in zip(rank, _spread(desired, step), strict=True):
            x[vertex] = centre

    for one_pass in range(PLACEMENT_PASSES):
        if one_pass % 2 == 0:
            for rank in order[1:]:
                pull(rank, above)
        else:
            for rank in reversed(order[:-1]):
                pull(rank, below)
    return x


# ---------------------------------------------------------------- routing


def _ports(count: int, left: float, width: float, inset: float) -> list[float]:
    span = width - 2 * inset
    return [left + inset + span * (i + 1) / (count + 1) for i in range(count)]


def _assign_lanes(spans: Sequence[tuple[int, int]]) -> list[int]:
    """Lane numbers (0 = innermost) for vertical spans ``(top gap, bottom gap)``: shorter
    spans inside, two spans share a lane only when they do not touch."""
    lanes: list[list[tuple[int, int]]] = []
    result = [0] * len(spans)
    for i in sorted(range(len(spans)), key=lambda i: (spans[i][1] - spans[i][0], spans[i], i)):
        top, bottom = spans[i]
        for number, taken in enumerate(lanes):
            if all(bottom < t or b < top for t, b in taken):
                taken.append(spans[i])
                result[i] = number
                break
        else:
            lanes.append([spans[i]])
            result[i] = len(lanes) - 1
    return result


def _assign_tracks(runs: Sequence[tuple[tuple, float, float]]) -> list[int]:
    """Track numbers (0 = nearest the boxes) for horizontal runs ``(key, x1, x2)``, taken in
    key order; two runs share a track only when they are well apart."""
    tracks: list[list[tuple[float, float]]] = []
    result = [0] * len(runs)
    for i in sorted(range(len(runs)), key=lambda i: (runs[i][0], i)):
        low, high = sorted(runs[i][1:])
        for number, taken in enumerate(tracks):
            if all(high + TRACK < a or b + TRACK < low for a, b in taken):
                taken.append((low, high))
                result[i] = number
                break
        else:
            tracks.append([(low, high)])
            result[i] = len(tracks) - 1
    return result


@dataclass(frozen=True)
class _Lanes:
    """Back edges' lanes: the side of each (by link index), its number and its x."""

    side: Mapping[int, str]
    number: Mapping[int, int]
    x: Mapping[int, float]
    left: float  # the leftmost lane, or the boxes' left edge when there is none
    right: float


def _classify(
    links: Sequence[_Link], rank_of: Mapping[str, int], slot: Mapping[str, int]
) -> list[str]:
    """``forward`` to the next rank, ``side`` to a neighbour in the rank, else ``back``."""
    kinds = []
    for link in links:
        source_rank, target_rank = rank_of[link.source], rank_of[link.target]
        if target_rank == source_rank + 1:
            kinds.append("forward")
        elif target_rank == source_rank and abs(slot[link.source] - slot[link.target]) == 1:
            kinds.append("side")
        else:
            kinds.append("back")
    return kinds


def _lanes(
    links: Sequence[_Link],
    back: Sequence[int],
    rank_of: Mapping[str, int],
    centre: Mapping[str, float],
) -> _Lanes:
    """A lane beside the boxes for each back edge, on the side nearer its two ends."""
    half = BOX_WIDTH / 2
    left_edge = min((c - half for c in centre.values()), default=0.0)
    right_edge = max((c + half for c in centre.values()), default=0.0)
    middle = (left_edge + right_edge) / 2
    side = {}
    for i in back:
        mean = (centre[links[i].source] + centre[links[i].target]) / 2
        side[i] = "left" if mean < middle else "right"
    number: dict[int, int] = {}
    x: dict[int, float] = {}
    for which in ("left", "right"):
        members = [i for i in back if side[i] == which]
        spans = [(rank_of[links[i].target], rank_of[links[i].source] + 1) for i in members]
        for i, lane in zip(members, _assign_lanes(spans), strict=True):
            number[i] = lane
            offset = LANE_MARGIN + lane * LANE_GAP
            x[i] = left_edge - offset if which == "left" else right_edge + offset
    left = min([left_edge, *(x[i] for i in back if side[i] == "left")])
    right = max([right_edge, *(x[i] for i in back if side[i] == "right")])
    return _Lanes(side, number, x, left, right)


def _out_ports(
    scenario: Scenario,
    links: Sequence[_Link],
    kinds: Sequence[str],
    centre: Mapping[str, float],
    lanes: _Lanes,
) -> dict[str, float]:
    """Choice id → x of its port under its node, the ports ordered by where their edges
    go (lanes count as beyond everything; inner lanes nearer the middle). Side arrows
    leave from the box's side, so a choice with only those has no port."""
    far = (lanes.right - lanes.left) + 10 * BOX_WIDTH

    def heading(i: int) -> float:
        if kinds[i] == "forward":
            return centre[links[i].target]
        if lanes.side[i] == "left":
            return lanes.left - far + lanes.number[i]
        return lanes.right + far - lanes.number[i]

    by_choice: dict[str, list[int]] = defaultdict(list)
    for i, link in enumerate(links):
        if kinds[i] != "side":
            by_choice[link.choice].append(i)
    port_x: dict[str, float] = {}
    for node in scenario.nodes.values():
        ported = [c.id for c in node.choices if c.id in by_choice]
        ported.sort(key=lambda c: (sum(map(heading, by_choice[c])) / len(by_choice[c]), c))
        xs = _ports(len(ported), centre[node.id] - BOX_WIDTH / 2, BOX_WIDTH, PORT_INSET)
        port_x.update(zip(ported, xs, strict=True))
    return port_x


def _in_ports(
    scenario: Scenario,
    links: Sequence[_Link],
    kinds: Sequence[str],
    centre: Mapping[str, float],
    lanes: _Lanes,
    port_x: Mapping[str, float],
) -> dict[int, float]:
    """Link index → x of its port on top of its target, ordered by where it comes from:
    left lanes (inner first), the rank above, right lanes (inner last)."""

    def arrival(i: int) -> tuple[int, float, int]:
        if kinds[i] == "forward":
            return (1, port_x[links[i].choice], i)
        if lanes.side[i] == "left":
            return (0, lanes.number[i], i)
        return (2, -lanes.number[i], i)

    incoming: dict[str, list[int]] = defaultdict(list)
    for i, link in enumerate(links):
        if kinds[i] != "side":
            incoming[link.target].append(i)
    in_x: dict[int, float] = {}
    for target, members in incoming.items():
        members.sort(key=arrival)
        inset = PORT_INSET if target in scenario.nodes else BOX_HEIGHT / 2  # a pill's ends
        xs = _ports(len(members), centre[target] - BOX_WIDTH / 2, BOX_WIDTH, inset)
        in_x.update(zip(members, xs, strict=True))
    return in_x


def _tracks(
    runs_by_gap: Mapping[int, Sequence[int]],
    lanes: _Lanes,
    port_of: Mapping[int, float],
) -> tuple[dict[int, int], dict[int, int]]:
    """Link index → track of its horizontal run in a gap, and gap → tracks used."""
    track: dict[int, int] = {}
    depth: dict[int, int] = defaultdict(int)
    for gap, members in sorted(runs_by_gap.items()):
        runs = [((lanes.number[i], lanes.side[i]), port_of[i], lanes.x[i]) for i in members]
        for i, number in zip(members, _assign_tracks(runs), strict=True):
            track[i] = number
            depth[gap] = max(depth[gap], number + 1)
    return track, depth


def _rank_tops(
    rank_count: int, leave_depth: Mapping[int, int], enter_depth: Mapping[int, int]
) -> tuple[list[float], float]:
    """The y of each rank's top, and the drawing's height. Gap g lies above rank g (gap
    ``rank_count`` under the last): count labels, runs leaving the rank above, a middle,
    runs entering the rank below."""
    tops: list[float] = []
    y = MARGIN + (enter_depth[0] * TRACK + ENTER_PAD if enter_depth[0] else 0)
    for r in range(rank_count):
        if r:
            y += LABEL_PAD + leave_depth[r] * TRACK + MIDDLE_GAP
            y += enter_depth[r] * TRACK + ENTER_PAD
        tops.append(y)
        y += BOX_HEIGHT
    return tops, y + LABEL_PAD + leave_depth[rank_count] * TRACK + MARGIN


def _side_points(
    index: int, link: _Link, groups: Mapping[frozenset[str], list[int]], boxes: Mapping[str, Box]
) -> tuple[tuple[float, float], ...]:
    """A straight arrow between neighbours' facing sides, spread from any others there."""
    source, target = boxes[link.source], boxes[link.target]
    group = groups[frozenset((link.source, link.target))]
    y = source.y + source.height / 2 + (group.index(index) - (len(group) - 1) / 2) * SIDE_SPREAD
    if source.x < target.x:
        return ((source.x + source.width, y), (target.x, y))
    return ((source.x, y), (target.x + target.width, y))


def layout(scenario: Scenario) -> Layout:
    """Place every node and ending and route every branch of every choice."""
    links = _links(scenario)
    rank_of, discovered, reached = _bfs_ranks(scenario, links)
    rank_count = max(rank_of.values(), default=-1) + 1
    ranks: list[list[str]] = [[] for _ in range(rank_count)]
    for vertex in discovered:
        ranks[rank_of[vertex]].append(vertex)
    forward = [(k.source, k.target) for k in links if rank_of[k.target] == rank_of[k.source] + 1]
    order = _order(ranks, forward)
    centre = _positions(order, forward)
    kinds = _classify(links, rank_of, {v: i for rank in order for i, v in enumerate(rank)})
    back = [i for i, kind in enumerate(kinds) if kind == "back"]
    lanes = _lanes(links, back, rank_of, centre)
    port_x = _out_ports(scenario, links, kinds, centre, lanes)
    in_x = _in_ports(scenario, links, kinds, centre, lanes, port_x)

    leaving: dict[int, list[int]] = defaultdict(list)
    entering: dict[int, list[int]] = defaultdict(list)
    for i in back:
        leaving[rank_of[links[i].source] + 1].append(i)
        entering[rank_of[links[i].target]].append(i)
    leave_track, leave_depth = _tracks(leaving, lanes, {i: port_x[links[i].choice] for i in back})
    enter_track, enter_depth = _tracks(entering, lanes, in_x)
    tops, height = _rank_tops(rank_count, leave_depth, enter_depth)

    dx = MARGIN - lanes.left  # shifted so that the leftmost lane sits at the margin
    width = lanes.right - lanes.left + 2 * MARGIN
    if not centre:
        width, height = 2 * MARGIN + BOX_WIDTH, 2 * MARGIN + BOX_HEIGHT
    boxes = {
        v: Box(
            v,
            "node" if v in scenario.nodes else "ending",
            rank_of[v],
            centre[v] - BOX_WIDTH / 2 + dx,
            tops[rank_of[v]],
            BOX_WIDTH,
            BOX_HEIGHT,
            v in reached,
        )
        for rank in order
        for v in rank
    }

    side_groups: dict[frozenset[str], list[int]] = defaultdict(list)
    for i, kind in enumerate(kinds):
        if kind == "side":
            side_groups[frozenset((links[i].source, links[i].target))].append(i)
    edges = []
    for i, link in enumerate(links):
        source, target = boxes[link.source], boxes[link.target]
        if kinds[i] == "forward":
            points = ((port_x[link.choice] + dx, source.bottom), (in_x[i] + dx, target.y))
        elif kinds[i] == "side":
            points = _side_points(i, link, side_groups, boxes)
        else:
            x_out, x_lane, x_in = port_x[link.choice] + dx, lanes.x[i] + dx, in_x[i] + dx
            y_out = source.bottom + LABEL_PAD + leave_track[i] * TRACK + TRACK / 2
            y_in = target.y - ENTER_PAD - enter_track[i] * TRACK - TRACK / 2
            points = (
                (x_out, source.bottom),
                (x_out, y_out),
                (x_lane, y_out),
                (x_lane, y_in),
                (x_in, y_in),
                (x_in, target.y),
            )
        edges.append(
            Edge(link.source, link.target, link.choice, link.branch, kinds[i],
                 link.conditional, points)
        )

    owner = {c.id: node.id for node in scenario.nodes.values() for c in node.choices}
    return Layout(
        width=width,
        height=height,
        ranks=tuple(tuple(rank) for rank in order),
        boxes=boxes,
        edges=tuple(edges),
        ports={c: (x + dx, boxes[owner[c]].bottom) for c, x in port_x.items()},
    )


# ---------------------------------------------------------------- text


_NARROW = set("fijlrtI.,:;'!|-()[]{}/\\ ")
_WIDE = set("mwMW@%&#<>=+~^*_")
_NO_LINE_START = set("，。、；：！？）》」』”’…,.;:!?)")


def _em(char: str) -> float:
    """Rough advance of ``char`` in em: CJK and full-width are square, Latin narrower."""
    if unicodedata.east_asian_width(char) in ("W", "F") or char in "\u2026\u25d0\u2713\u2717":
        return 1.0
    if char in _NARROW:
        return 0.32
    if char in _WIDE:
        return 0.88
    return 0.68 if char.isupper() else 0.58


def _width(text: str) -> float:
    return sum(_em(c) for c in text)


def _fit(text: str, em: float) -> str:
    """``text``, cut with an ellipsis if it is wider than ``em``."""
    if _width(text) <= em:
        return text
    kept, used = [], _em("\u2026")
    for char in text:
        used += _em(char)
        if used > em:
            break
        kept.append(char)
    return "".join(kept).rstrip() + "\u2026"


def _wrap(text: str, em: float, lines: int = TEXT_LINES) -> list[str]:
    """``text`` on at most ``lines`` lines of ``em``; the last one ends in an ellipsis if
    the text goes on. Latin text breaks at a space when there is one."""
    rest = " ".join(text.split())
    result: list[str] = []
    while rest and len(result) < lines - 1 and _width(rest) > em:
        cut, used = 0, 0.0
        while cut < len(rest) and used + _em(rest[cut]) <= em:
            used += _em(rest[cut])
            cut += 1
        space = rest.rfind(" ", 0, cut + 1)
        if space > cut // 2:
            cut = space
        while cut < len(rest) and rest[cut] in _NO_LINE_START:  # keep "。" off a line start
            cut += 1
        result.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    if rest:
        result.append(_fit(rest, em))
    return result


def _num(value: float, places: int = 1) -> str:
    text = f"{value:.{places}f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _attrs(**values: object) -> str:
    """`` name="value"`` pairs, escaped; underscores become dashes, None is left out."""
    return "".join(
        f' {name.rstrip("_").replace("_", "-")}="{escape(value)}"'
        for name, value in values.items()
        if value is not None
    )


def _element(name: str, **attrs: object) -> str:
    return f"<{name}{_attrs(**attrs)}/>"


def _text(x: float, y: float, content: str, **attrs: object) -> str:
    return f"<text{_attrs(x=_num(x), y=_num(y), **attrs)}>{escape(content)}</text>"


def _clipped(box: Box, inset: float, texts: Sequence[str]) -> str:
    """``texts`` cut off ``inset`` inside ``box``, should a font be wider than reckoned: a
    nested ``<svg>`` clips to its viewport, and its viewBox keeps the coordinates."""
    x, width = box.x + inset, box.width - 2 * inset
    viewport = _attrs(
        x=_num(x),
        y=_num(box.y),
        width=_num(width),
        height=_num(box.height),
        viewBox=f"{_num(x)} {_num(box.y)} {_num(width)} {_num(box.height)}",
        overflow="hidden",
    )
    return f"<svg{viewport}>{''.join(texts)}</svg>"


# ---------------------------------------------------------------- the SVG


def render_svg(
    scenario: Scenario,
    *,
    counts: Mapping[str, int] | None = None,
    highlight: Iterable[str] = (),
    labels: Mapping[str, str] | None = None,
) -> Markup:
    """The scenario as one ``<svg>``: boxes link to ``#node-<id>`` / ``#ending-<id>``.

    ``counts`` (choice id → times chosen) thickens each edge by its choice's share of the
    choices made at its node and labels it with the count; ``highlight`` names nodes and
    endings to mark (class ``sg-hl``); ``labels`` translates :data:`DEFAULT_LABELS`.
    """
    words = {**DEFAULT_LABELS, **(labels or {})}
    marked = set(highlight)
    drawn = layout(scenario)
    widths = _stroke_widths(scenario, counts)
    parts = [
        "<svg"
        + _attrs(
            xmlns="http://www.w3.org/2000/svg",
            class_="sg",
            viewBox=f"0 0 {_num(drawn.width)} {_num(drawn.height)}",
            width="100%",
            role="img",
            aria_label=f"{words['graph']}: {scenario.title}",
            font_family=FONT,
            font_size=FONT_SIZE,
        )
        + ">"
    ]
    choices = {choice.id: choice for _, choice in scenario.all_choices()}
    parts.append('<g class="sg-edges">')
    for edge in drawn.edges:
        choice = choices[edge.choice]
        parts.append(_edge_svg(edge, choice, widths.get(choice.id, BASE_STROKE), counts, words))
    parts.append("</g>")
    parts.append('<g class="sg-boxes">')
    for rank in drawn.ranks:
        for identifier in rank:
            box = drawn.boxes[identifier]
            if box.kind == "node":
                node = scenario.nodes[identifier]
                start = identifier == scenario.start
                parts.append(_node_svg(box, node, start, identifier in marked, words))
            else:
                ending = scenario.endings[identifier]
                parts.append(_ending_svg(box, ending, identifier in marked, words))
    parts.append("</g>")
    if counts is not None:
        parts.append(_count_labels(drawn, counts))
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every value went through escape()


def _stroke_widths(scenario: Scenario, counts: Mapping[str, int] | None) -> dict[str, float]:
    """Choice id → stroke width: thicker for a larger share of the choices at its node."""
    if counts is None:
        return {}
    widths = {}
    for node in scenario.nodes.values():
        total = sum(max(0, counts.get(c.id, 0)) for c in node.choices)
        for choice in node.choices:
            share = max(0, counts.get(choice.id, 0)) / total if total else 0.0
            widths[choice.id] = BASE_STROKE + MAX_EXTRA_STROKE * share
    return widths


def _edge_title(
    edge: Edge, choice: Choice, counts: Mapping[str, int] | None, words: Mapping[str, str]
) -> str:
    lines = [f"{choice.id}: {choice.text}"]
    if choice.when is not None:
        lines.append(f"{words['offered']}: {choice.when.source}")
    if edge.conditional:
        when = choice.branches[edge.branch].when
        lines.append(f"{words['when']}: {when.source}" if when else words["otherwise"])
    lines.append(f"\u2192 {edge.target}")
    if counts is not None:
        lines.append(f"{words['chosen']}: {counts.get(choice.id, 0)}")
    return "\n".join(lines)


def _edge_svg(
    edge: Edge,
    choice: Choice,
    width: float,
    counts: Mapping[str, int] | None,
    words: Mapping[str, str],
) -> str:
    d, arrow = _edge_path(edge, width)
    classes = f"sg-edge sg-{edge.kind}" + (" sg-branch" if edge.conditional else "")
    group = _attrs(
        class_=classes,
        data_choice=edge.choice,
        data_source=edge.source,
        data_target=edge.target,
        data_branch=edge.branch,
    )
    title = escape(_edge_title(edge, choice, counts, words))
    dash = "5 3" if edge.conditional else None
    return "".join(
        (
            f"<g{group}><title>{title}</title>",
            _element("path", class_="sg-hit", d=d, fill="none", stroke="#000",
                     stroke_opacity=0, stroke_width=10),
            _element("path", class_="sg-line", d=d, fill="none", stroke=EDGE,
                     stroke_width=_num(width, 2), stroke_dasharray=dash),
            _element("path", class_="sg-arrow", d=arrow, fill=EDGE),
            "</g>",
        )
    )


def _edge_path(edge: Edge, width: float) -> tuple[str, str]:
    """The edge's path data, stopped short of the tip, and its arrowhead's."""
    length = ARROW + 1.2 * width
    points = [p for i, p in enumerate(edge.points) if i == 0 or p != edge.points[i - 1]]
    (x1, y1), (x2, y2) = points[-2], points[-1]
    if edge.kind == "forward":
        dx, dy = 0.0, 1.0
    else:
        span = max(abs(x2 - x1), abs(y2 - y1)) or 1.0
        dx, dy = (x2 - x1) / span, (y2 - y1) / span
    stop = (x2 - dx * length * 0.7, y2 - dy * length * 0.7)
    if edge.kind == "forward":
        (sx, sy), bend = points[0], (y2 - points[0][1]) / 2
        d = (
            f"M{_num(sx)} {_num(sy)}C{_num(sx)} {_num(sy + bend)} {_num(x2)} {_num(y2 - bend)} "
            f"{_num(stop[0])} {_num(stop[1])}"
        )
    else:
        d = _rounded([*points[:-1], stop])
    half = length * 0.45
    base = (x2 - dx * length, y2 - dy * length)
    arrow = (
        f"M{_num(x2)} {_num(y2)}L{_num(base[0] - dy * half)} {_num(base[1] + dx * half)}"
        f"L{_num(base[0] + dy * half)} {_num(base[1] - dx * half)}Z"
    )
    return d, arrow


def _rounded(points: Sequence[tuple[float, float]]) -> str:
    """A polyline of horizontal and vertical segments, its corners rounded."""
    d = [f"M{_num(points[0][0])} {_num(points[0][1])}"]
    for (ax, ay), (bx, by), (cx, cy) in zip(points, points[1:], points[2:], strict=False):
        before, after = abs(bx - ax) + abs(by - ay), abs(cx - bx) + abs(cy - by)
        r = min(CORNER, before / 2, after / 2)
        inx, iny = bx - (bx - ax) / before * r, by - (by - ay) / before * r
        outx, outy = bx + (cx - bx) / after * r, by + (cy - by) / after * r
        d.append(f"L{_num(inx)} {_num(iny)}Q{_num(bx)} {_num(by)} {_num(outx)} {_num(outy)}")
    d.append(f"L{_num(points[-1][0])} {_num(points[-1][1])}")
    return "".join(d)


def _node_svg(box: Box, node: Node, start: bool, marked: bool, words: Mapping[str, str]) -> str:
    classes = ["sg-node"]
    tag, tag_colour = "", MUTED
    stroke, stroke_width, fill, dash = INK, 1.2, NODE_FILL, None
    if start:
        classes.append("sg-start")
        tag, tag_colour, stroke, stroke_width = words["start"], BRAND, BRAND, 2.5
    if not box.reachable:
        classes.append("sg-unreachable")
        tag, fill, dash = words["unreachable"], "#f4f5f7", "4 3"
    if marked:
        classes.append("sg-hl")
        stroke, stroke_width = HIGHLIGHT, 3
    title = [f"{node.id} ({tag})" if tag else node.id, node.situation]
    if node.citizen:
        title.append(f"{words['citizen']}: {node.citizen}")
    inner = box.width - 2 * TEXT_PAD
    tag_em = _width(tag) * TAG_SIZE / HEAD_SIZE
    head = _fit(node.id, inner / (HEAD_SIZE * BOLD) - (tag_em + 0.6 if tag else 0))
    left = box.x + TEXT_PAD
    texts = [
        _text(left, box.y + 16, head, class_="sg-id", font_size=HEAD_SIZE, font_weight="bold",
              fill=INK),
    ]
    if tag:
        texts.append(_text(box.x + box.width - TEXT_PAD, box.y + 16, tag, class_="sg-tag",
                           font_size=TAG_SIZE, text_anchor="end", fill=tag_colour))
    for i, line in enumerate(_wrap(node.situation or node.citizen, inner / FONT_SIZE)):
        texts.append(_text(left, box.y + 33 + i * LINE_HEIGHT, line, class_="sg-text",
                           fill=INK))
    return "".join(
        (
            f"<a{_attrs(href=f'#node-{node.id}', class_=' '.join(classes), data_node=node.id)}>",
            f"<title>{escape(chr(10).join(t for t in title if t))}</title>",
            _element("rect", x=_num(box.x), y=_num(box.y), width=_num(box.width),
                     height=_num(box.height), rx=NODE_RADIUS, fill=fill, stroke=stroke,
                     stroke_width=stroke_width, stroke_dasharray=dash),
            _clipped(box, 3, texts),
            "</a>",
        )
    )


def _ending_svg(box: Box, ending: Ending, marked: bool, words: Mapping[str, str]) -> str:
    fill, stroke = OUTCOME_COLOURS.get(ending.outcome, (NODE_FILL, INK))
    classes = ["sg-ending", f"sg-{ending.outcome}"]
    stroke_width, dash = 1.5, None
    if not box.reachable:
        classes.append("sg-unreachable")
        dash = "4 3"
    if marked:
        classes.append("sg-hl")
        stroke, stroke_width = HIGHLIGHT, 3
    outcome = words.get(ending.outcome, ending.outcome)
    title = [f"{ending.id} ({outcome})", ending.title, ending.text]
    if not box.reachable:
        title[0] = f"{ending.id} ({outcome}, {words['unreachable']})"
    inner = box.width - 2 * ENDING_PAD
    # The id line is near the top, where the pill is nearly as wide as its box.
    head = _fit(ending.id, (box.width - 2 * ENDING_HEAD_PAD) / (HEAD_SIZE * BOLD))
    middle = box.x + box.width / 2
    texts = [
        _text(middle, box.y + 16, head, class_="sg-id", font_size=HEAD_SIZE,
              font_weight="bold", text_anchor="middle", fill=INK),
    ]
    for i, line in enumerate(_wrap(ending.title, inner / FONT_SIZE)):
        texts.append(_text(middle, box.y + 33 + i * LINE_HEIGHT, line, class_="sg-text",
                           text_anchor="middle", fill=INK))
    parts = [
        "<a" + _attrs(href=f"#ending-{ending.id}", class_=" ".join(classes),
                      data_ending=ending.id) + ">",
        f"<title>{escape(chr(10).join(t for t in title if t))}</title>",
        _element("rect", x=_num(box.x), y=_num(box.y), width=_num(box.width),
                 height=_num(box.height), rx=_num(box.height / 2), fill=fill, stroke=stroke,
                 stroke_width=stroke_width, stroke_dasharray=dash),
        _clipped(box, ENDING_HEAD_PAD - 4, texts),
    ]
    mark = OUTCOME_MARKS.get(ending.outcome)
    if mark:  # the outcome, for those who cannot tell the colours apart
        parts.append(_text(box.x + 11, box.y + box.height / 2 + 4, mark, class_="sg-mark",
                           font_size=HEAD_SIZE, text_anchor="middle", fill=stroke))
    parts.append("</a>")
    return "".join(parts)


def _count_labels(drawn: Layout, counts: Mapping[str, int]) -> str:
    """How often each choice was taken, beside the port its edges leave from."""
    parts = ['<g class="sg-counts">']
    halo = {"stroke": "#fff", "stroke_width": 3, "paint_order": "stroke", "fill": INK}
    done: set[str] = set()
    for edge in drawn.edges:
        if edge.choice in done:
            continue
        done.add(edge.choice)
        count = str(counts.get(edge.choice, 0))
        if edge.choice in drawn.ports:
            x, y = drawn.ports[edge.choice]
            parts.append(_text(x + 3, y + 11, count, class_="sg-count", data_count=edge.choice,
                               font_size=COUNT_SIZE, **halo))
        else:  # a side arrow: the label above it, or under it if it is the lower of two
            (x1, y1), (x2, _) = edge.points[0], edge.points[-1]
            box = drawn.boxes[edge.source]
            y = y1 + 11 if y1 > box.y + box.height / 2 else y1 - 4
            parts.append(_text((x1 + x2) / 2, y, count, class_="sg-count",
                               data_count=edge.choice, font_size=COUNT_SIZE,
                               text_anchor="middle", **halo))
    parts.append("</g>")
    return "".join(parts)
