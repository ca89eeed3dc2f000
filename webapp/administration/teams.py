"""Team tree use cases: naming, address, moving without cycles, deleting (R-1.1.x)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import exists, func, select

from webapp.domain.addresses import check_house_letter, postal_city
from webapp.domain.contact import normalise_email, normalise_phone
from webapp.domain.errors import DomainError
from webapp.extensions import db
from webapp.models.closures import LocalClosureDay, local_closure_day_teams
from webapp.models import (Booking, BookingStatus, CallInTemplate, Caseworker, MembershipState, OnlineOffer, Room,
                           Team, TeamMembership, room_teams)


def clean_contact_fields(obj: Any) -> None:
    """Address with an upper-case house letter (R-1.1.2), postal code -> city (R-1.1.3),
    e-mail and phone in their normal form. Empty fields stay empty."""
    obj.address = (obj.address or "").strip() or None
    if obj.address:
        check_house_letter(obj.address)
    code = (obj.postal_code or "").strip()
    if code:
        obj.city = postal_city(code)
        obj.postal_code = code[-4:] if code.upper().startswith("DK") else code
    else:
        obj.postal_code = obj.city = None
    if hasattr(obj, "email"):
        obj.email = normalise_email(obj.email) if (obj.email or "").strip() else None
    if hasattr(obj, "phone"):
        obj.phone = normalise_phone(obj.phone) if (obj.phone or "").strip() else None


def teams_of(job_centre_id: int) -> list[Team]:
    return list(db.session.scalars(select(Team).where(Team.job_centre_id == job_centre_id)))


def teams_by_name(job_centre_id: int) -> list[Team]:
    """The job centre's teams in alphabetical order, as the workspace lists them."""
    return list(db.session.scalars(select(Team).where(Team.job_centre_id == job_centre_id)
                                   .order_by(Team.name)))


def active_members(team_ids: list[int]) -> list[Caseworker]:
    """The caseworkers active in any of the teams, each once, by name."""
    if not team_ids:
        return []
    return list(db.session.scalars(
        select(Caseworker).join(TeamMembership, TeamMembership.caseworker_id == Caseworker.id)
        .where(TeamMembership.team_id.in_(team_ids),
               TeamMembership.state == MembershipState.ACTIVE).distinct().order_by(Caseworker.name)))


def tree_order(teams: list[Team]) -> list[tuple[Team, int]]:
    """Teams depth first, siblings by name, each with its depth (root = 0)."""
    ids = {t.id for t in teams}
    children: dict[int | None, list[Team]] = {}
    for team in teams:
        parent = team.parent_id if team.parent_id in ids else None
        children.setdefault(parent, []).append(team)
    ordered: list[tuple[Team, int]] = []

    def walk(parent: int | None, depth: int) -> None:
        for team in sorted(children.get(parent, []), key=lambda t: (t.name.casefold(), t.id)):
            ordered.append((team, depth))
            walk(team.id, depth + 1)

    walk(None, 0)
    return ordered


def pending_renames(job_centre_id: int) -> list[Team]:
    """Default second-level teams that still carry their parent's name (R-1.1.1)."""
    return list(db.session.scalars(select(Team).where(Team.job_centre_id == job_centre_id,
                                                      Team.pending_rename)))


def _same_name_error(pending: Team) -> DomainError:
    parent = pending.parent.name if pending.parent is not None else pending.name
    return DomainError(
        f"To niveauer i teamstrukturen hedder »{parent}«. Omdøb teamet »{pending.name}« under "
        f"»{parent}«, før du foretager andre ændringer, så de to teams kan skelnes.",
        f"Two levels of the team tree are named '{parent}'. Rename the team '{pending.name}' "
        f"below '{parent}' before making other changes, so that the two can be told apart.",
        field="name", code="pending_rename")


def check_rename_first(job_centre_id: int, team: Team | None = None,
                       changed: set[str] | None = None) -> None:
    """R-1.1.1: while two levels share a name, the only edit allowed is renaming one of them.

    `team`/`changed`: the team being saved and its changed columns; None for any other
    change in the tree (creating, deleting, moving).
    """
    pending = pending_renames(job_centre_id)
    if not pending:
        return
    if team is not None and changed is not None and changed <= {"name"}:
        if "name" in changed and (team.pending_rename or any(p.parent_id == team.id for p in pending)):
            return
        if team.pending_rename and "name" not in changed:
            raise _same_name_error(team)
    raise _same_name_error(pending[0])


def _would_cycle(team: Team, parent: Team) -> bool:
    node: Team | None = parent
    seen: set[int] = set()
    while node is not None:
        if node is team or (team.id is not None and node.id == team.id):
            return True
        if node.id in seen:
            return True
        seen.add(node.id)
        node = node.parent
    return False


