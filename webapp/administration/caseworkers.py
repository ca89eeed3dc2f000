"""Caseworker use cases: directory look-up, identity, teams, working time and breaks (R-1.2.x)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, time

from sqlalchemy import func, select

from webapp.domain.availability import WeeklySchedule
from webapp.domain.contact import check_guid, check_rid, normalise_email, normalise_phone
from webapp.domain.directory import Directory, DirectoryEntry
from webapp.domain.errors import DomainError
from webapp.extensions import db
from webapp.models import (Booking, BookingCaseworker, BookingOrigin, BookingStatus, Break,
                           CallIn, CallInStatus, Caseworker, JobCentre, MembershipState, OnlineOffer,
                           SyncMode, Team, TeamMembership, WorkingTime, callin_caseworkers)
from webapp.calendar.busy_import import validate_calendar_url

WEEKDAYS_DA = ("Mandag", "Tirsdag", "Onsdag", "Torsdag", "Fredag", "Lørdag", "Søndag")
WEEKDAYS_EN = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
MIDNIGHT = time(0, 0)
DEFAULT_START, DEFAULT_END = time(7, 30), time(16, 0)

# Working time per weekday (0 = Monday); (00:00, 00:00) = no working time that day.
Week = dict[int, tuple[time, time]]


@dataclass(frozen=True)
class BreakRow:
    weekday: int
    start: time
    end: time


# --- directory (R-1.2.1) ------------------------------------------------------

def look_up(directory: Directory, email: str, job_centre_id: int | None = None) -> DirectoryEntry:
    """The person to create, from the national directory; refuses the unknown and uncertified."""
    address = normalise_email(email)
    entry = directory.lookup(address)
    if entry is None:
        raise DomainError(
            f"{address} findes ikke i AM-portalen. Tjek adressen: søg på den fulde e-mailadresse.",
            f"{address} is not in the national user directory. Check the address: search with "
            "the full e-mail address.", field="email", code="not_in_directory")
    if not entry.certificate_valid:
        raise DomainError(
            f"{entry.name} har ikke et gyldigt medarbejdercertifikat og kan ikke oprettes.",
            f"{entry.name} has no valid employee certificate and cannot be created.",
            field="email", code="certificate_invalid")
    if job_centre_id is not None and db.session.scalar(select(Caseworker.id).where(
            Caseworker.job_centre_id == job_centre_id, func.lower(Caseworker.email) == address)):
        raise DomainError(f"{entry.name} ({address}) er allerede oprettet som vejleder.",
                          f"{entry.name} ({address}) is already a caseworker here.",
                          field="email", code="duplicate_caseworker")
    return entry


# --- identity, teams, sync (R-1.2.2, R-1.2.4, R-1.2.7) -------------------------

def offered_sync_modes(job_centre: JobCentre) -> list[SyncMode]:
    """The modes the job centre's set-up offers (R-1.2.7); None and One-way always."""
    configured = {part.strip() for part in (job_centre.sync_modes or "").split(",") if part.strip()}
    return [mode for mode in SyncMode
            if mode in (SyncMode.NONE, SyncMode.ONE_WAY) or mode.value in configured]


