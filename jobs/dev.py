"""`flask dev`: the whole planner in one process for development (`make run`).

The web app, the scheduler's jobs (nightly allocation, outbox, reminders, calendar
import, expiries) and a local SMTP catcher on 127.0.0.1 whose messages the mail viewer at
/udvikling/post shows. Ctrl-C stops all three. Production runs the web app and
`flask scheduler run` as two processes (docs/operations.md) and refuses this command.
"""

from __future__ import annotations

import logging
import signal
from pathlib import Path
from typing import Any

import click
from flask import current_app
from flask.cli import with_appcontext
from werkzeug.serving import run_simple

from webapp.config import INSTANCE_DIR, in_production
from webapp.messaging import mailbox


def _stop(*_: object) -> None:
    raise KeyboardInterrupt  # SIGTERM stops like Ctrl-C: the scheduler logs its stop


def development_settings(app: Any, mailbox_dir: Path, smtp_port: int) -> None:
    """Point the outbox at the local catcher and the viewer at its directory."""
    app.config.update(PLANNER_SMTP_HOST="127.0.0.1", PLANNER_SMTP_PORT=smtp_port,
                      PLANNER_SMTP_STARTTLS=False, PLANNER_SMTP_USER="", PLANNER_SMTP_PASSWORD="",
                      PLANNER_DEV_MAILBOX=str(mailbox_dir))


@click.command("dev")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=click.IntRange(1, 65535))
@click.option("--smtp-port", default=8025, show_default=True, type=click.IntRange(1, 65535),
              help="Port of the local mail catcher.")
@click.option("--mailbox", "mailbox_dir", type=click.Path(file_okay=False, path_type=Path),
              default=INSTANCE_DIR / "mail", show_default=True)
@with_appcontext
def dev_command(host: str, port: int, smtp_port: int, mailbox_dir: Path) -> None:
    """Serve the app, run the scheduler and catch its mail, until Ctrl-C."""
    from jobs.scheduler import start_scheduler, stop_scheduler

    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if in_production(app.config):
        raise click.ClickException("flask dev is for development; production runs the web app and "
                                   "`flask scheduler run` (docs/operations.md).")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for noisy in ("mail.log", "weasyprint"):  # every SMTP connection, every PDF step
        logging.getLogger(noisy).setLevel(logging.WARNING)
    catcher = mailbox.start_catcher(mailbox_dir, port=smtp_port)
    development_settings(app, mailbox_dir, smtp_port)
    scheduler = start_scheduler(app)
    click.echo(f"Web app:      http://{host}:{port}/\n"
               f"Mail viewer:  http://{host}:{port}/udvikling/post/ (log in as admin)\n"
               f"Scheduler:    {', '.join(job.id for job in scheduler.get_jobs())}\n"
               "Stop all with Ctrl-C.")
    previous = signal.signal(signal.SIGTERM, _stop)
    try:
        run_simple(host, port, app, threaded=True, use_reloader=False)
    finally:
        signal.signal(signal.SIGTERM, previous)
        stop_scheduler(app, scheduler)
        catcher.stop()
