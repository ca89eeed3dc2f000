"""One set of terms for every booking origin: what is stored, said and enforced (R-4.5, R-4.9)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from tests.booking_origins import (ORIGINS, ROOT_EMAIL, ROOT_PHONE_SHOWN, contact_on_the_root,
                                   make_booking)
from tests.workspace_setup import NOW, build_workspace
from webapp.booking import terms as booking_terms
from webapp.domain.errors import DomainError
from webapp.extensions import db
from webapp.messaging import receipts
from webapp.models import BookingStatus, OutboxMessage
from webapp.selfbooking import meetings as meeting_service

# origin -> (may cancel online, may rebook online, has limits at all)
EXPECTED = {
    "self_booked": (True, True, True),
    "fixed_time": (True, False, True),
    "batch": (True, False, True),
    "inbound": (False, False, False),
}


@pytest.fixture
def ws(app, reference_data):
    ws = build_workspace()
    contact_on_the_root(ws)
    return ws


def _receipt(booking, citizen, now) -> str:
    """The booking receipt: sent by self-booking itself; queued here for the other origins."""
    receipts.enqueue_receipt(booking, citizen, "booked", now=now)
    return db.session.scalars(select(OutboxMessage.body_text).where(
        OutboxMessage.kind == "citizen_booked")).one()


@pytest.mark.parametrize("origin", ORIGINS)
def test_r_4_5_r_4_9_every_origin_gets_its_limits_from_one_rule(ws, origin):
    """R-4.5, R-4.9: cancellation until the start, rebooking until N days before, for every
    origin with terms (the batch no longer ends cancellation N days early); online rebooking
    needs an offer; the contact is the nearest ancestor team's."""
    booking = make_booking(ws, origin)
    cancel_online, rebook_online, has_limits = EXPECTED[origin]
    terms = booking_terms.terms_for(booking, NOW)
    assert (terms.can_cancel_online, terms.can_rebook_online) == (cancel_online, rebook_online)
    assert terms.self_booked == (origin == "self_booked")
    if has_limits:
        assert booking.cancellable_until == terms.cancel_until == booking.starts_at
        assert booking.rebookable_until == terms.rebook_until == booking.starts_at - timedelta(days=1)
    else:
        assert terms.cancel_until is None and terms.rebook_until is None
    assert terms.contact == booking_terms.Contact(team=ws.team.parent.name, phone=ROOT_PHONE_SHOWN,
                                                  email=ROOT_EMAIL)
    assert terms.needs_contact == (origin != "self_booked")


@pytest.mark.parametrize("origin", ORIGINS)
def test_r_4_9_receipt_and_reminder_say_what_the_terms_allow(ws, origin):
    """R-4.9: the receipt and the reminder promise online rebooking only where the portal
    allows it; otherwise they give the job centre's phone and e-mail."""
    booking = make_booking(ws, origin)
    citizen = ws.citizens[0]
    cancel_online, rebook_online, has_limits = EXPECTED[origin]
    evening_before = booking.starts_at.replace(hour=7, minute=0) - timedelta(days=1)
    receipt = _receipt(booking, citizen, NOW)
    assert receipts.queue_reminders(evening_before) == 1
    reminder = db.session.scalars(select(OutboxMessage.body_text).where(
        OutboxMessage.kind == "citizen_reminder")).one()
    rebook_by = receipts.format_datetime_da(booking.starts_at - timedelta(days=1))
    for body in (receipt, reminder):
        if rebook_online:
            assert f"Du kan ombooke samtalen på selvbetjeningen indtil {rebook_by}." in body
        else:
            assert "Du kan ombooke" not in body
            assert "Samtalen kan ikke ombookes online. Skal den flyttes, så kontakt jobcentret" in body
            assert (f"senest {rebook_by}:" in body) == has_limits
            assert ROOT_PHONE_SHOWN in body and ROOT_EMAIL in body
        if cancel_online:
            assert ("Du kan melde afbud på selvbetjeningen indtil "
                    f"{receipts.format_datetime_da(booking.starts_at)}.") in body
        else:
            assert "Der kan ikke meldes afbud online. Kan du ikke komme, så kontakt jobcentret" in body
        assert ("Samtalen er booket af dig selv." in body) == (origin == "self_booked")


@pytest.mark.parametrize("origin", ORIGINS)
def test_r_4_5_cancel_and_rebook_are_refused_exactly_where_the_terms_say(ws, origin):
    """R-4.5: the portal's use cases enforce the terms; a refusal names the contact, in Danish
    and English, and changes nothing."""
    booking = make_booking(ws, origin)
    citizen = ws.citizens[0]
    cancel_online, rebook_online, _ = EXPECTED[origin]
    if rebook_online:
        assert meeting_service.rebook_slots(citizen, booking, now=NOW)
    else:
        with pytest.raises(DomainError) as refused:
            meeting_service.rebook_slots(citizen, booking, now=NOW)
        assert refused.value.code == "rebooking_not_allowed"
        assert refused.value.message_da.startswith("Denne samtale kan ikke ombookes online.")
        assert ROOT_EMAIL in refused.value.message_da and ROOT_PHONE_SHOWN in refused.value.message_en
    if cancel_online:
        assert meeting_service.cancel(citizen, booking, now=NOW).status == BookingStatus.CANCELLED
    else:
        with pytest.raises(DomainError) as refused:
            meeting_service.cancel(citizen, booking, now=NOW)
        assert refused.value.code == "cancellation_not_allowed"
        assert ROOT_EMAIL in refused.value.message_da
        db.session.rollback()
        assert db.session.get(type(booking), booking.id).status == BookingStatus.BOOKED


@pytest.mark.parametrize("origin", ["self_booked", "fixed_time"])
def test_r_4_5_after_the_limits_the_terms_and_the_refusals_agree(ws, origin):
    """R-4.5: past the rebooking limit nothing offers rebooking; past the start no cancellation;
    the refusal gives the limit and the contact."""
    booking = make_booking(ws, origin)
    citizen = ws.citizens[0]
    late = booking.rebookable_until + timedelta(minutes=1)
    terms = booking_terms.terms_for(booking, late)
    assert not terms.can_rebook_online and terms.can_cancel_online
    assert not meeting_service.can_rebook(booking, late)
    with pytest.raises(DomainError) as refused:
        meeting_service.rebook_slots(citizen, booking, now=late)
    if origin == "self_booked":
        assert refused.value.code == "rebooking_too_late"
        assert f"{booking.rebookable_until:%d.%m.%Y kl. %H:%M}" in refused.value.message_da
    else:  # never online without an offer, before or after the limit
        assert refused.value.code == "rebooking_not_allowed"
    assert ROOT_EMAIL in refused.value.message_da
    started = booking.starts_at
    assert not booking_terms.terms_for(booking, started).can_cancel_online
    with pytest.raises(DomainError) as refused:
        meeting_service.cancel(citizen, booking, now=started)
    assert refused.value.code == "cancellation_too_late"
    assert ROOT_PHONE_SHOWN in refused.value.message_da


def test_r_4_9_the_contact_is_the_teams_own_before_any_ancestors(ws):
    """R-4.9: a team with its own phone or e-mail is the contact; else the nearest ancestor."""
    assert booking_terms.team_contact(ws.team).team == ws.team.parent.name
    ws.team.email = "unge@testby.dk"
    assert booking_terms.team_contact(ws.team) == booking_terms.Contact(
        team=ws.team.name, phone=None, email="unge@testby.dk")
    ws.team.email = None
    ws.team.parent.phone = ws.team.parent.email = None
    assert booking_terms.team_contact(ws.team) is None