def validate_identity(caseworker: Caseworker, *, directory: Directory | None,
                      is_created: bool) -> None:
    """E-mail, RID or GUID, phone, initials; a new caseworker must be in the directory."""
    caseworker.email = normalise_email(caseworker.email)
    if is_created:
        if directory is None:
            raise DomainError("Der er ingen forbindelse til AM-portalen.",
                              "The national user directory is not available.", field="email")
        entry = look_up(directory, caseworker.email, caseworker.job_centre_id)
        caseworker.name = entry.name
    caseworker.name = (caseworker.name or "").strip()
    if not caseworker.name:
        raise DomainError("Hent vejlederens data fra AM-portalen (knappen Hent data).",
                          "Fetch the caseworker's data from the directory (Fetch data).",
                          field="email", code="name_missing")
    rid = (caseworker.rid or "").strip()
    guid = (caseworker.guid or "").strip()
    if rid and guid:
        raise DomainError("Udfyld enten RID eller GUID, ikke begge. GUID bruges kun af FASIT-kunder.",
                          "Fill in either RID or GUID, not both. Only FASIT customers use a GUID.",
                          field="guid", code="rid_and_guid")
    if not rid and not guid:
        raise DomainError("Udfyld RID (fra medarbejdercertifikatet) eller, for FASIT-kunder, GUID.",
                          "Fill in the RID (from the employee certificate) or, for FASIT "
                          "customers, the GUID.", field="rid", code="rid_or_guid_missing")
    caseworker.rid = check_rid(rid) if rid else None
    caseworker.guid = check_guid(guid) if guid else None
    caseworker.phone = normalise_phone(caseworker.phone) if (caseworker.phone or "").strip() else None
    caseworker.initials = (caseworker.initials or "").strip().upper() or None
    duplicate = db.session.scalar(select(Caseworker.id).where(
        Caseworker.job_centre_id == caseworker.job_centre_id,
        func.lower(Caseworker.email) == caseworker.email, Caseworker.id != (caseworker.id or 0)))
    if duplicate is not None:
        raise DomainError(f"Der findes allerede en vejleder med e-mailadressen {caseworker.email}.",
                          f"A caseworker with the e-mail address {caseworker.email} exists.",
                          field="email", code="duplicate_caseworker")
    job_centre = caseworker.job_centre or db.session.get(JobCentre, caseworker.job_centre_id)
    if caseworker.sync_mode is not None and SyncMode(caseworker.sync_mode) not in offered_sync_modes(job_centre):
        raise DomainError("Jobcentrets opsætning tilbyder ikke denne synkronisering.",
                          "The job centre's set-up does not offer this sync mode.",
                          field="sync_mode", code="sync_mode_not_offered")
    # The import fetches this address from the server: only http(s) to allowed hosts.
    url = (caseworker.busy_calendar_url or "").strip()
    caseworker.busy_calendar_url = validate_calendar_url(url) if url else None


def check_teams(teams: Sequence[Team], job_centre_id: int) -> None:
    """R-1.2.4: at least one team, all of the caseworker's job centre."""
    if not teams:
        raise DomainError("Vælg mindst ét team. Vejlederen kan kun gemmes med et team.",
                          "Choose at least one team. The caseworker can only be saved with a team.",
                          field="teams", code="team_missing")
    if any(team.job_centre_id != job_centre_id for team in teams):
        raise DomainError.of("team_other_job_centre", field="teams")


def future_meetings(caseworker_id: int, team_id: int, now: datetime) -> list[Booking]:
    """Meetings of the caseworker for the team that have not started yet (R-1.2.8)."""
    return list(db.session.scalars(
        select(Booking).join(BookingCaseworker)
        .where(BookingCaseworker.caseworker_id == caseworker_id, Booking.team_id == team_id,
               Booking.starts_at >= now, Booking.status != BookingStatus.CANCELLED)
        .order_by(Booking.starts_at)))


@dataclass
class TeamLeft:
    """What leaving a team changed besides the membership (R-6.6): told to the administrator."""

    team: Team
    deactivated_offers: list[OnlineOffer]
    left_offers: list[OnlineOffer]
    callins: list[CallIn]


@dataclass
class TeamChanges:
    """The teams still waiting for the administrator's choice (R-1.2.8) and those left (R-6.6)."""

    needs_decision: list[Team]
    left: list[TeamLeft]


def set_teams(caseworker: Caseworker, teams: Sequence[Team], now: datetime, *,
              actor: object = None) -> TeamChanges:
    """Make `teams` the caseworker's active teams (R-1.2.4).

    Membership of a team with future meetings is not ended here: those teams are returned
    so that the administrator chooses between rebooking and keeping the meetings (R-1.2.8).
    A team left at once is left everywhere in the same transaction: its offers and its
    waiting call-ins no longer name the caseworker (R-6.6).
    """
    check_teams(teams, caseworker.job_centre_id)
    wanted = {team.id for team in teams}
    held = {m.team_id: m for m in caseworker.memberships}
    changes = TeamChanges([], [])
    for membership in list(caseworker.memberships):
        if membership.team_id in wanted:
            membership.state = MembershipState.ACTIVE
            continue
        if membership.state != MembershipState.ACTIVE:
            continue  # already closed with its meetings kept
        if caseworker.id is not None and future_meetings(caseworker.id, membership.team_id, now):
            changes.needs_decision.append(membership.team)
        else:
            if caseworker.id is not None:
                changes.left.append(leave_team(caseworker, membership.team, actor=actor))
            caseworker.memberships.remove(membership)
    for team in teams:
        if team.id not in held:
            caseworker.memberships.append(TeamMembership(team=team, state=MembershipState.ACTIVE))
    return changes


