"""A re-planning's move letters are rendered after its commit, once, and never for a rollback (R-6.4, R-6.7).

Rendering sixty PDFs inside the re-planning's transaction cost 3-7 s of its time. The letter is now
merged in the transaction and kept with its page; the PDF is rendered after the commit by the outbox
job, before the e-mail goes, or when someone opens the letter.
"""

from __future__ import annotations

from dataclasses import replace
from email import message_from_bytes, policy

import pytest
from sqlalchemy import func, select

from jobs.outbox import send_queued
from tests.integration.test_outbox_smtp import smtp  # noqa: F401  (the fixture)
from tests.workspace_setup import MONDAY, NOW, at, build_workspace
from webapp.calendar import absences
from webapp.calendar.absences import AbsenceInput
from webapp.callins.calling import create_callins, from_template
from webapp.extensions import db
from webapp.messaging import letters
from webapp.messaging.delivery import send_due
from webapp.models import (Letter, LetterActivity, OutboxAttachment, OutboxMessage, OutboxStatus,
                           SystemLogEntry)
from webapp.planning import replan


@pytest.fixture
def ws(app, reference_data):
    return build_workspace()


@pytest.fixture
def rendered(monkeypatch):
    """Counts the PDFs WeasyPrint renders."""
    calls: list[int] = []
    render = letters.html_to_pdf

    def counted(html: str) -> bytes:
        calls.append(1)
        return render(html)

    monkeypatch.setattr(letters, "html_to_pdf", counted)
    return calls


def _sick_monday(ws):
    """Anna's three Monday meetings (Borger 1 and 3 have an e-mail address, Borger 2 none);
    the call-in letters rendered, so that only the move letters wait."""
    for i in range(3):
        data = replace(from_template(ws.templates["fixed"], today=NOW.date()),
                       cprs=[ws.citizens[i].cpr], starts_at=at(MONDAY, 9 + i), room_id=None,
                       caseworker_ids=[ws.anna.id])
        create_callins(data, now=NOW, actor=ws.user)
    db.session.commit()
    letters.render_pending()
    absence = absences.register(ws.job_centre.id, AbsenceInput(
        caseworker_id=ws.anna.id, kind="sickness", first_day=MONDAY, last_day=MONDAY), actor=ws.admin)
    db.session.commit()
    hit = absences.hit_bookings(absence, now=NOW)
    return hit, replan.plan(ws.job_centre.id, hit, now=NOW)


_SUBJECTS = ("Din samtale er flyttet", "Der er ændringer til din samtale")


def _move_letters() -> list[Letter]:
    """The letters of the re-plan: a move to another time, or an update where only the
    caseworker changes at the same time (R-1.7.2)."""
    return list(db.session.scalars(
        select(Letter).where(Letter.activity.in_([LetterActivity.MOVE, LetterActivity.UPDATE]))
        .order_by(Letter.id)))


@pytest.mark.committing
def test_a_replan_commits_without_rendering_and_its_letters_are_rendered_once_after_R_6_4(
        ws, rendered, smtp):  # noqa: F811
    """R-6.4, R-6.7: publish + commit renders no PDF; after a crash the rows alone are enough
    to render each move letter exactly once, and the e-mails go out with the PDF."""
    hit, plan = _sick_monday(ws)
    before = len(rendered)
    replan.publish(ws.job_centre.id, hit, plan, now=NOW, actor=ws.admin)
    db.session.commit()
    assert len(rendered) == before  # nothing rendered inside the transaction nor at its commit
    waiting = _move_letters()
    assert len(waiting) == 3
    assert all(letter.pdf == b"" and ("flyttet" in letter.html or "ændret" in letter.html)
               for letter in waiting)
    ids = [letter.id for letter in waiting]

    # A crash between the commit and the rendering: nothing but the committed rows is left.
    db.session.remove()
    attachments = db.session.scalars(select(OutboxAttachment).where(
        OutboxAttachment.letter_id.in_(ids))).all()
    assert len(attachments) == 2 and all(a.data == b"" for a in attachments)

    # The outbox job renders them (the one without an e-mail too), then sends.
    report = send_queued(NOW)
    assert len(rendered) == before + 3
    assert not report.server_down and not report.failed
    db.session.expire_all()
    pdfs = {letter.id: letter.pdf for letter in _move_letters()}
    assert all(pdf.startswith(b"%PDF-") for pdf in pdfs.values())
    assert all(letter.html is None for letter in _move_letters())
    parsed = [message_from_bytes(m.as_bytes(), policy=policy.default) for m in smtp.inbox.messages]
    moved = [mail for mail in parsed if mail["Subject"] in _SUBJECTS]
    assert len(moved) == 2
    sent = sorted(part.get_content() for mail in moved for part in mail.iter_attachments())
    assert sent == sorted(pdf for letter_id, pdf in pdfs.items()
                          if any(a.letter_id == letter_id for a in attachments))

    # Exactly once: nothing is left to render, reading a letter does not render it again.
    assert letters.render_pending() == []
    assert letters.render_pdf(db.session.get(Letter, ids[0])) == pdfs[ids[0]]
    assert send_due(NOW).sent == []
    assert len(rendered) == before + 3


