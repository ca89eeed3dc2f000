"""The admin's room calendar and "why is this time not free?" on the team calendar (R-6.5, R-6.8).

Thin as the other admin views: the team is one of the administrator's job centre, the
caseworker, room or offer asked about is one of the team's; the services answer.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import abort, request
from flask_admin import expose
from sqlalchemy import select

from webapp.admin.base import PlannerBaseView
from webapp.administration import teams as team_service
from webapp.auth.tenancy import get_scoped_or_404, staff_job_centre_id
from webapp.calendar import explain, rooms as room_calendar
from webapp.clock import now_local, today_local
from webapp.domain import bounds
from webapp.extensions import db
from webapp.language import current_language
from webapp.messages import text
from webapp.models import OnlineOffer, Team


def teams_in_tree(job_centre_id: int | None) -> list[tuple[Team, int]]:
    """The job centre's teams in tree order with their depth; every team for support (None)."""
    if job_centre_id is None:
        teams = list(db.session.scalars(select(Team)))
        ordered: list[tuple[Team, int]] = []
        for jc in sorted({t.job_centre_id for t in teams}):
            ordered += team_service.tree_order([t for t in teams if t.job_centre_id == jc])
        return ordered
    return team_service.tree_order(team_service.teams_of(job_centre_id))


class RoomCalendarView(PlannerBaseView):
    """R-6.5: a team's rooms side by side, a day or a week (manual §1.4.1)."""

    def is_visible(self) -> bool:
        return False

    @expose("/")
    def index(self) -> Any:
        teams = teams_in_tree(staff_job_centre_id())
        team_id = request.args.get("team_id", type=int)
        if team_id is None:
            if not teams:
                abort(404)
            team_id = teams[0][0].id
        team = get_scoped_or_404(Team, team_id)
        grid = room_calendar.room_calendar(team.id, bounds.day_or(request.args.get("date"), today_local()),
                                           request.args.get("view", "week"))
        return self.render("admin/room_calendar.html", team=team, teams=teams, grid=grid)


@dataclass
class WhyAnswer:
    """What the team calendar's question form shows: the choices, and the answer if asked."""

    choices: list[tuple[str, str]]
    subject: str
    at: datetime | None
    title: str | None
    reasons: list[str]
    error: str | None


def why_on_team_calendar(team: Team) -> WhyAnswer:
    """R-6.8 on the admin team calendar: `why=caseworker-3|room-4|offer-5` and `at=` in the query."""
    members = team_service.active_members([team.id])
    rooms = room_calendar.team_rooms(team.id)
    offers = list(db.session.scalars(select(OnlineOffer).where(OnlineOffer.team_id == team.id)
                                     .order_by(OnlineOffer.name)))
    choices = ([(f"caseworker-{cw.id}", cw.name) for cw in members]
               + [(f"room-{room.id}", room.name) for room in rooms]
               + [(f"offer-{offer.id}", offer.name) for offer in offers])
    subject = request.args.get("why", "")
    raw_at = (request.args.get("at") or "").strip()
    if not subject and not raw_at:
        return WhyAnswer(choices, "", None, None, [], None)
    language = current_language()
    try:
        at = datetime.fromisoformat(raw_at[:16]).replace(tzinfo=None)
    except ValueError:
        at = None
    if at is None or not bounds.within_years(at.date()):
        return WhyAnswer(choices, subject, None, None, [],
                         text("datetime_format", language))
    if subject not in dict(choices):
        return WhyAnswer(choices, subject, at, None, [], text("why_bad_subject", language))
    kind, _sep, raw_id = subject.partition("-")
    ident = int(raw_id)
    if kind == "caseworker":
        reasons = explain.why_not_free(starts_at=at, caseworker_ids=[ident], team_id=team.id,
                                       now=now_local())
    elif kind == "room":
        reasons = explain.why_not_free(starts_at=at, room_id=ident, now=now_local())
    else:
        reasons = explain.why_not_free(starts_at=at, offer=db.session.get(OnlineOffer, ident),
                                       now=now_local())
    return WhyAnswer(choices, subject, at, text("why_free" if not reasons else "why_refused", language),
                     [reason.text(language) for reason in reasons], None)
