"""`flask dev`'s mail catcher and viewer: the outbox delivers to a local SMTP server whose
messages an administrator reads at /udvikling/post (issue 19); production refuses it (R-7.1)."""

from __future__ import annotations

import smtplib
from email.message import EmailMessage
from pathlib import Path

import pytest

from tests.factories import login
from tests.integration.test_outbox_smtp import free_port
from tests.timehelpers import MONDAY, at
from webapp.config import production_problems
from webapp.extensions import db
from webapp.messaging import mailbox
from webapp.messaging.delivery import send_due
from webapp.messaging.outbox import enqueue
from webapp.models import Role
from jobs.dev import dev_command, development_settings

NOW = at(MONDAY, 8)


@pytest.fixture
def catcher(tmp_path: Path):
    port = free_port()
    controller = mailbox.start_catcher(tmp_path / "mail", port=port)
    yield tmp_path / "mail", port
    controller.stop()


def _send(port: int, subject: str = "Indkaldelse", attachment: bytes | None = None) -> None:
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = "planner@test.dk", "borger@example.dk", subject
    message.set_content("Kære borger\nDu er indkaldt.")
    if attachment is not None:
        message.add_attachment(attachment, maintype="application", subtype="pdf", filename="brev.pdf")
    with smtplib.SMTP("127.0.0.1", port, timeout=5) as smtp:
        smtp.send_message(message)


def test_the_catcher_keeps_each_message_and_the_reader_shows_it(catcher) -> None:
    directory, port = catcher
    _send(port, "Første")
    _send(port, "Anden", attachment=b"%PDF-1.7 brev")

    listed = mailbox.messages(directory)
    assert [m.subject for m in listed] == ["Anden", "Første"]  # newest first
    shown = mailbox.message(directory, listed[0].name)
    assert shown is not None and "Du er indkaldt." in shown.text
    assert [(a.filename, a.content_type) for a in shown.attachments] == [("brev.pdf", "application/pdf")]
    part, content = mailbox.attachment(directory, listed[0].name, 0)
    assert content == b"%PDF-1.7 brev" and part.size == len(content)
    assert not list(directory.glob("*.part"))  # written atomically


@pytest.mark.parametrize("name", ["../secret.eml", "x.eml", "20261204T000000000000-1.eml/..", ""])
def test_the_reader_opens_only_its_own_files(tmp_path: Path, name: str) -> None:
    (tmp_path / "secret.eml").write_text("Subject: hemmelig\n\nnej")
    assert mailbox.message(tmp_path / "mail", name) is None
    assert mailbox.attachment(tmp_path / "mail", name, 0) is None


def test_the_outbox_delivers_to_the_catcher_with_the_development_settings(app, catcher) -> None:
    directory, port = catcher
    development_settings(app, directory, port)
    enqueue(kind="letter", recipient="borger@example.dk", subject="Indkaldelse til samtale",
            body_text="Kære borger", now=NOW,
            attachments=[("samtale.ics", "text/calendar", b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n")])
    db.session.commit()

    send_due(now=NOW)

    [received] = mailbox.messages(directory)
    assert received.subject == "Indkaldelse til samtale"
    assert [a.filename for a in received.attachments] == ["samtale.ics"]


def test_the_viewer_is_for_administrators_and_only_with_a_mailbox(app, client, create_user, create_job_centre,
                                                                   catcher) -> None:
    directory, port = catcher
    _send(port, "Til viewer", attachment=b"%PDF brev")
    name = mailbox.messages(directory)[0].name
    job_centre = create_job_centre()
    caseworker = create_user(Role.CASEWORKER, job_centre, username="sagsbehandler")
    admin = create_user(Role.ADMINISTRATOR, job_centre, username="administrator")

    app.config["PLANNER_DEV_MAILBOX"] = ""
    login(client, admin)
    assert client.get("/udvikling/post/").status_code == 404

    app.config["PLANNER_DEV_MAILBOX"] = str(directory)
    page = client.get("/udvikling/post/")
    assert page.status_code == 200 and "Til viewer" in page.get_data(as_text=True)
    assert "Postkasse (udvikling)" in page.get_data(as_text=True)
    assert "Til viewer" in client.get(f"/udvikling/post/{name}").get_data(as_text=True)
    download = client.get(f"/udvikling/post/{name}/0")
    assert download.data == b"%PDF brev" and "attachment" in download.headers["Content-Disposition"]
    assert client.get(f"/udvikling/post/{name}/7").status_code == 404
    assert client.get("/udvikling/post/..%2Fsecret.eml").status_code == 404

    client.post("/logout")
    login(client, caseworker)
    assert client.get("/udvikling/post/").status_code == 403


def test_r_7_1_production_refuses_a_development_mailbox() -> None:
    config = {"SECRET_KEY": "k" * 40, "SESSION_COOKIE_SECURE": True, "REMEMBER_COOKIE_SECURE": True,
              "PLANNER_CITIZEN_LOGIN": "oidc", "PLANNER_DEV_MAILBOX": "/tmp/mail"}
    assert [p.split()[0] for p in production_problems(config)] == ["PLANNER_DEV_MAILBOX"]


@pytest.mark.committing
def test_flask_dev_starts_the_scheduler_and_the_catcher_and_stops_both(app, tmp_path, monkeypatch) -> None:
    import jobs.dev
    import jobs.scheduler
    seen: dict[str, object] = {}

    def serve(host, port, served_app, **kw):  # noqa: ANN001 (stands in for werkzeug's server)
        seen["smtp"] = (served_app.config["PLANNER_SMTP_HOST"], served_app.config["PLANNER_SMTP_PORT"])
        seen["mailbox"] = served_app.config["PLANNER_DEV_MAILBOX"]
        _send(served_app.config["PLANNER_SMTP_PORT"], "Mens appen kører")
        # werkzeug's server returns when Ctrl-C stops it

    monkeypatch.setattr(jobs.dev, "run_simple", serve)
    monkeypatch.setattr(jobs.scheduler, "REGISTRY", [])
    port = free_port()
    result = app.test_cli_runner().invoke(
        jobs.dev.dev_command, args=["--port", "5999", "--smtp-port", str(port), "--mailbox", str(tmp_path / "post")])

    assert result.exit_code == 0, result.output
    assert seen == {"smtp": ("127.0.0.1", port), "mailbox": str(tmp_path / "post")}
    assert [m.subject for m in mailbox.messages(tmp_path / "post")] == ["Mens appen kører"]
    with pytest.raises(OSError):  # the catcher stopped with the app
        smtplib.SMTP("127.0.0.1", port, timeout=2)


def test_flask_dev_refuses_production(app) -> None:
    app.config["PLANNER_ENV"] = "production"
    result = app.test_cli_runner().invoke(dev_command, args=[])
    assert result.exit_code != 0 and "flask scheduler run" in result.output
