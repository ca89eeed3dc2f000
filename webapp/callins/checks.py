"""The call-in's input rules, every one checked before anything is written (R-3.1, R-1.5.x, R-8.5).

`check_input` gives every broken rule at once, one per field, for the form to show together;
`create_callins` raises them as one `CallInErrors`. A rule that needs a field which is itself
wrong is left out rather than reported twice.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from webapp.calendar.rooms import check_room_for_team
from webapp.citizens.service import citizen_for_cpr
from webapp.domain.cpr import mask_cpr, normalise_cpr
from webapp.domain.errors import DomainError
from webapp.extensions import db
from webapp.models import (Caseworker, Citizen, ConversationType, DeadlineMode, Distribution,
                           HoldingForm, MeetingForm, MembershipState, Room, Team, TeamMembership,
                           Variant)

if TYPE_CHECKING:
    from webapp.callins.calling import CallInInput


def _d(day: date) -> str:
    return f"{day:%d.%m.%Y}"


def _citizens(data: CallInInput, today: date) -> list[Citizen]:
    if not data.cprs:
        raise DomainError("Skriv mindst ét CPR-nummer.", "Enter at least one CPR number.",
                          field="cprs", code="cpr_missing")
    citizens: list[Citizen] = []
    seen: dict[str, int] = {}
    many = len(data.cprs) > 1
    for number, raw in enumerate(data.cprs, start=1):
        try:
            cpr = normalise_cpr(raw, today=today)
        except DomainError as error:
            where_da = f"CPR-nummer {number} på listen: " if many else ""
            where_en = f"CPR number {number} in the list: " if many else ""
            raise DomainError(where_da + error.message_da, where_en + error.message_en,
                              field="cprs", code=error.code) from None
        if cpr in seen:
            raise DomainError(
                f"CPR-nummer {mask_cpr(cpr)} står to gange på listen; en borger kan kun "
                "indkaldes én gang til samme samtale.",
                f"CPR number {mask_cpr(cpr)} appears twice in the list; a citizen can be called "
                "in only once to the same conversation.", field="cprs", code="duplicate_citizen")
        seen[cpr] = number
        # a number not yet known is looked up in the register and the citizen created.
        citizens.append(citizen_for_cpr(data.job_centre_id, cpr, field="cprs"))
    return citizens


def _in_job_centre(model: type, object_id: int | None, job_centre_id: int) -> Any:
    if object_id is None:
        return None
    obj = db.session.get(model, object_id)
    if obj is None or getattr(obj, "job_centre_id", job_centre_id) != job_centre_id:
        return None
    return obj


def _check_spec(data: CallInInput) -> tuple[Team, Room | None, list[Caseworker]]:
    """The meeting's fields; raises the first broken rule (see `_spec` for all of them)."""
    errors: list[DomainError] = []
    team, room, caseworkers = _spec(data, errors)
    if errors:
        raise errors[0]
    assert team is not None
    return team, room, caseworkers


def _spec(data: CallInInput, errors: list[DomainError]
          ) -> tuple[Team | None, Room | None, list[Caseworker]]:
    """Check every field of the meeting and add each broken rule to `errors`, one per field, so
    the form can show them all at once (R-8.5); a rule that needs a field which is itself wrong
    is left out rather than reported twice."""
    jc = data.job_centre_id
    conversation_type = db.session.get(ConversationType, data.conversation_type_id) \
        if data.conversation_type_id else None
    if conversation_type is None:
        errors.append(DomainError.of("conversation_type_missing", field="conversation_type_id"))
    if data.holding_form_id is None or db.session.get(HoldingForm, data.holding_form_id) is None:
        errors.append(DomainError.of("holding_form_missing", field="holding_form_id"))
    team = _in_job_centre(Team, data.team_id, jc)
    if team is None:
        errors.append(DomainError.of("team_missing", field="team_id"))
    if data.variant_id is not None and conversation_type is not None:
        variant = _in_job_centre(Variant, data.variant_id, jc)
        if variant is None or conversation_type not in variant.conversation_types:
            errors.append(DomainError(
                f"Varianten hører ikke til samtaletypen »{conversation_type.name}«.",
                f"The variant does not belong to the conversation type '{conversation_type.name}'.",
                field="variant_id", code="variant_type"))
    room = None
    if data.room_id is not None:
        room = _in_job_centre(Room, data.room_id, jc)
        if room is None or not room.usable_for_callins:
            room = None
            errors.append(DomainError("Mødelokalet kan ikke bruges til indkaldelser.",
                                      "The meeting room cannot be used for call-ins.",
                                      field="room_id", code="room_not_for_callins"))
        else:
            try:
                check_room_for_team(team, room)
            except DomainError as error:
                errors.append(error)
    elif data.meeting_form == MeetingForm.GROUP:
        errors.append(DomainError("Et fællesmøde skal have et mødelokale.",
                                  "A group meeting needs a meeting room.", field="room_id",
                                  code="group_needs_room"))
    caseworkers = _caseworkers(data, team, errors)
    if data.duration_minutes is None or not 1 <= data.duration_minutes <= 480:
        errors.append(DomainError.of("duration_out_of_range", field="duration_minutes",
                                     code="out_of_range"))
    if not 0 <= (data.reporting_minutes or 0) <= 240:
        errors.append(DomainError("Tid til rapportering skal være mellem 0 og 240 minutter.",
                                  "Time for reporting must be between 0 and 240 minutes.",
                                  field="reporting_minutes", code="out_of_range"))
    return team, room, caseworkers