def test_a_rolled_back_replan_leaves_no_letter_and_no_e_mail_R_6_4(ws, rendered):
    """R-6.4, R-6.7: a rollback leaves nothing to render and nothing to send."""
    hit, plan = _sick_monday(ws)
    before = len(rendered)
    queued = db.session.scalar(select(func.count()).select_from(OutboxMessage))
    replan.publish(ws.job_centre.id, hit, plan, now=NOW, actor=ws.admin)
    assert len(_move_letters()) == 3
    db.session.rollback()
    assert _move_letters() == []
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == queued
    assert letters.render_pending() == []
    assert len(rendered) == before


def test_the_send_job_renders_a_waiting_letter_before_its_e_mail_R_6_4(ws, rendered, smtp):  # noqa: F811
    """R-6.4: a letter e-mail due before the rendering job ran still leaves with its PDF."""
    hit, plan = _sick_monday(ws)
    replan.publish(ws.job_centre.id, hit, plan, now=NOW, actor=ws.admin)
    db.session.commit()
    report = send_due(NOW)  # the delivery alone, without the job's sweep
    assert not report.failed
    parsed = [message_from_bytes(m.as_bytes(), policy=policy.default) for m in smtp.inbox.messages]
    moved = [mail for mail in parsed if mail["Subject"] in _SUBJECTS]
    assert len(moved) == 2
    assert all(part.get_content().startswith(b"%PDF-")
               for mail in moved for part in mail.iter_attachments())
    statuses = db.session.scalars(select(OutboxMessage.status).where(OutboxMessage.kind == "letter"))
    assert set(statuses) == {OutboxStatus.SENT}
    # The one without an e-mail address waits for the job's sweep or for someone to open it.
    assert [letter.pdf for letter in _move_letters()].count(b"") == 1


def test_a_page_that_does_not_render_waits_and_is_logged_the_others_go_on_R_6_4(
        ws, rendered, monkeypatch):
    """R-6.4, R-7.5: one letter WeasyPrint refuses stays waiting, with a system log entry
    naming it, not the citizen; the other letters are rendered."""
    hit, plan = _sick_monday(ws)
    replan.publish(ws.job_centre.id, hit, plan, now=NOW, actor=ws.admin)
    db.session.commit()
    waiting = [letter.id for letter in _move_letters()]
    render = letters.html_to_pdf

    def refuse_the_first(html: str) -> bytes:
        if f"nr. {db.session.get(Letter, waiting[0]).booking_id}</div>" in html:
            raise ValueError("broken page")
        return render(html)

    monkeypatch.setattr(letters, "html_to_pdf", refuse_the_first)
    assert letters.render_pending() == waiting[1:]
    db.session.expire_all()
    assert db.session.get(Letter, waiting[0]).pdf == b""
    assert db.session.get(Letter, waiting[0]).html is not None
    [entry] = db.session.scalars(select(SystemLogEntry).where(SystemLogEntry.category == "letters"))
    assert entry.message == (f"Brev nr. {waiting[0]} kunne ikke dannes som PDF (ValueError); "
                             "det prøves igen ved næste kørsel.")
    assert "Borger" not in entry.message
