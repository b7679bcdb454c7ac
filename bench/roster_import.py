"""Benchmark the roster import: 5,000 rows as XLSX and as CSV into a fresh SQLite database.

Run with ``.venv/bin/python bench/roster_import.py [rows]``. Prints seconds (and rows per
second) for a dry run, the real import, a re-import of the same file (all unchanged)
and an import where every row changed (new post; a third also move unit), per format.
"""

from __future__ import annotations

import csv
import io
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

import openpyxl

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from academy import create_app  # noqa: E402
from academy.extensions import db  # noqa: E402
from academy.org import services  # noqa: E402
from academy.org.roster import COLUMNS, import_roster  # noqa: E402
from config import TestConfig  # noqa: E402

TYPES = ["在编公务员", "事业编制", "劳务派遣合同"]


def build_rows(count: int, prefix: str, units: list[str]) -> list[list]:
    """``count`` plausible rows spread over ``units``; every tenth person has left."""
    rows = []
    start = date(2015, 1, 1)
    for i in range(count):
        hired = start + timedelta(days=i % 3000)
        etype = TYPES[i % 3]
        left = i % 10 == 9
        rows.append([
            f"{prefix}{i:06d}", f"员工{i}", units[i % len(units)], etype,
            "某某人力资源服务有限公司" if etype == "劳务派遣合同" else None, hired,
            "综合窗口" if i % 2 else "社保窗口", "离职" if left else "在职",
            hired + timedelta(days=30) if left else None, "合同到期" if left else None,
        ])
    return rows


def as_xlsx(rows: list[list]) -> bytes:
    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet("花名册")
    sheet.append([c.header for c in COLUMNS])
    for values in rows:
        sheet.append(values)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def as_csv(rows: list[list]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([c.header for c in COLUMNS])
    for values in rows:
        writer.writerow(["" if v is None else v.isoformat() if isinstance(v, date) else v
                         for v in values])
    return out.getvalue().encode("gb18030")  # the harder case: a GBK file from Excel


def timed(label: str, rows: int, fn):
    began = time.perf_counter()
    result = fn()
    seconds = time.perf_counter() - began
    print(f"  {label:<10} {seconds:7.3f} s  {rows / seconds:9.0f} rows/s   "
          f"created={result.created} updated={result.updated} unchanged={result.unchanged} "
          f"errors={len(result.errors)}")
    return result


def main(count: int = 5000) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app(TestConfig, SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp}/bench.db")
        with app.app_context():
            db.create_all()
            district = services.create_unit(code="D", name="示例区", level="district",
                                            parent=None)
            units = []
            for s in range(1, 6):
                sub = services.create_unit(code=f"S{s}", name=f"街道{s}", level="subdistrict",
                                           parent=district)
                for v in range(1, 5):
                    units.append(services.create_unit(code=f"S{s}V{v}", name=f"社区{s}-{v}",
                                                      level="village", parent=sub).code)
            db.session.commit()

            for label, prefix, build in (("XLSX", "X", as_xlsx), ("CSV (GBK)", "C", as_csv)):
                rows = build_rows(count, prefix, units)
                data = build(rows)
                # Every row changed: a new post, and every third person moved.
                changed = build([[*r[:2], units[(i + 1) % len(units)] if i % 3 == 0 else r[2],
                                  *r[3:6], "综合窗口（全科）", *r[7:]]
                                 for i, r in enumerate(rows)])
                name = "roster.xlsx" if label == "XLSX" else "roster.csv"
                print(f"{label}: {count} rows, {len(data) / 1024:.0f} KiB")
                for step, payload, dry_run in (("dry run", data, True), ("import", data, False),
                                               ("re-import", data, False),
                                               ("update", changed, False)):
                    scope = db.session.get(type(district), district.id)

                    def run(data=payload, name=name, scope=scope, dry_run=dry_run):
                        report = import_roster(data, name, scope=scope, dry_run=dry_run)
                        if dry_run:
                            db.session.rollback()
                        else:
                            db.session.commit()
                        return report

                    timed(step, count, run)
            db.session.remove()
            db.engine.dispose()


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 5000)