def check_delete(caseworker: Caseworker, now: datetime) -> None:
    """R-1.2.10: no deleting while called-in meetings lie ahead; the history keeps past ones."""
    rows = db.session.execute(
        select(Booking.starts_at, Booking.origin).join(BookingCaseworker)
        .where(BookingCaseworker.caseworker_id == caseworker.id,
               Booking.status != BookingStatus.CANCELLED)).all()
    future_called_in = [r for r in rows if r.starts_at >= now and r.origin != BookingOrigin.IMPORTED]
    if future_called_in:
        raise DomainError(
            f"{caseworker.name} har {len(future_called_in)} kommende samtaler og kan ikke slettes. "
            "Ombook eller aflys dem først.",
            f"{caseworker.name} has {len(future_called_in)} future meetings and cannot be "
            "deleted. Rebook or cancel them first.", code="caseworker_has_meetings")
    if db.session.scalar(select(func.count()).select_from(BookingCaseworker)
                         .where(BookingCaseworker.caseworker_id == caseworker.id)):
        raise DomainError(
            f"{caseworker.name} har samtaler i historikken og kan ikke slettes. "
            "Fjern i stedet markeringen »Kan tilknyttes indkaldelser«.",
            f"{caseworker.name} has meetings in the history and cannot be deleted. Untick "
            "'Can be assigned call-ins' instead.", code="caseworker_has_history")


# --- working time and breaks (R-1.2.5, R-1.2.6) ---------------------------------

def default_week() -> Week:
    """07:30-16:00 Monday to Friday (R-1.2.5)."""
    return {day: ((DEFAULT_START, DEFAULT_END) if day < 5 else (MIDNIGHT, MIDNIGHT))
            for day in range(7)}


def week_of(caseworker: Caseworker) -> Week:
    week = {day: (MIDNIGHT, MIDNIGHT) for day in range(7)}
    for row in caseworker.working_times:
        week[row.weekday] = (row.start_time, row.end_time)
    return week


def breaks_of(caseworker: Caseworker) -> list[BreakRow]:
    return [BreakRow(b.weekday, b.start_time, b.end_time) for b in caseworker.breaks]


def copy_monday_to_weekdays(week: Mapping[int, tuple[time, time]]) -> Week:
    """R-1.2.5 "copy Monday to all days": Tuesday to Friday get Monday's working time."""
    copied = dict(week)
    for day in range(1, 5):
        copied[day] = week.get(0, (MIDNIGHT, MIDNIGHT))
    return copied


def copy_breaks_to_other_days(breaks: Iterable[BreakRow], source_day: int | None,
                              week: Mapping[int, tuple[time, time]]) -> list[BreakRow]:
    """R-1.2.6 "copy to other days": every other working day gets the source day's breaks.

    A source that is no weekday (0-6) is refused: it has no breaks, so copying it would wipe
    every other day's (R-7.4).
    """
    if source_day not in range(7):
        raise DomainError("Vælg den ugedag, pauserne skal kopieres fra.",
                          "Choose the weekday to copy the breaks from.", field="breaks",
                          code="copy_breaks_day")
    rows = list(breaks)
    source = [b for b in rows if b.weekday == source_day]
    working = [day for day in range(7) if day != source_day
               and week.get(day, (MIDNIGHT, MIDNIGHT))[0] < week.get(day, (MIDNIGHT, MIDNIGHT))[1]]
    kept = [b for b in rows if b.weekday not in working]
    copies = [BreakRow(day, b.start, b.end) for day in working for b in source]
    return sorted(kept + copies, key=lambda b: (b.weekday, b.start))


