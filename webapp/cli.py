"""Command-line tools: `flask seed reference`, `flask closure-days seed`, `flask users create`, ...

`flask seed demo` comes from `seed/cli.py` and `flask allocate`, `flask scheduler` from
`jobs/cli.py`: `wsgi.py` adds them, so the web application never imports either.
"""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup
from sqlalchemy import select

from webapp.extensions import db
from webapp.models import JobCentre, Role, User

seed_cli = AppGroup("seed", help="Load reference and demo data.")
closure_cli = AppGroup("closure-days", help="National closure days (R-1.3.1).")
users_cli = AppGroup("users", help="Staff users.")
job_centre_cli = AppGroup("job-centre", help="Job centres.")
calendar_cli = AppGroup("calendar", help="Calendar sync (R-5.2).")


@seed_cli.command("reference")
def seed_reference() -> None:
    """Conversation types, holding forms and contact groups (idempotent)."""
    from webapp.administration.reference import seed_reference_data
    added = seed_reference_data()
    db.session.commit()
    click.echo(f"Reference data: {added} rows added.")


@closure_cli.command("seed")
@click.option("--from", "first_year", type=int, required=True, help="First year.")
@click.option("--to", "last_year", type=int, required=True, help="Last year.")
@click.option("--include-may-first", is_flag=True, help="Also close on 1 May.")
def seed_closure_days(first_year: int, last_year: int, include_may_first: bool) -> None:
    """Add the Danish national closure days of the years (a second run adds nothing)."""
    if first_year > last_year:
        raise click.BadParameter("--from must not be after --to")
    from webapp.administration.reference import seed_national_closure_days
    added = seed_national_closure_days(first_year, last_year, include_may_first)
    db.session.commit()
    click.echo(f"National closure days {first_year}-{last_year}: {len(added)} added.")


@job_centre_cli.command("create")
@click.argument("name")
@click.option("--municipality", required=True)
@click.option("--root-team", default=None, help="Default: '<municipality> Jobcenter'.")
@click.option("--child-team", default=None, help="Default: the root's name (rename it later).")
def create_job_centre_command(name: str, municipality: str, root_team: str | None,
                              child_team: str | None) -> None:
    """A job centre with the default two-level team structure (R-1.1.1)."""
    from webapp.domain.errors import DomainError
    from webapp.administration.organisation import create_job_centre
    try:
        job_centre = create_job_centre(name, municipality, root_team, child_team)
    except DomainError as error:
        raise click.ClickException(error.message_en) from error
    db.session.commit()
    click.echo(f"Created job centre {job_centre.name} (id {job_centre.id}).")


@calendar_cli.command("import")
def import_calendars() -> None:
    """Import busy times from the calendars of two-way caseworkers now."""
    from webapp.clock import now_local
    from webapp.calendar.busy_import import import_all
    result = import_all(now=now_local())
    db.session.commit()
    click.echo(f"Imported {result.busy_times} busy times for {result.caseworkers} caseworkers; "
               f"{len(result.failed)} calendars failed.")
    if result.failed:
        raise SystemExit(1)


@users_cli.command("create")
@click.option("--username", required=True)
@click.option("--name", required=True)
@click.option("--role", type=click.Choice([r.value for r in Role]), required=True)
@click.option("--job-centre", "job_centre_name", default=None)
@click.password_option()
def create_user(username: str, name: str, role: str, job_centre_name: str | None,
                password: str) -> None:
    """A staff user; every role but support belongs to a job centre."""
    job_centre = None
    if job_centre_name:
        job_centre = db.session.scalar(select(JobCentre).where(JobCentre.name == job_centre_name))
        if job_centre is None:
            raise click.ClickException(f"No job centre named {job_centre_name!r}.")
    elif role != Role.SUPPORT:
        raise click.ClickException("--job-centre is required for this role.")
    if db.session.scalar(select(User.id).where(User.username == username)) is not None:
        raise click.ClickException(f"The username {username!r} is taken.")
    user = User(username=username, name=name, role=Role(role), job_centre=job_centre)
    user.set_password(password)
    db.session.add(user)
    db.session.commit()
    click.echo(f"Created {role} {username}.")


outbox_cli = AppGroup("outbox", help="The outbox of e-mails (letters, receipts, invitations).")


@outbox_cli.command("send")
@click.option("--limit", default=200, show_default=True, help="At most this many messages.")
def outbox_send(limit: int) -> None:
    """Render the letters waiting for their PDF, then send the queued e-mails that are due;
    failures are retried later with backoff."""
    from webapp.messaging.delivery import send_due
    from webapp.messaging.letters import render_pending
    from webapp.clock import now_local
    render_pending(limit=limit)  # the letters a booking change left to render
    report = send_due(now_local(), limit=limit)
    click.echo(f"Outbox: {report}.")


@outbox_cli.command("send-dfdg")
@click.option("--limit", default=200, show_default=True, help="At most this many messages.")
def outbox_send_dfdg(limit: int) -> None:
    """Send the national data hub's queued messages that are due (R-6.9, docs/dfdg.md)."""
    from webapp.messaging import dfdg, dfdg_delivery
    from webapp.clock import now_local
    if not dfdg.enabled():
        raise click.ClickException("PLANNER_DFDG_TRANSPORT is none: there is no transport to send by.")
    report = dfdg_delivery.send_due(now_local(), limit=limit)
    click.echo(f"DFDG: {report}.")


@outbox_cli.command("requeue-dfdg")
def outbox_requeue_dfdg() -> None:
    """Queue the failed messages to the national data hub again, e.g. once the certificate is fixed."""
    from webapp.messaging import dfdg_delivery
    from webapp.clock import now_local
    count = dfdg_delivery.requeue_failed(now_local())
    db.session.commit()
    click.echo(f"DFDG: {count} failed messages queued again.")


def register_cli(app: Flask) -> None:
    for group in (seed_cli, closure_cli, users_cli, job_centre_cli, calendar_cli, outbox_cli):
        app.cli.add_command(group)
