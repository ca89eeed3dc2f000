"""Online offers: made from templates, shown to the citizens their rules match.

R-4.1 (what an offer holds), R-1.5.4 (a template pre-fills it), R-4.2 (who sees it, and
its bookable window). The team's notice when the last slot goes is in out_of_slots.py.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date, timedelta
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.orm import joinedload

from webapp.domain.cpr import birth_date
from webapp.domain.errors import DomainError, NotFound
from webapp.extensions import db
from webapp.models import (CallInTemplate, Caseworker, Citizen, ContactGroup, OnlineOffer, Room,
                           Team)
from webapp.calendar.rooms import check_room_for_team
from webapp.storage import audit
from webapp.models import AuditEvent
from webapp.storage.sql import prepared

_DAY = timedelta(days=1)
_POSTAL_PART = re.compile(r"^(\d{4})(?:\s*-\s*(\d{4}))?$")

#: Fields a template hands to an offer (R-1.5.4); all stay editable on the offer.
SPEC_FIELDS = ("conversation_type_id", "variant_id", "meeting_form", "holding_form_id", "team_id",
               "room_id", "duration_minutes", "reporting_minutes", "description")
TERMS_FIELDS = ("accept_cancellation", "accept_rebooking", "rebooking_until_days",
                "citizen_chooses_caseworker", "first_meeting_date", "fixed_end_date",
                "rolling_end_weeks", "visible_from")
RULE_FIELDS = ("min_age", "max_age", "postal_codes")


# ---------------------------------------------------------------------------
# Rules and window
# ---------------------------------------------------------------------------

def parse_postal_codes(text: str | None) -> list[tuple[int, int]]:
    """"8000-8099, 8200" → [(8000, 8099), (8200, 8200)]; empty → [] (everyone)."""
    ranges: list[tuple[int, int]] = []
    for part in re.split(r"[,;\s]+(?=\d)", (text or "").strip()):
        part = part.strip().strip(",;")
        if not part:
            continue
        match = _POSTAL_PART.match(part)
        if match is None:
            raise DomainError(
                f"»{part}« er ikke et postnummer eller et interval som 8000-8099.",
                f"'{part}' is not a postal code or a range such as 8000-8099.",
                field="postal_codes", code="postal_codes_invalid")
        low = int(match.group(1))
        high = int(match.group(2) or low)
        if high < low:
            raise DomainError(f"Intervallet {part} går baglæns.", f"The range {part} runs backwards.",
                              field="postal_codes", code="postal_codes_invalid")
        ranges.append((low, high))
    return ranges


def end_date(offer: OnlineOffer, today: date) -> date | None:
    """The last bookable day: the fixed end, the rolling end (whole weeks from today), or the earlier."""
    return offer.last_day(today)


def first_day(offer: OnlineOffer, today: date) -> date:
    """The first bookable day: tomorrow at the earliest (one day's notice, R-4.2)."""
    first = today + _DAY
    if offer.first_meeting_date is not None and offer.first_meeting_date > first:
        first = offer.first_meeting_date
    return first


def window(offer: OnlineOffer, today: date) -> tuple[date, date] | None:
    """(first, last) bookable day, or None when the window is empty."""
    last = end_date(offer, today)
    first = first_day(offer, today)
    if last is None or last < first:
        return None
    return first, last


def is_visible(offer: OnlineOffer, today: date) -> bool:
    """Active, open for booking (visible from) and not over (R-4.2)."""
    if not offer.active:
        return False
    if offer.visible_from is not None and offer.visible_from > today:
        return False
    return window(offer, today) is not None


def citizen_age(citizen: Citizen, today: date) -> int | None:
    try:
        born = birth_date(citizen.cpr)
    except DomainError:
        return None
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


def citizen_matches(offer: OnlineOffer, citizen: Citizen, today: date) -> bool:
    """The offer's rules: contact groups, age, postal code; an empty rule admits everyone."""
    if citizen.job_centre_id != offer.job_centre_id:
        return False
    groups = {group.id for group in offer.contact_groups}
    if groups and citizen.contact_group_id not in groups:
        return False
    if offer.min_age is not None or offer.max_age is not None:
        age = citizen_age(citizen, today)
        if age is None:
            return False
        if offer.min_age is not None and age < offer.min_age:
            return False
        if offer.max_age is not None and age > offer.max_age:
            return False
    codes = parse_postal_codes(offer.postal_codes)
    if codes:
        postal = citizen.postal_code or ""
        if not postal.isdigit() or not any(lo <= int(postal) <= hi for lo, hi in codes):
            return False
    return True


def offers_for_citizen(citizen: Citizen, today: date) -> list[OnlineOffer]:
    """Active, visible offers of the citizen's job centre whose rules match them (R-4.2)."""
    offers = db.session.scalars(select(OnlineOffer).where(
        OnlineOffer.job_centre_id == citizen.job_centre_id, OnlineOffer.active)
        .order_by(OnlineOffer.name)).all()
    return [offer for offer in offers
            if is_visible(offer, today) and citizen_matches(offer, citizen, today)]


#: What a booking, its answer, the rules and the invitations read of an offer: one query.
_BOOKING_LOAD = (joinedload(OnlineOffer.conversation_type), joinedload(OnlineOffer.holding_form),
                 joinedload(OnlineOffer.variant), joinedload(OnlineOffer.team),
                 joinedload(OnlineOffer.room), joinedload(OnlineOffer.contact_groups))


@prepared
def _offer_for_booking(ids: Any) -> Any:
    return select(OnlineOffer).options(*_BOOKING_LOAD).where(OnlineOffer.id == bindparam("id"))


def offer_for_citizen(offer_id: Any, citizen: Citizen, today: date) -> OnlineOffer:
    """The offer if this citizen may book it now; otherwise 404 (never say why)."""
    valid = isinstance(offer_id, int) and not isinstance(offer_id, bool) and 0 < offer_id < 2**31
    offer = db.session.scalars(_offer_for_booking(), {"id": offer_id}).unique().one_or_none() \
        if valid else None
    if offer is None or not is_visible(offer, today) or not citizen_matches(offer, citizen, today):
        raise NotFound("Tilbuddet findes ikke eller kan ikke bookes.",
                       "The offer does not exist or cannot be booked.", code="offer_not_found")
    return offer


# ---------------------------------------------------------------------------
# Creating and checking offers
# ---------------------------------------------------------------------------

def validate_offer(offer: OnlineOffer) -> None:
    """What the database checks too, in words (R-4.1)."""
    if not (offer.name or "").strip():
        raise DomainError("Giv tilbuddet et navn.", "Give the offer a name.", field="name",
                          code="name_missing")
    if offer.fixed_end_date is None and not offer.rolling_end_weeks:
        raise DomainError("Angiv en fast slutdato eller en løbende slutdato i hele uger.",
                          "Set a fixed end date or a rolling end date in whole weeks.",
                          field="fixed_end_date", code="end_missing")
    if offer.rolling_end_weeks is not None and offer.rolling_end_weeks <= 0:
        raise DomainError("Den løbende slutdato skal være mindst én uge.",
                          "The rolling end date must be at least one week.",
                          field="rolling_end_weeks", code="rolling_end_invalid")
    if (offer.fixed_end_date is not None and offer.first_meeting_date is not None
            and offer.fixed_end_date < offer.first_meeting_date):
        raise DomainError("Slutdatoen ligger før første mødedato.",
                          "The end date is before the first meeting date.",
                          field="fixed_end_date", code="end_before_first")
    if not 0 < (offer.duration_minutes or 0) <= 480:
        raise DomainError.of("duration_out_of_range", field="duration_minutes", code="duration_invalid")
    if (offer.rebooking_until_days or 0) < 0:
        raise DomainError("Antal dage før mødet kan ikke være negativt.",
                          "The number of days before the meeting cannot be negative.",
                          field="rebooking_until_days", code="rebooking_until_days_invalid")
    if (offer.min_age is not None and offer.max_age is not None and offer.min_age > offer.max_age):
        raise DomainError("Mindstealderen er større end maksimalalderen.",
                          "The minimum age is above the maximum age.", field="min_age",
                          code="age_range_invalid")
    parse_postal_codes(offer.postal_codes)
    if not offer.caseworkers:
        raise DomainError.of("no_caseworker", field="caseworkers", code="no_caseworker")
    foreign = [c for c in offer.caseworkers if c.job_centre_id != offer.job_centre_id]
    team = db.session.get(Team, offer.team_id) if offer.team_id is not None else None
    room = db.session.get(Room, offer.room_id) if offer.room_id is not None else None
    if foreign or team is None or team.job_centre_id != offer.job_centre_id or (
            room is not None and room.job_centre_id != offer.job_centre_id):
        raise DomainError("Team, lokale og sagsbehandlere skal høre til jobcentret.",
                          "Team, room and caseworkers must belong to the job centre.",
                          field="team_id", code="foreign_reference")
    check_room_for_team(team, room)


def offer_from_template(template: CallInTemplate, *, name: str, actor: Any = None,
                        caseworker_ids: Iterable[int] | None = None,
                        contact_group_ids: Iterable[int] | None = None,
                        **overrides: Any) -> OnlineOffer:
    """A new offer pre-filled from a call-in template; any field can be overridden (R-1.5.4).

    The offer starts active when the template says "activate on the portal at once".
    Callers (the caseworker page here, the admin's offer view) commit.
    """
    unknown = set(overrides) - set(SPEC_FIELDS) - set(TERMS_FIELDS) - set(RULE_FIELDS) - {"active"}
    if unknown:
        raise TypeError(f"unknown offer fields: {sorted(unknown)}")
    values: dict[str, Any] = {key: getattr(template, key) for key in SPEC_FIELDS + TERMS_FIELDS}
    values["active"] = template.activate_offer_at_once
    values.update(overrides)
    offer = OnlineOffer(job_centre_id=template.job_centre_id, name=(name or "").strip(),
                        template_id=template.id, **values)
    if caseworker_ids is None:
        offer.caseworkers = list(template.caseworkers)
    else:
        ids = list(caseworker_ids)
        offer.caseworkers = list(db.session.scalars(select(Caseworker).where(
            Caseworker.id.in_(ids), Caseworker.job_centre_id == template.job_centre_id)))
        if len(offer.caseworkers) != len(set(ids)):
            raise DomainError.of("unknown_caseworker", field="caseworkers", code="unknown_caseworker")
    if contact_group_ids is None:
        offer.contact_groups = list(template.contact_groups)
    else:
        offer.contact_groups = list(db.session.scalars(select(ContactGroup).where(
            ContactGroup.id.in_(list(contact_group_ids)))))
    validate_offer(offer)
    if db.session.scalar(select(OnlineOffer.id).where(
            OnlineOffer.job_centre_id == offer.job_centre_id,
            OnlineOffer.name == offer.name)) is not None:
        raise DomainError(f"Der findes allerede et tilbud med navnet »{offer.name}«.",
                          f"An offer named '{offer.name}' already exists.", field="name",
                          code="name_taken")
    db.session.add(offer)
    db.session.flush()
    before, after = {}, audit.snapshot(offer)
    audit.record(AuditEvent.ADMIN_CREATED, actor=actor, obj=offer, before=before, after=after,
                 details=f"Onlinetilbud oprettet fra skabelonen {template.name}")
    return offer
