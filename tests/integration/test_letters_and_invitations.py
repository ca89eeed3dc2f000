"""Letters (R-1.7.2, §1.8, R-1.1.4, R-1.4.4) and calendar invitations and feed (R-5.1) after booking changes."""

from __future__ import annotations

import time
from dataclasses import replace
from datetime import timedelta

import pytest
from icalendar import Calendar
from sqlalchemy import select

from tests.workspace_setup import MONDAY, NOW, at, build_workspace
from webapp.domain.availability import to_utc
from webapp.extensions import db
from webapp.models import (Letter, LetterActivity, LetterRule, LetterTemplate, OutboxMessage, SyncMode,
                           SystemLogEntry)
from webapp.messaging import ics as calendar_ics
from webapp.callins import calling as callins
from webapp.callins import moves
from webapp.messaging import letters
from webapp.callins.calling import create_callins, from_template


@pytest.fixture
def ws(app, reference_data):
    return build_workspace()


def _book(ws, citizen, start, **changes):
    data = replace(from_template(ws.templates["fixed"], today=NOW.date()), cprs=[citizen.cpr],
                   starts_at=start, **changes)
    booking = create_callins(data, now=NOW, actor=ws.user).bookings[0]
    db.session.commit()
    return booking


@pytest.mark.parametrize("holding, citizen_index, expected", [
    ("in_person", 0, "general"),      # only the rule without filters matches
    ("phone", 2, "phone"),            # holding form set: more specific than "all"
    ("phone", 0, "phone_group"),      # holding form + contact group: the most specific
])
def test_the_most_specific_letter_rule_wins(ws, holding, citizen_index, expected):
    """R-1.7.2: rules filter on contact group, holding form and meeting form; most filters set wins."""
    booking = _book(ws, ws.citizens[citizen_index], at(MONDAY, 9),
                    holding_form_id=ws.forms[holding].id)
    letter = db.session.scalars(select(Letter).where(Letter.booking_id == booking.id)).one()
    assert letter.letter_template_id == ws.letters[expected].id
    assert letter.activity == LetterActivity.CALL_IN


def test_no_matching_rule_uses_the_built_in_letter(ws):
    """R-1.7.2: a booking without a variant still gets a letter, the built-in one."""
    booking = _book(ws, ws.citizens[0], at(MONDAY, 9), variant_id=None)
    letter = db.session.scalars(select(Letter).where(Letter.booking_id == booking.id)).one()
    assert letter.letter_template_id is None
    rendered = letters.render_letter(booking, ws.citizens[0], LetterActivity.CALL_IN, now=NOW)
    assert rendered.subject == "Indkaldelse til samtale"
    assert "jobsamtale mandag den 1. marts 2027 kl. 09.00" in rendered.text


@pytest.mark.parametrize("room, expected", [
    ("room", "Lokalegade 7, 8000 Aarhus C"),   # the room's address
    ("small_room", "Teamvej 4B, 8000 Aarhus C"),  # no room address: the team's
    (None, "Teamvej 4B, 8000 Aarhus C"),
])
def test_the_citizen_is_called_to_the_room_address_else_the_team_address(ws, room, expected):
    """R-1.1.4, R-1.4.4: the meeting place in the letter."""
    booking = _book(ws, ws.citizens[0], at(MONDAY, 9),
                    room_id=getattr(ws, room).id if room else None)
    assert letters.meeting_address(booking) == expected
    rendered = letters.render_letter(booking, ws.citizens[0], LetterActivity.CALL_IN, now=NOW)
    assert f"Mødested: {expected}." in rendered.text
    assert expected in rendered.html


