"""What the scenario editor's forms post, built from a stored definition (as a browser would
send the page unchanged), so a test changes only what it is about."""

from __future__ import annotations

from typing import Any

from academy.scenarios import authoring
from academy.scenarios.forms import choice_data


def node_form(definition: dict[str, Any], node_id: str, *, base: str | None = None,
              spare: dict[str, Any] | None = None) -> dict[str, str]:
    """The node's form as the editor shows it; ``spare`` fills in the empty last row."""
    prefix = f"n-{node_id}"
    node = next(n for n in definition["nodes"] if n["id"] == node_id)
    data = {f"{prefix}-situation": node["situation"],
            f"{prefix}-citizen": node.get("citizen", "")}
    if base is not None:
        data[f"{prefix}-base"] = base
    rows = [choice_data(authoring.choice_edit(c)) for c in node["choices"]]
    if spare is not None:
        rows.append(spare)
    for index, row in enumerate(rows):
        for key, value in row.items():
            name = f"{prefix}-choices-{index}-{key}"
            if key in ("taboo", "remove"):
                if value:
                    data[name] = "y"
            elif value is not None:
                data[name] = str(value)
    return data


def choice_key(definition: dict[str, Any], node_id: str, choice_id: str, key: str) -> str:
    """The posted name of a field of one choice row of the node's form."""
    node = next(n for n in definition["nodes"] if n["id"] == node_id)
    index = next(i for i, c in enumerate(node["choices"]) if c["id"] == choice_id)
    return f"n-{node_id}-choices-{index}-{key}"


def settings_form(definition: dict[str, Any], *, base: str | None = None) -> dict[str, str]:
    """The settings form (title, start, variables) as the editor shows it."""
    data = {"settings-title": definition["title"], "settings-summary":
            definition.get("summary", ""), "settings-start": definition["start"],
            "settings-max_steps": str(definition.get("max_steps", ""))}
    if base is not None:
        data["settings-base"] = base
    for index, variable in enumerate(authoring.variable_edits(definition)):
        prefix = f"settings-variables-{index}-"
        data.update({prefix + "name": variable.name, prefix + "type": variable.type,
                     prefix + "initial": variable.initial, prefix + "label": variable.label,
                     prefix + "min": "" if variable.min is None else str(variable.min),
                     prefix + "max": "" if variable.max is None else str(variable.max)})
    return data
