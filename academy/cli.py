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

    connection = Redis.from_url(url)
    Worker([Queue(RQ_QUEUE, connection=connection)], connection=connection).work(burst=burst)


def register(app: Flask) -> None:
    app.cli.add_command(academy_cli)
