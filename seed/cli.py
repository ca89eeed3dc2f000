"""`flask seed demo`: a realistic demo job centre, added to the web application's `flask seed` group."""

from __future__ import annotations

import click
from flask import Flask, current_app
from flask.cli import with_appcontext
from sqlalchemy import select

from seed.demo import DEMO_JOB_CENTRE, build_demo
from webapp.clock import today_local
from webapp.extensions import db
from webapp.models import Citizen, JobCentre
from webapp.selfbooking.offers import offers_for_citizen


@click.command("demo")
@click.option("--seed", "random_seed", default=2027, show_default=True, help="Random seed.")
@with_appcontext
def seed_demo(random_seed: int) -> None:
    """A realistic demo job centre; prints the logins."""
    logins = build_demo(random_seed=random_seed)
    db.session.commit()
    click.echo("Demo logins (username / password / role):")
    for username, password, role in logins:
        click.echo(f"  {username:<28} {password:<14} {role}")
    cprs = demo_portal_cprs()
    if cprs:
        click.echo(f"Citizen portal /portal/login (code {current_app.config['PLANNER_DEMO_CITIZEN_CODE']}), "
                   f"CPR numbers with offers to book: {', '.join(cprs)}")


def demo_portal_cprs(limit: int = 3) -> list[str]:
    """A few demo citizens who see at least one offer in the portal (CPR as ddmmyy-xxxx)."""
    centre = db.session.scalar(select(JobCentre).where(JobCentre.name == DEMO_JOB_CENTRE))
    if centre is None:
        return []
    today, found = today_local(), []
    for citizen in db.session.scalars(select(Citizen).where(Citizen.job_centre_id == centre.id)
                                      .order_by(Citizen.id)):
        if offers_for_citizen(citizen, today):
            found.append(f"{citizen.cpr[:6]}-{citizen.cpr[6:]}")
            if len(found) == limit:
                break
    return found


def register_cli(app: Flask) -> None:
    """Add `demo` to the app's `flask seed` group (`webapp.cli` defines the group)."""
    app.cli.commands["seed"].add_command(seed_demo)  # type: ignore[attr-defined]
