"""``flask academy courses ...``: load the curriculum files (courses/README.md)."""

from __future__ import annotations

import time
from pathlib import Path

import click
from flask.cli import AppGroup

from academy import ROOT, signals
from academy.catalog.services import sync_curriculum
from academy.extensions import db

courses_cli = AppGroup("courses", help="Course packages: the curriculum as plain files.")


@courses_cli.command("sync")
@click.argument("path", required=False,
                type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Validate and report, but write nothing.")
def sync_command(path: Path | None, dry_run: bool) -> None:
    """Validate the curriculum at PATH (default: courses/) and load it.

    Every problem is printed as file:line: message; if there is any, nothing is written
    and the exit status is 1. Otherwise skills, window profiles, courses, learning
    paths and observation rubrics are upserted by code or slug, and changed courses get a
    new published version.
    """
    path = path or ROOT / "courses"
    started = time.perf_counter()
    try:
        report = sync_curriculum(path)
    except BaseException:
        db.session.rollback()
        raise
    if report.problems:
        db.session.rollback()
        for problem in report.problems:
            click.echo(str(problem))
        click.echo(f"{len(report.problems)} problem(s) in {path}: nothing was written.")
        raise SystemExit(1)
    if dry_run:
        db.session.rollback()
    else:
        # Rules loaded from paths.yaml take effect now, not at the next staff change.
        signals.assignment_rules_changed.send(None, rule_ids=[])
        db.session.commit()
    click.echo(f"skills: {report.skills}")
    click.echo(f"profiles: {report.profiles}")
    click.echo(f"courses: {report.courses}")
    for outcome in report.outcomes:
        if outcome.status != "unchanged":
            click.echo(f"  {outcome.slug}: {outcome.status}, version {outcome.version}")
    click.echo(f"paths: {report.paths}")
    click.echo(f"rubrics: {report.rubrics}")  # observation rubrics (rubrics.yaml)
    elapsed = time.perf_counter() - started
    suffix = " (dry run: nothing was written)" if dry_run else ""
    click.echo(f"Synced {path} in {elapsed:.1f} s{suffix}.")
