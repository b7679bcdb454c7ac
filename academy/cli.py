"""``flask academy ...`` commands."""

from __future__ import annotations

import click
from flask import Flask, current_app
from flask.cli import AppGroup

academy_cli = AppGroup("academy", help="Window Academy administration commands.")


@academy_cli.command("demo")
@click.option("--seed", default=20261129, show_default=True, help="Random seed of the demo.")
def demo_command(seed: int) -> None:
    """Build (or complete) the demo district. Safe to run again: changes nothing then."""
    from academy.demo import build_demo

    summary = build_demo(seed=seed)
    for line in summary:
        click.echo(line)


@academy_cli.command("worker")
@click.option("--burst", is_flag=True, help="Stop when the queue is empty.")
def worker_command(burst: bool) -> None:
    """Run an RQ worker for background jobs (needs REDIS_URL)."""
    url = current_app.config.get("REDIS_URL")
    if not url:
        raise click.ClickException("REDIS_URL is not set: jobs run in-process without a worker.")
    from redis import Redis
    from rq import Queue, Worker

    from academy.jobs.runner import RQ_QUEUE

    # No periodic ticker here: RQ forks a work horse per job, and forking beside a running
    # thread can deadlock the child. The gunicorn workers run the periodic tasks.
    connection = Redis.from_url(url)
    Worker([Queue(RQ_QUEUE, connection=connection)], connection=connection).work(burst=burst)


@academy_cli.command("assign")
def assign_command() -> None:
    """Apply every active assignment rule to all active staff (creates only what is missing)."""
    from academy.extensions import db
    from academy.learning.services import apply_rules

    created = apply_rules()
    db.session.commit()
    click.echo(f"Created {created} assignments.")


@academy_cli.command("notify-due")
def notify_due_command() -> None:
    """Notify staff of paths due within a week and of overdue ones (once per due date)."""
    from academy.extensions import db
    from academy.learning.notifications import notify_due

    counts = notify_due()
    db.session.commit()
    click.echo(f"Created {counts['due_soon']} due-soon and {counts['overdue']} overdue notices.")


@academy_cli.command("tick")
def tick_command() -> None:
    """Run every periodic task once now (due-date notices, ...); safe to run from cron."""
    from academy.jobs.periodic import run_due_tasks

    for name in run_due_tasks(current_app._get_current_object(), force=True):
        click.echo(f"ran {name}")


def register(app: Flask) -> None:
    from academy.catalog.cli import courses_cli

    academy_cli.add_command(courses_cli)
    app.cli.add_command(academy_cli)
