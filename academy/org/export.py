"""The staff roster as an XLSX workbook, in the import format (so it can be re-imported)."""

from __future__ import annotations

import io
from collections.abc import Iterable
from datetime import date
from typing import Any

from flask_babel import gettext as _

from academy.extensions import db
from academy.org.models import OrgUnit, Worker
from academy.org.roster import COLUMNS, EMPLOYMENT_TYPE_TEXT, HEADERS, STATUS_TEXT
from academy.org.services import WorkerFilters, worker_query

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
UNIT_NAME_HEADER = "所属单位名称"  # an extra column for readers; the import ignores it
_FORMULA_START = ("=", "+", "-", "@")
_WIDTHS = {"employee_no": 12, "name": 10, "org_unit": 14, "employment_type": 14,
           "employer": 26, "hire_date": 12, "post": 14, "status": 8, "leave_date": 12,
           "leave_reason": 24}


def export_headers() -> list[str]:
    """The export's column headers: the import columns plus the unit's name."""
    headers = [c.header for c in COLUMNS]
    headers.insert(headers.index(HEADERS["org_unit"]) + 1, UNIT_NAME_HEADER)
    return headers


def _row(worker: Worker) -> list[Any]:
    return [
        worker.employee_no,
        worker.name,
        worker.org_unit.code,
        worker.org_unit.name,
        EMPLOYMENT_TYPE_TEXT[worker.employment_type],
        worker.employer,
        worker.hire_date,
        worker.post,
        STATUS_TEXT[worker.status],
        worker.leave_date,
        worker.leave_reason,
    ]


def workers_to_xlsx(workers: Iterable[Worker]) -> bytes:
    """An XLSX roster of ``workers`` (write-only mode: memory stays flat for big lists)."""
    import openpyxl
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet(_("Roster")[:31])
    widths = [_WIDTHS.get(c.key, 12) for c in COLUMNS]
    widths.insert(3, 24)
    for position, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(position)].width = width
    sheet.freeze_panes = "A2"
    bold = Font(bold=True)
    header_cells = []
    for text in export_headers():
        cell = WriteOnlyCell(sheet, value=text)
        cell.font = bold
        header_cells.append(cell)
    sheet.append(header_cells)
    for worker in workers:
        cells = []
        for value in _row(worker):
            cell = WriteOnlyCell(sheet, value=value)
            if isinstance(value, date):
                cell.number_format = "yyyy-mm-dd"
            elif isinstance(value, str) and value.startswith(_FORMULA_START):
                cell.data_type = "s"  # text typed by a person is never run as a formula
            cells.append(cell)
        sheet.append(cells)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def workers_xlsx(scope: OrgUnit, filters: WorkerFilters) -> bytes:
    """The staff within ``scope`` matching ``filters``, as an XLSX roster."""
    stmt = worker_query(scope, filters).execution_options(yield_per=1000)
    return workers_to_xlsx(db.session.scalars(stmt))
