"""The workspace's room calendar and "why is this time not free?" (R-6.5, R-6.8).

Thin: parse, check role and job centre (a caseworker sees her own teams, an
administrator every team of the job centre), call `calendar.rooms` or `calendar.explain`.
"""

from __future__ import annotations

from datetime import datetime

from flask import Response, abort, jsonify, render_template, request
from flask_login import current_user

from webapp.auth.tenancy import get_scoped_or_404, roles_required
from webapp.calendar import explain, rooms as room_calendar
from webapp.caseworker.blueprint import bp
from webapp.caseworker.waiting import workspace
from webapp.clock import now_local, today_local
from webapp.domain import bounds
from webapp.language import current_language
from webapp.messages import text
from webapp.models import Caseworker, Role, Room, Team

STAFF = (Role.CASEWORKER, Role.ADMINISTRATOR)


def _team(raw: int | None, teams: list[Team]) -> Team:
    """The asked team if it is one of the user's, else her first; 404 for anyone else's."""
    if raw is None:
        if not teams:
            abort(404)
        return teams[0]
    team = get_scoped_or_404(Team, raw)
    if team.id not in {t.id for t in teams}:
        abort(404)
    return team


@bp.get("/rooms", endpoint="room_calendar")
@roles_required(*STAFF)
def room_calendar_page() -> str:
    """R-6.5: one column per room of the team, a day or a week."""
    teams = workspace._my_teams()
    team = _team(request.args.get("team", type=int), teams)
    view = request.args.get("view", "week")
    grid = room_calendar.room_calendar(team.id, bounds.day_or(request.args.get("date"), today_local()), view)
    return render_template("caseworker/room_calendar.html", team=team, teams=teams, grid=grid)


def _moment(raw: str | None) -> datetime:
    try:
        moment = datetime.fromisoformat((raw or "").strip()[:19])
    except ValueError:
        abort(400)
    if not bounds.within_years(moment.date()):
        abort(400)
    return moment.replace(second=0, microsecond=0, tzinfo=None)


@bp.get("/why")
@roles_required(*STAFF)
def why_not_free() -> Response:
    """R-6.8: why a caseworker, a team's caseworkers or a room is not free at `at`, as JSON."""
    at = _moment(request.args.get("at"))
    teams = workspace._my_teams()
    team_ids = {t.id for t in teams}
    caseworker_ids: list[int] = []
    room_id = team_id = None
    if request.args.get("room"):
        room = get_scoped_or_404(Room, request.args.get("room", type=int))
        if not team_ids & {t.id for t in room.teams}:
            abort(404)
        room_id = room.id
    elif request.args.get("team"):
        team = _team(request.args.get("team", type=int), teams)
        team_id = team.id
        caseworker_ids = [cw.id for cw in workspace._members([team.id])]
    elif request.args.get("caseworker"):
        caseworker = get_scoped_or_404(Caseworker, request.args.get("caseworker", type=int))
        own = getattr(current_user, "caseworker_id", None)
        if current_user.role == Role.CASEWORKER and caseworker.id != own \
                and caseworker not in workspace._members(sorted(team_ids)):
            abort(404)
        caseworker_ids = [caseworker.id]
    else:
        abort(400)
    reasons = explain.why_not_free(starts_at=at, caseworker_ids=caseworker_ids, room_id=room_id,
                                   team_id=team_id, now=now_local(),
                                   any_caseworker=team_id is not None)
    language = current_language()
    when = (f"{at:%Y-%m-%d %H:%M}" if language == "en"
            else f"{explain.weekday_name(at, language)} {at:%d.%m.%Y} kl. {at:%H:%M}")
    return jsonify({"at": at.isoformat(), "when": when, "free": not reasons,
                    "title": text("why_free" if not reasons else "why_refused", language),
                    "reasons": [reason.as_dict() | {"text": reason.text(language)}
                                for reason in reasons]})