def _caseworkers(data: CallInInput, team: Team | None, errors: list[DomainError]) -> list[Caseworker]:
    """The chosen caseworkers in the order chosen; each must be of the team and take call-ins."""
    if not data.caseworker_ids:
        errors.append(DomainError("Vælg mindst én vejleder.", "Choose at least one caseworker.",
                                  field="caseworker_ids", code="no_caseworker"))
        return []
    caseworkers = db.session.scalars(select(Caseworker).where(
        Caseworker.id.in_(data.caseworker_ids), Caseworker.job_centre_id == data.job_centre_id)).all()
    if len(caseworkers) != len(set(data.caseworker_ids)):
        errors.append(DomainError("Ukendt vejleder.", "Unknown caseworker.", field="caseworker_ids",
                                  code="unknown_caseworker"))
        return []
    members = set(db.session.scalars(select(TeamMembership.caseworker_id).where(
        TeamMembership.team_id == team.id, TeamMembership.state == MembershipState.ACTIVE))) \
        if team is not None else None
    for caseworker in caseworkers:
        if members is not None and caseworker.id not in members:
            assert team is not None
            errors.append(DomainError(f"{caseworker.name} hører ikke til teamet »{team.name}«.",
                                      f"{caseworker.name} does not belong to the team '{team.name}'.",
                                      field="caseworker_ids", code="caseworker_not_in_team"))
            break
        if not caseworker.can_be_assigned_callins:
            errors.append(DomainError(f"{caseworker.name} kan ikke tildeles indkaldelser.",
                                      f"{caseworker.name} cannot be assigned call-ins.",
                                      field="caseworker_ids", code="caseworker_no_callins"))
            break
    return sorted(caseworkers, key=lambda cw: list(data.caseworker_ids).index(cw.id))


def deadline_for(data: CallInInput, today: date) -> date:
    """The deadline from the template's setting (R-1.5.2); a typed deadline wins."""
    mode = DeadlineMode(data.deadline_mode)
    if mode in (DeadlineMode.FALL_DATE, DeadlineMode.DAYS_BEFORE_FALL_DATE) and data.fall_date is None:
        raise DomainError(
            "Fristen for afholdelse regnes ud fra falddatoen: angiv en falddato.",
            "The deadline is worked out from the fall date: enter a fall date.",
            field="fall_date", code="fall_date_missing")
    if data.deadline_date is not None:
        return data.deadline_date
    if mode == DeadlineMode.FALL_DATE:
        assert data.fall_date is not None
        return data.fall_date
    if data.deadline_days is None:
        raise DomainError("Angiv en frist for afholdelse.", "Enter a deadline.",
                          field="deadline_date", code="deadline_missing")
    if mode == DeadlineMode.DAYS_BEFORE_FALL_DATE:
        assert data.fall_date is not None
        return data.fall_date - timedelta(days=data.deadline_days)
    return today + timedelta(days=data.deadline_days)


def _window(data: CallInInput, today: date) -> tuple[date, date]:
    deadline = deadline_for(data, today)
    if data.distribution == Distribution.FIXED_TIME:
        if data.starts_at is None:
            raise DomainError("Vælg dato og klokkeslæt for samtalen.",
                              "Choose the date and time of the meeting.", field="starts_at",
                              code="starts_at_missing")
        if data.starts_at.date() > deadline:
            raise DomainError(
                f"Tidspunktet ({_d(data.starts_at.date())}) ligger efter fristen for afholdelse "
                f"({_d(deadline)}).",
                f"The time ({data.starts_at:%Y-%m-%d}) is after the deadline ({deadline:%Y-%m-%d}).",
                field="starts_at", code="after_deadline")
        earliest = min(today, data.starts_at.date())
    else:
        earliest = data.earliest_date or today
        if earliest < today:
            raise DomainError("Tidligste samtaledato kan ikke ligge i fortiden.",
                              "The earliest conversation date cannot be in the past.",
                              field="earliest_date", code="earliest_in_past")
    if deadline < earliest:
        raise DomainError(
            f"Fristen for afholdelse ({_d(deadline)}) ligger før tidligste samtaledato "
            f"({_d(earliest)}).",
            f"The deadline ({deadline:%Y-%m-%d}) is before the earliest conversation date "
            f"({earliest:%Y-%m-%d}).", field="deadline_date", code="deadline_before_earliest")
    return earliest, deadline


class CallInErrors(DomainError):
    """Every broken rule of one call-in form at once (R-8.5); reads as the first of them."""

    def __init__(self, errors: Sequence[DomainError]) -> None:
        first = errors[0]
        super().__init__(first.message_da, first.message_en, field=first.field, code=first.code)
        self.errors = list(errors)


@dataclass
class _Checked:
    team: Team | None
    room: Room | None
    caseworkers: list[Caseworker]
    citizens: list[Citizen]
    window: tuple[date, date] | None
    errors: list[DomainError]


def _checked(data: CallInInput, today: date) -> _Checked:
    errors: list[DomainError] = []
    team, room, caseworkers = _spec(data, errors)
    citizens: list[Citizen] = []
    window = None
    try:
        citizens = _citizens(data, today)
    except DomainError as error:
        errors.append(error)
    try:
        window = _window(data, today)
    except DomainError as error:
        errors.append(error)
    return _Checked(team, room, caseworkers, citizens, window, errors)


def check_input(data: CallInInput, *, today: date) -> list[DomainError]:
    """Every broken input rule of the call-in, one per field, in the form's order (R-8.5)."""
    return _checked(data, today).errors
