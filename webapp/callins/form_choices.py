"""What the call-in form offers to choose from in one job centre: templates, types, teams, rooms, caseworkers."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from webapp.administration.teams import active_members, teams_by_name
from webapp.extensions import db
from webapp.models import (CallInTemplate, ConversationType, HoldingForm, MembershipState, Room,
                           TeamMembership, Variant)


def callin_choices(job_centre_id: int) -> dict[str, Any]:
    """The form's lists, each in the order the caseworker reads it."""
    teams = teams_by_name(job_centre_id)
    team_members_of: dict[int, list[int]] = {}
    team_sizes: dict[int, int] = {}
    for caseworker_id, team_id in db.session.execute(
            select(TeamMembership.caseworker_id, TeamMembership.team_id)
            .where(TeamMembership.team_id.in_([t.id for t in teams]),
                   TeamMembership.state == MembershipState.ACTIVE)
            .order_by(TeamMembership.team_id)):
        team_members_of.setdefault(caseworker_id, []).append(team_id)
        team_sizes[team_id] = team_sizes.get(team_id, 0) + 1
    return {
        "templates": db.session.scalars(select(CallInTemplate).where(
            CallInTemplate.job_centre_id == job_centre_id).order_by(CallInTemplate.name)).all(),
        "types": db.session.scalars(select(ConversationType).order_by(ConversationType.code)).all(),
        "variants": db.session.scalars(select(Variant).where(Variant.job_centre_id == job_centre_id)
                                       .order_by(Variant.name)).all(),
        "holding_forms": db.session.scalars(select(HoldingForm).order_by(HoldingForm.id)).all(),
        "teams": teams,
        "rooms": db.session.scalars(select(Room).where(Room.job_centre_id == job_centre_id,
                                                       Room.usable_for_callins)
                                    .order_by(Room.name)).all(),
        "all_caseworkers": active_members([t.id for t in teams]),
        # the form shows the chosen team's caseworkers only.
        "team_members_of": team_members_of,
        "team_sizes": team_sizes,
    }