def validate_team(team: Team, *, is_created: bool, changed: set[str]) -> None:
    """All rules of a team before it is saved (R-1.1.1, R-1.1.2, R-1.1.3, R-1.1.6)."""
    team.name = (team.name or "").strip()
    if not team.name:
        raise DomainError("Skriv teamets navn.", "Enter the team's name.", field="name")
    job_centre_id = team.job_centre_id or (team.job_centre.id if team.job_centre else None)
    check_rename_first(job_centre_id, None if is_created else team, None if is_created else changed)
    if team.parent is None:
        root = db.session.scalar(select(Team).where(Team.job_centre_id == job_centre_id,
                                                    Team.parent_id.is_(None), Team.id != team.id)
                                 if team.id is not None else
                                 select(Team).where(Team.job_centre_id == job_centre_id,
                                                    Team.parent_id.is_(None)))
        if root is not None:
            raise DomainError(
                f"Vælg et overordnet team. Kun »{root.name}« er øverst i teamstrukturen.",
                f"Choose a parent team. Only '{root.name}' is at the top of the team tree.",
                field="parent", code="parent_missing")
    else:
        if team.parent.job_centre_id != job_centre_id:
            raise DomainError("Det overordnede team hører til et andet jobcenter.",
                              "The parent team belongs to another job centre.", field="parent")
        if _would_cycle(team, team.parent):
            raise DomainError(
                f"»{team.parent.name}« ligger under »{team.name}«: et team kan ikke flyttes ind "
                "under sig selv eller sine egne underteams.",
                f"'{team.parent.name}' is below '{team.name}': a team cannot be moved below "
                "itself or its own sub-teams.", field="parent", code="team_cycle")
    duplicate = db.session.scalar(
        select(Team.id).where(Team.job_centre_id == job_centre_id,
                              func.lower(Team.name) == team.name.lower(),
                              Team.id != (team.id or 0)))
    if duplicate is not None:
        raise DomainError(f"Der findes allerede et team med navnet »{team.name}«. Vælg et unikt navn.",
                          f"A team named '{team.name}' already exists. Choose a unique name.",
                          field="name", code="duplicate_name")
    if team.pending_rename and "name" in changed:
        team.pending_rename = False
    for pending in pending_renames(job_centre_id):
        # Renaming the parent also settles it: the two levels no longer share a name.
        if pending is not team and pending.parent is team and pending.name.lower() != team.name.lower():
            pending.pending_rename = False
    clean_contact_fields(team)


def check_delete(team: Team, now: datetime) -> None:
    """R-1.1.6: a team with sub-teams, caseworkers, rooms, offers or bookings stays."""
    check_rename_first(team.job_centre_id)
    name = team.name

    def refuse(da: str, en: str) -> DomainError:
        return DomainError(f"Teamet »{name}« kan ikke slettes: {da}",
                           f"The team '{name}' cannot be deleted: {en}", code="team_in_use")

    if team.parent_id is None:
        raise refuse("det er øverst i teamstrukturen.", "it is the top of the team tree.")
    if db.session.scalar(select(exists().where(Team.parent_id == team.id))):
        raise refuse("det har underteams. Flyt eller slet dem først.",
                     "it has sub-teams. Move or delete them first.")
    if db.session.scalar(select(exists().where(TeamMembership.team_id == team.id))):
        raise refuse("der er vejledere tilknyttet.", "caseworkers belong to it.")
    if db.session.scalar(select(exists().where(room_teams.c.team_id == team.id))):
        raise refuse("der er mødelokaler tilknyttet.", "meeting rooms are linked to it.")
    if db.session.scalar(select(exists().where(OnlineOffer.team_id == team.id))):
        raise refuse("der er online tilbud på teamet.", "online offers belong to it.")
    if db.session.scalar(select(exists().where(CallInTemplate.team_id == team.id))):
        raise refuse("der er indkaldelsesskabeloner på teamet.", "call-in templates use it.")
    future = db.session.scalar(select(func.count(Booking.id)).where(
        Booking.team_id == team.id, Booking.starts_at >= now,
        Booking.status != BookingStatus.CANCELLED))
    if future:
        raise refuse(f"det har {future} kommende samtaler.", f"it has {future} future meetings.")
    if db.session.scalar(select(exists().where(Booking.team_id == team.id))):
        raise refuse("det har tidligere samtaler, som skal bevares i historikken.",
                     "it has past meetings, which the history keeps.")


def rooms_of_team(team_id: int) -> list[Room]:
    return list(db.session.scalars(select(Room).join(room_teams).where(room_teams.c.team_id == team_id)))


def closure_days_only_on(team: Team) -> list[LocalClosureDay]:
    """The local closure days set on this team alone: they go with it when it is deleted, as they
    did when a closure day had one team; one also on other teams stays for them (R-1.3.2)."""
    mine = select(local_closure_day_teams.c.closure_id).where(local_closure_day_teams.c.team_id == team.id)
    others = select(local_closure_day_teams.c.closure_id).where(local_closure_day_teams.c.team_id != team.id)
    return list(db.session.scalars(select(LocalClosureDay).where(
        LocalClosureDay.id.in_(mine), LocalClosureDay.id.not_in(others))))