def check_schedule(week: Mapping[int, tuple[time, time]], breaks: Iterable[BreakRow]) -> list[str]:
    """Refuse a wrong week (DomainError on field `working_time` or `breaks`, naming the day);
    return the Danish warnings of breaks under 15 minutes (R-1.2.5, R-1.2.6)."""
    rows = list(breaks)
    warnings: list[str] = []
    for day in range(7):
        start, end = week.get(day, (MIDNIGHT, MIDNIGHT))
        day_breaks = [(b.start, b.end) for b in rows if b.weekday == day]
        try:
            schedule = WeeklySchedule(working_time={day: (start, end)}, breaks={day: day_breaks})
        except DomainError as error:
            if error.code == "break_outside_working_time" and start == end:
                raise DomainError(
                    f"{WEEKDAYS_DA[day]}: der er ingen arbejdstid (00:00–00:00), så dagen kan "
                    "ikke have pauser. Slet pauserne eller angiv en arbejdstid.",
                    f"{WEEKDAYS_EN[day]}: there is no working time (00:00–00:00), so the day "
                    "cannot have breaks. Delete the breaks or enter a working time.",
                    field="breaks", code="breaks_without_working_time") from None
            raise DomainError(f"{WEEKDAYS_DA[day]}: {error.message_da}",
                              f"{WEEKDAYS_EN[day]}: {error.message_en}",
                              field=error.field, code=error.code) from None
        for _, (b_start, b_end) in schedule.short_breaks():
            warnings.append(f"{WEEKDAYS_DA[day]}: pausen {b_start:%H:%M}–{b_end:%H:%M} er under "
                            "15 minutter og kan ikke vises i kalenderen.")
    return warnings


def set_schedule(caseworker: Caseworker, week: Mapping[int, tuple[time, time]],
                 breaks: Iterable[BreakRow]) -> list[str]:
    """Replace working time and breaks after checking them; returns the warnings."""
    rows = sorted(breaks, key=lambda b: (b.weekday, b.start))
    warnings = check_schedule(week, rows)
    current = {row.weekday: row for row in caseworker.working_times}
    for day in range(7):
        start, end = week.get(day, (MIDNIGHT, MIDNIGHT))
        if day in current:
            current[day].start_time, current[day].end_time = start, end
        else:
            caseworker.working_times.append(WorkingTime(weekday=day, start_time=start, end_time=end))
    existing = [(b.weekday, b.start_time, b.end_time) for b in caseworker.breaks]
    if existing != [(b.weekday, b.start, b.end) for b in rows]:
        caseworker.breaks.clear()
        for row in rows:
            caseworker.breaks.append(Break(weekday=row.weekday, start_time=row.start, end_time=row.end))
    return warnings


def schedule_summary(caseworker: Caseworker) -> dict[str, list[str]]:
    """Working time and breaks as text, for the audit trail's before/after."""
    week = week_of(caseworker)
    return {
        "working_time": [f"{WEEKDAYS_DA[d]} {s:%H:%M}-{e:%H:%M}" for d, (s, e) in sorted(week.items())],
        "breaks": [f"{WEEKDAYS_DA[b.weekday]} {b.start:%H:%M}-{b.end:%H:%M}" for b in breaks_of(caseworker)],
        "teams": sorted(m.team.name if m.state in (None, MembershipState.ACTIVE)
                        else f"{m.team.name} (lukket, møder bevaret)" for m in caseworker.memberships),
    }


def other_caseworkers(job_centre_id: int, exclude_id: int | None) -> list[Caseworker]:
    return list(db.session.scalars(select(Caseworker).where(
        Caseworker.job_centre_id == job_centre_id, Caseworker.id != (exclude_id or 0))
        .order_by(Caseworker.name)))


# --- leaving a team with future meetings (R-1.2.8, R-1.2.9) ------------------------

@dataclass
class RebookingItem:
    """One future meeting and the team's caseworkers free at its time."""

    booking: Booking
    candidates: list[Caseworker]


