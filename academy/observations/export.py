"""Observations as an XLSX workbook: one row per observation, and one per criterion score."""

from __future__ import annotations

import io
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from flask_babel import gettext as _
from flask_babel import to_user_timezone
from sqlalchemy import Select

from academy.extensions import db
from academy.observations.forms import kind_labels
from academy.observations.models import Observation
from academy.timeutil import aware

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_FORMULA_START = ("=", "+", "-", "@")


def _local(value: datetime) -> datetime:
    """A stored time as the user's wall-clock time (spreadsheets have no time zones)."""
    return to_user_timezone(aware(value)).replace(tzinfo=None)


def _role(role: str) -> str:
    return {"assessor": _("Assessor"), "instructor": _("Instructor"),
            "admin": _("Administrator")}.get(role, role)


def observations_to_xlsx(observations: Iterable[Observation]) -> bytes:
    """Two sheets: the observations, and every criterion's score and note (long format)."""
    import openpyxl
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    book = openpyxl.Workbook(write_only=True)
    summary = book.create_sheet(_("Observations")[:31])
    scores = book.create_sheet(_("Scores")[:31])
    bold = Font(bold=True)

    def append(sheet, values: list[Any], header: bool = False) -> None:
        cells = []
        for value in values:
            cell = WriteOnlyCell(sheet, value=value)
            if header:
                cell.font = bold
            elif isinstance(value, datetime):
                cell.number_format = "yyyy-mm-dd hh:mm"
            elif isinstance(value, str) and value.startswith(_FORMULA_START):
                cell.data_type = "s"  # text typed by a person is never run as a formula
            cells.append(cell)
        sheet.append(cells)

    for sheet in (summary, scores):
        sheet.freeze_panes = "A2"
    append(summary, [_("No."), _("Observed at"), _("Employee number"), _("Full name"),
                     _("Org unit"), _("Rubric"), _("What was observed"), _("Observer"),
                     _("Observer's role"), _("Mean score"), _("Criteria scored"),
                     _("Overall notes")], header=True)
    append(scores, [_("No."), _("Employee number"), _("Full name"), _("Rubric"),
                    _("Criterion"), _("Criterion code"), _("Skill"), _("Score"), _("Note")],
           header=True)
    kinds = kind_labels()
    for observation in observations:
        worker = observation.worker
        rows = observation.rows()
        append(summary, [
            observation.id, _local(observation.observed_at), worker.employee_no, worker.name,
            observation.org_unit.name, observation.rubric_title,
            str(kinds.get(observation.kind, observation.kind)),
            observation.observer.display_name, _role(observation.observer_role),
            observation.mean_score, sum(1 for row in rows if row["score"] is not None),
            observation.notes,
        ])
        for row in rows:
            append(scores, [observation.id, worker.employee_no, worker.name,
                            observation.rubric_code, row["name"], row["code"], row.get("skill"),
                            row["score"] if row["score"] is not None else _("Not observed"),
                            row["note"]])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def observations_xlsx(stmt: Select) -> bytes:
    """The observations ``stmt`` selects, as an XLSX workbook."""
    return observations_to_xlsx(db.session.scalars(stmt).unique())