def test_letter_is_a_pdf_kept_with_the_booking_and_mailed_when_there_is_an_address(ws):
    """§1.8, R-3.5: PDF stored with the booking; e-mailed through the outbox only to citizens with e-mail."""
    with_mail = _book(ws, ws.citizens[0], at(MONDAY, 9))
    without_mail = _book(ws, ws.citizens[1], at(MONDAY, 10))  # Borger 2 has no e-mail
    kept = [db.session.scalars(select(Letter).where(Letter.booking_id == booking.id)).one()
            for booking in (with_mail, without_mail)]
    # The PDF is rendered after the commit: until then the letter holds its page.
    assert [(letter.pdf, "Kære Borger" in letter.html) for letter in kept] == [(b"", True)] * 2
    assert sorted(letters.render_pending()) == sorted(letter.id for letter in kept)
    for letter in kept:
        assert letter.pdf.startswith(b"%PDF-") and letter.filename.endswith(".pdf")
        assert letter.html is None
        assert "0101" not in letter.filename  # no CPR in file names
    mails = db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "letter")).all()
    assert [m.recipient for m in mails] == ["borger1@example.dk"]
    assert mails[0].subject == "Indkaldelse til samtale"
    assert "Kære Borger 1" in mails[0].body_text
    [attachment] = mails[0].attachments
    assert attachment.content_type == "application/pdf" and attachment.data == kept[0].pdf
    assert attachment.letter_id == kept[0].id


def test_letter_text_of_the_template_and_the_cancel_reason_are_merged(ws):
    """§1.8, R-1.5 messages tab: the template's text for letters; the reason in the cancellation letter."""
    data = replace(from_template(ws.templates["auto"], today=NOW.date()), cprs=[ws.citizens[0].cpr],
                   distribution=callins.Distribution.FIXED_TIME, starts_at=at(MONDAY, 9))
    booking = create_callins(data, now=NOW, actor=ws.user).bookings[0]
    rendered = letters.render_letter(booking, ws.citizens[0], LetterActivity.CALL_IN, now=NOW)
    assert "Tag dit sygesikringskort med." in rendered.html
    moves.cancel_by_job_centre(booking, reason="Vejlederen er syg", now=NOW, actor=ws.user)
    cancel = letters.render_letter(booking, ws.citizens[0], LetterActivity.CANCELLATION, now=NOW)
    assert "er aflyst. Vejlederen er syg" in cancel.text


def test_a_broken_letter_template_falls_back_and_is_logged(ws):
    """§1.8: an administrator's template that does not render never blocks a booking."""
    ws.letters["general"].body = "Kære {{ citizen.name "  # unclosed tag
    db.session.commit()
    booking = _book(ws, ws.citizens[2], at(MONDAY, 9))
    letter = db.session.scalars(select(Letter).where(Letter.booking_id == booking.id)).one()
    assert letter.letter_template_id is None
    entry = db.session.scalars(select(SystemLogEntry).where(SystemLogEntry.category == "letters")).one()
    assert "kunne ikke flettes" in entry.message


def test_letter_templates_run_sandboxed(ws):
    """§1.8: a letter template cannot reach Python internals."""
    ws.letters["general"].body = "{{ citizen.__class__.__init__.__globals__ }}"
    db.session.commit()
    booking = _book(ws, ws.citizens[2], at(MONDAY, 9))
    letter = db.session.scalars(select(Letter).where(Letter.booking_id == booking.id)).one()
    assert letter.letter_template_id is None  # the sandbox refused; the built-in letter went out
    assert db.session.get(LetterTemplate, ws.letters["general"].id) is not None


def test_rendering_27_letters_is_fast_enough(ws):
    """§1.8, R-3.5: letters are made inside the allocation's transaction; 27 must not slow it badly."""
    booking = _book(ws, ws.citizens[0], at(MONDAY, 9))
    started = time.perf_counter()
    for _ in range(27):
        letters.create_letter(booking, ws.citizens[0], LetterActivity.UPDATE, now=NOW)
    assert time.perf_counter() - started < 15  # about 0.5 s on the development machine


# ---------------------------------------------------------------------------
# Calendar invitations
# ---------------------------------------------------------------------------

def _invitations(recipient: str) -> list[Calendar]:
    rows = db.session.scalars(select(OutboxMessage).where(
        OutboxMessage.kind == "invitation", OutboxMessage.recipient == recipient)
        .order_by(OutboxMessage.id)).all()
    out = []
    for row in rows:
        [attachment] = row.attachments
        assert attachment.content_type.startswith("text/calendar; method=")
        out.append(Calendar.from_ical(attachment.data))
    return out