@dataclass
class RebookingResult:
    moved: list[tuple[Booking, Caseworker]]
    manual: list[Booking]
    deactivated_offers: list[OnlineOffer]


def _membership(caseworker: Caseworker, team: Team) -> TeamMembership | None:
    return next((m for m in caseworker.memberships if m.team_id == team.id), None)


def team_caseworker_ids(team_id: int, exclude_id: int | None = None) -> list[int]:
    """Active members of the team who can be given meetings, by name."""
    return list(db.session.scalars(
        select(Caseworker.id).join(TeamMembership)
        .where(TeamMembership.team_id == team_id, TeamMembership.state == MembershipState.ACTIVE,
               Caseworker.can_be_assigned_callins, Caseworker.id != (exclude_id or 0))
        .order_by(Caseworker.name)))


def rebooking_plan(caseworker: Caseworker, team: Team, now: datetime) -> list[RebookingItem]:
    """R-1.2.8: per future meeting, the caseworkers of the same team free at that time."""
    from webapp.calendar import availability
    others = team_caseworker_ids(team.id, caseworker.id)
    plan: list[RebookingItem] = []
    for booking in future_meetings(caseworker.id, team.id, now):
        link = next(lk for lk in booking.caseworker_links if lk.caseworker_id == caseworker.id)
        on_booking = {lk.caseworker_id for lk in booking.caseworker_links}
        candidates = [cw for cw in others if cw not in on_booking]
        free = availability.free_caseworkers_at(candidates, link.starts_at, link.busy_until,
                                                team_id=team.id, now=now) if candidates else []
        plan.append(RebookingItem(booking, [db.session.get(Caseworker, cw) for cw in free]))
    return plan


def offers_left_without_team_caseworker(caseworker: Caseworker, team: Team) -> list[OnlineOffer]:
    """R-1.2.9: the team's offers on which the caseworker is the team's only caseworker."""
    members = set(team_caseworker_ids(team.id, caseworker.id))
    return [offer for offer in db.session.scalars(
                select(OnlineOffer).where(OnlineOffer.team_id == team.id).order_by(OnlineOffer.name))
            if caseworker in offer.caseworkers
            and not any(other.id in members for other in offer.caseworkers if other is not caseworker)]


def _leave_offers(caseworker: Caseworker, team: Team) -> tuple[list[OnlineOffer], list[OnlineOffer]]:
    """Off the team's offers; those left without a team caseworker are switched off (R-1.2.9).

    Returns the offers switched off and all offers the caseworker was taken off.
    """
    deactivated = []
    for offer in offers_left_without_team_caseworker(caseworker, team):
        if offer.active:
            offer.active = False
            offer.deactivated_reason = (f"{caseworker.name} forlod {team.name}; ingen vejleder fra "
                                        "teamet er tilbage på tilbuddet")[:200]
            deactivated.append(offer)
    left = []
    for offer in db.session.scalars(select(OnlineOffer).where(OnlineOffer.team_id == team.id)
                                    .order_by(OnlineOffer.name, OnlineOffer.id)):
        if caseworker in offer.caseworkers:
            offer.caseworkers.remove(caseworker)
            left.append(offer)
    return deactivated, left


def _leave_callins(caseworker: Caseworker, team: Team, actor: object) -> list[CallIn]:
    """Off the candidates of the team's waiting call-ins (R-6.6), each change audited.

    A call-in left with no chosen caseworker goes to any caseworker of its team, as one
    created without a choice does.
    """
    from webapp.models import AuditEvent
    from webapp.storage import audit
    callins = list(db.session.scalars(
        select(CallIn).join(callin_caseworkers, callin_caseworkers.c.callin_id == CallIn.id)
        .where(CallIn.team_id == team.id, CallIn.status == CallInStatus.WAITING,
               CallIn.booking_id.is_(None), callin_caseworkers.c.caseworker_id == caseworker.id)
        .order_by(CallIn.id)))
    for callin in callins:
        before = sorted(cw.name for cw in callin.caseworkers)
        callin.caseworkers.remove(caseworker)
        audit.record(AuditEvent.ADMIN_UPDATED, actor=actor, obj=callin, citizen_id=callin.citizen_id,
                     caseworker_id=caseworker.id, before={"caseworkers": before},
                     after={"caseworkers": sorted(cw.name for cw in callin.caseworkers)},
                     details=f"{caseworker.name} forlod {team.name}")
    return callins


