"""`flask allocate` (one allocation now), `flask scheduler run` (the scheduler process) and `flask dev`."""

from __future__ import annotations

import logging
from typing import Any

import click
from flask import Flask, current_app
from flask.cli import AppGroup, with_appcontext
from sqlalchemy import select

from webapp.clock import now_local
from webapp.domain.errors import DomainError
from webapp.extensions import db
from webapp.models import JobCentre

scheduler_cli = AppGroup("scheduler", help="The scheduler process (APScheduler).")

# Share of the progress bar per stage; publishing moves with each placement.
_STAGES = {"build": (0, 10), "solve": (10, 40), "publish": (40, 100)}
_STAGE_LABELS = {"build": "Reading the waiting list", "solve": "Optimising", "publish": "Publishing"}


class _Bar:
    def __init__(self, bar: Any) -> None:
        self.bar = bar
        self.position = 0

    def __call__(self, stage: str, done: int, total: int) -> None:
        low, high = _STAGES.get(stage, (0, 100))
        target = low + (high - low) * (done / total if total else 1)
        self.bar.label = _STAGE_LABELS.get(stage, stage)
        step = int(target) - self.position
        if step > 0:
            self.bar.update(step)
            self.position += step


def _row(label: str, value: Any, note: str = "") -> str:
    return f"  {label:<34} {value!s:>8}{'  ' + note if note else ''}"


def summary_table(result: Any) -> str:
    """The figures of a run: placed, unplaced by reason, upper bound, seconds."""
    state = {"published": "published", "dry_run": "dry run: nothing written",
             "skipped": "skipped"}.get(result.status, result.status)
    lines = [f"Allocation for {result.job_centre} ({state})",
             _row("Waiting call-ins", result.waiting),
             _row("Placed", result.placed, f"{result.placed_meetings} new meetings, {result.joined} seats at existing group meetings"),
             _row("Unplaced", len(result.unplaced))]
    for reason, count in result.unplaced_by_reason.items():
        lines.append(_row(f"  {reason}", count))
    bound = "-" if result.upper_bound is None else result.upper_bound
    lines += [_row("Placed, weighted by priority", result.weighted_placed),
              _row("Upper bound (weighted)", bound),
              _row("Taken by others during the run", result.taken_meanwhile),
              _row("Seconds", f"{result.seconds:.2f}", f"optimiser {result.solve_seconds:.2f}")]
    if result.booking_ids:
        lines.append(_row("Bookings", len(result.booking_ids),
                          f"nos. {min(result.booking_ids)}-{max(result.booking_ids)}"))
    return "\n".join(lines)


@click.command("allocate")
@click.option("--job-centre", "job_centre_name", required=True, help="The job centre's name.")
@click.option("--dry-run", is_flag=True, help="Solve and show the figures; write nothing.")
@click.option("--time-limit", type=click.FloatRange(min=0.1), default=None,
              help="Seconds the optimiser may use (default: PLANNER_ALLOCATION_TIME_LIMIT).")
@click.option("--verbose", is_flag=True, help="List each unplaced call-in with its reason.")
@with_appcontext
def allocate_command(job_centre_name: str, dry_run: bool, time_limit: float | None,
                     verbose: bool) -> None:
    """Place a job centre's waiting list now (R-3.2); all or nothing (R-3.3)."""
    from webapp.planning.run import run_allocation
    job_centre = db.session.scalar(select(JobCentre).where(JobCentre.name == job_centre_name))
    if job_centre is None:
        names = ", ".join(db.session.scalars(select(JobCentre.name).order_by(JobCentre.name)))
        raise click.ClickException(f"No job centre named {job_centre_name!r}. Known: {names or 'none'}.")
    job_centre_id = job_centre.id
    db.session.rollback()
    with click.progressbar(length=100, label=_STAGE_LABELS["build"], show_eta=False) as bar:
        try:
            result = run_allocation(job_centre_id, now=now_local(), dry_run=dry_run,
                                    time_limit=time_limit, progress=_Bar(bar), trigger="cli")
        except DomainError as error:
            raise click.ClickException(error.message_en) from error
        bar.update(100)
    click.echo(summary_table(result))
    if verbose and result.unplaced:
        click.echo("Unplaced call-ins:")
        for callin_id, reason in sorted(result.unplaced.items()):
            click.echo(f"  #{callin_id}: {reason}")


@scheduler_cli.command("run")
@click.option("--run-for", type=click.FloatRange(min=0), default=None,
              help="Stop after this many seconds (default: until SIGTERM or Ctrl-C).")
@with_appcontext
def scheduler_run(run_for: float | None) -> None:
    """Run the scheduled jobs in this process: nightly allocation, hourly expiry, ..."""
    from jobs.scheduler import run_scheduler
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("jobs").setLevel(logging.INFO)
    run_scheduler(current_app._get_current_object(), run_for=run_for)  # type: ignore[attr-defined]


@scheduler_cli.command("jobs")
@with_appcontext
def scheduler_jobs() -> None:
    """List the registered jobs and whether this installation has them."""
    from jobs.scheduler import REGISTRY, resolve
    for spec in REGISTRY:
        state = "ok" if resolve(spec) is not None else "missing"
        trigger = spec.trigger(current_app.config)
        click.echo(f"{spec.id:<22} {state:<8} {trigger}  {spec.description}")


def register_cli(app: Flask) -> None:
    from jobs.dev import dev_command
    app.cli.add_command(dev_command)
    app.cli.add_command(allocate_command)
    app.cli.add_command(scheduler_cli)