def _apply(calendar_store: dict, cal: Calendar) -> None:
    """What a mail calendar does with a message: keyed by UID, newer SEQUENCE replaces."""
    method = str(cal["METHOD"])
    for event in cal.walk("VEVENT"):
        uid, seq = str(event["UID"]), int(event.get("SEQUENCE", 0))
        known = calendar_store.get(uid)
        if known is not None and int(known.get("SEQUENCE", 0)) > seq:
            continue
        if method == "CANCEL":
            calendar_store.pop(uid, None)
        else:
            calendar_store[uid] = event


def test_invitation_update_and_cancel_share_one_uid_and_replace_each_other(ws):
    """R-5.1: REQUEST, update with SEQUENCE+1, CANCEL; a mail calendar ends with one event, then none."""
    booking = _book(ws, ws.citizens[0], at(MONDAY, 9))
    moves.move_by_job_centre(booking, starts_at=at(MONDAY, 13), caseworker_id=None, now=NOW,
                               actor=ws.user)
    db.session.commit()
    sent = _invitations(ws.anna.email)
    assert [str(c["METHOD"]) for c in sent] == ["REQUEST", "REQUEST"]
    first, update = (c.walk("VEVENT")[0] for c in sent)
    assert str(first["UID"]) == str(update["UID"]) == calendar_ics.booking_uid(booking)
    assert (int(first["SEQUENCE"]), int(update["SEQUENCE"])) == (0, 1)
    assert first.decoded("DTSTART") == to_utc(at(MONDAY, 9))
    assert update.decoded("DTSTART") == to_utc(at(MONDAY, 13))
    assert "Ring på." in str(update["DESCRIPTION"])  # the template's message to caseworkers
    assert "Borger" not in str(update["SUMMARY"]) and ws.citizens[0].cpr not in sent[0].to_ical().decode()
    store: dict = {}
    for cal in sent:
        _apply(store, cal)
    assert len(store) == 1
    assert next(iter(store.values())).decoded("DTSTART") == to_utc(at(MONDAY, 13))
    moves.cancel_by_job_centre(booking, reason="Syg", now=NOW, actor=ws.user)
    db.session.commit()
    cancel = _invitations(ws.anna.email)[-1]
    assert str(cancel["METHOD"]) == "CANCEL"
    assert int(cancel.walk("VEVENT")[0]["SEQUENCE"]) == 2
    _apply(store, cancel)
    assert store == {}


@pytest.mark.parametrize("mode, invited", [
    (SyncMode.ONE_WAY, True), (SyncMode.TWO_WAY, True), (SyncMode.NONE, False),
    (SyncMode.ONE_WAY_FASIT, False),
])
def test_only_caseworkers_who_sync_a_mail_calendar_get_invitations(ws, mode, invited):
    """R-5.1, R-1.2.7: one-way and two-way get invitations; none and FASIT (inbound only) do not."""
    ws.carl.sync_mode = mode
    db.session.commit()
    _book(ws, ws.citizens[0], at(MONDAY, 9), caseworker_ids=[ws.carl.id])
    assert bool(_invitations(ws.carl.email)) is invited


def test_a_caseworker_taken_off_a_meeting_gets_a_cancellation(ws):
    """R-5.1, R-1.9.1: moving to another caseworker cancels the event in the first one's calendar."""
    booking = _book(ws, ws.citizens[0], at(MONDAY, 9))
    moves.move_by_job_centre(booking, starts_at=at(MONDAY, 9), caseworker_id=ws.bo.id, now=NOW,
                               actor=ws.user)
    db.session.commit()
    assert [str(c["METHOD"]) for c in _invitations(ws.anna.email)] == ["REQUEST", "CANCEL"]
    assert [str(c["METHOD"]) for c in _invitations(ws.bo.email)] == ["REQUEST"]


