"""Roster import from CSV (UTF-8 or GBK) or XLSX with Chinese headers.

Contract used by the import page and ``POST /api/v1/workers/import``; implemented in full
by the staff-roster work.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from academy.org.models import OrgUnit


@dataclass
class RowError:
    row: int  # 1-based spreadsheet row number (the header is row 1)
    column: str  # the Chinese column header, or "" for a whole-file problem
    message: str


@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)
    dry_run: bool = True

    def as_dict(self) -> dict:
        return {
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "errors": [{"row": e.row, "column": e.column, "message": e.message}
                       for e in self.errors],
            "dry_run": self.dry_run,
        }


def import_roster(data: bytes, filename: str, *, scope: OrgUnit, dry_run: bool) -> ImportReport:
    """Validate every row; write (upsert by employee number) only if all rows are valid."""
    raise NotImplementedError