def leave_team(caseworker: Caseworker, team: Team, *, actor: object = None) -> TeamLeft:
    """R-6.6: the caseworker leaves the team's offers and its waiting call-ins' candidates.

    The membership itself is the caller's (ended, or closed with the meetings kept); the
    caller's transaction holds all of it.
    """
    deactivated, left = _leave_offers(caseworker, team)
    callins = _leave_callins(caseworker, team, actor)
    return TeamLeft(team, deactivated, left, callins)


def close_keep_meetings(caseworker: Caseworker, team: Team, *, actor: object = None) -> None:
    """R-1.2.8 "Close and keep meetings": the meetings stay; no new self-bookings for the team."""
    membership = _membership(caseworker, team)
    if membership is None:
        raise DomainError("Vejlederen er ikke på teamet.", "The caseworker is not on the team.")
    before = schedule_summary(caseworker)["teams"]
    membership.state = MembershipState.CLOSED_KEEP_MEETINGS
    # The offers keep her for the meetings she keeps (no new self-bookings reach her there);
    # the waiting call-ins are new meetings, so she leaves them.
    _leave_callins(caseworker, team, actor)
    db.session.flush()
    _audit_teams(caseworker, before, actor)


def apply_rebooking(caseworker: Caseworker, team: Team, choices: Mapping[int, int | None], *,
                    actor: object, now: datetime) -> RebookingResult:
    """Move each meeting to the chosen free caseworker of the team (R-1.2.8), list the rest for
    manual handling, leave the team and switch off offers left without a team caseworker (R-1.2.9).

    Each move is re-checked under lock by the booking service; a meeting taken meanwhile
    goes to the manual list instead of failing the whole rebooking.
    """
    from webapp.domain.errors import Conflict
    from webapp.booking import writer as booking_service
    before = schedule_summary(caseworker)["teams"]
    moved: list[tuple[Booking, Caseworker]] = []
    manual: list[Booking] = []
    for item in rebooking_plan(caseworker, team, now):
        chosen = choices.get(item.booking.id)
        target = next((cw for cw in item.candidates if cw.id == chosen), None)
        if target is None:
            manual.append(item.booking)
            continue
        try:
            with db.session.begin_nested():
                booking_service.reassign_caseworker(item.booking, caseworker.id, target.id,
                                                    now=now, actor=actor)
        except Conflict:
            manual.append(item.booking)
        else:
            moved.append((item.booking, target))
    deactivated = leave_team(caseworker, team, actor=actor).deactivated_offers
    membership = _membership(caseworker, team)
    if membership is not None:
        if manual:
            membership.state = MembershipState.CLOSED_KEEP_MEETINGS
        else:
            caseworker.memberships.remove(membership)
    db.session.flush()
    _audit_teams(caseworker, before, actor)
    return RebookingResult(moved, manual, deactivated)


def check_offer_activation(offer: OnlineOffer) -> None:
    """An offer switched off by R-1.2.9 is reactivated only with a caseworker of its team."""
    if not offer.active:
        return
    if offer.deactivated_reason and offer.team is not None:
        members = set(team_caseworker_ids(offer.team.id))
        if not any(cw.id in members for cw in offer.caseworkers):
            raise DomainError("Tilføj en vejleder fra tilbuddets team, før tilbuddet aktiveres igen.",
                              "Add a caseworker of the offer's team before reactivating the offer.",
                              field="caseworkers", code="offer_without_caseworker")
    offer.deactivated_reason = None


def _audit_teams(caseworker: Caseworker, before: list[str], actor: object) -> None:
    from webapp.models import AuditEvent
    from webapp.storage import audit
    after = schedule_summary(caseworker)["teams"]
    if before != after:
        audit.record(AuditEvent.ADMIN_UPDATED, actor=actor, obj=caseworker, caseworker_id=caseworker.id,
                     before={"teams": before}, after={"teams": after})