def test_private_feed_lists_the_caseworkers_bookings_and_can_be_revoked(ws, client):
    """R-5.1: a secret per-caseworker ICS address; revoking it makes it stop working."""
    first = _book(ws, ws.citizens[0], at(MONDAY, 9))
    second = _book(ws, ws.citizens[2], at(MONDAY + timedelta(days=2), 10))
    cancelled = _book(ws, ws.citizens[3], at(MONDAY, 11))
    moves.cancel_by_job_centre(cancelled, reason="Syg", now=NOW, actor=ws.user)
    _book(ws, ws.citizens[4], at(MONDAY, 9), caseworker_ids=[ws.bo.id], room_id=None)  # not Anna's
    token = calendar_ics.issue_feed_token(ws.anna)
    db.session.commit()
    response = client.get(f"/caseworker/feed/{token}.ics")
    assert response.status_code == 200 and response.mimetype == "text/calendar"
    feed = Calendar.from_ical(response.data)
    uids = sorted(str(e["UID"]) for e in feed.walk("VEVENT"))
    assert uids == sorted(calendar_ics.booking_uid(b) for b in (first, second))
    calendar_ics.revoke_feed_token(ws.anna)
    db.session.commit()
    assert client.get(f"/caseworker/feed/{token}.ics").status_code == 404
    new_token = calendar_ics.issue_feed_token(ws.anna)
    db.session.commit()
    assert new_token != token
    assert client.get(f"/caseworker/feed/{new_token}.ics").status_code == 200
    assert client.get("/caseworker/feed/not-a-real-token-at-all-xx.ics").status_code == 404


def _letters_of(booking):
    return db.session.scalars(select(Letter).where(Letter.booking_id == booking.id)
                              .order_by(Letter.id)).all()


def test_a_change_of_caseworker_at_the_same_time_sends_the_update_letter_R_1_7_2(ws):
    """R-1.7.2: "Opdatering" is produced when the job centre changes a meeting's details and keeps
    its time (here another caseworker); the variant's Update rule picks the letter."""
    update = LetterTemplate(job_centre=ws.job_centre, name="Opdatering", subject="Nyt om din samtale",
                            body="Kære {{ citizen.name }}\n\nDin samtale {{ booking.starts_at }} "
                                 "holdes nu af {{ caseworkers }}.")
    ws.variant.letter_rules.append(LetterRule(
        conversation_type=ws.templates["fixed"].conversation_type, activity=LetterActivity.UPDATE,
        letter_template=update))
    db.session.commit()
    booking = _book(ws, ws.citizens[0], at(MONDAY, 9))
    moves.move_by_job_centre(booking, starts_at=at(MONDAY, 9), caseworker_id=ws.bo.id, now=NOW,
                             actor=ws.user)
    db.session.commit()
    sent = _letters_of(booking)
    assert [letter.activity for letter in sent] == [LetterActivity.CALL_IN, LetterActivity.UPDATE]
    assert sent[-1].letter_template_id == update.id
    mail = db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "letter")
                              .order_by(OutboxMessage.id.desc())).first()
    assert mail.subject == "Nyt om din samtale" and ws.bo.name in mail.body_text
    # A new time is a move, with the move rule's letter, not an update.
    moves.move_by_job_centre(booking, starts_at=at(MONDAY, 13), caseworker_id=None, now=NOW,
                             actor=ws.user)
    db.session.commit()
    last = _letters_of(booking)[-1]
    assert (last.activity, last.letter_template_id) == (LetterActivity.MOVE, ws.letters["move"].id)


def test_an_update_without_an_update_rule_gets_the_built_in_update_letter_R_1_7_2(ws):
    """R-1.7.2: as for every activity, no matching Update rule means the built-in letter."""
    booking = _book(ws, ws.citizens[0], at(MONDAY, 9))
    moves.move_by_job_centre(booking, starts_at=at(MONDAY, 9), caseworker_id=ws.bo.id, now=NOW,
                             actor=ws.user)
    db.session.commit()
    last = _letters_of(booking)[-1]
    assert (last.activity, last.letter_template_id) == (LetterActivity.UPDATE, None)
    mail = db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "letter")
                              .order_by(OutboxMessage.id.desc())).first()
    assert mail.subject == "Der er ændringer til din samtale"
