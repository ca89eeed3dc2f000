"""The overview page (Oversigt): capacity, the waiting list and past weeks' meetings as charts and tables (R-6.10).

Caseworkers and administrators see their own job centre, support chooses one. A team
is chosen with a select and a button; its figures include its sub-teams.
"""

from __future__ import annotations

from flask import abort, render_template, request
from flask_babel import gettext as _
from sqlalchemy import select

from webapp.administration.teams import teams_of, tree_order
from webapp.auth.tenancy import roles_required, staff_job_centre_id
from webapp.caseworker.blueprint import bp
from webapp.caseworker.charts import Series, bar_chart, legend, number
from webapp.clock import today_local
from webapp.domain.bounds import INT_MAX
from webapp.domain.errors import DomainError
from webapp.extensions import db
from webapp.language import error_text
from webapp.models import JobCentre, Role, Team
from webapp.overview import figures

VIEWERS = (Role.CASEWORKER, Role.ADMINISTRATOR, Role.SUPPORT)


def _id(name: str, message: str) -> int | None:
    """A whole-number id from the query string; None when absent; DomainError when not a number."""
    raw = (request.args.get(name) or "").strip()
    if not raw:
        return None
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 10 or not 0 < int(raw) <= INT_MAX:
        raise DomainError.of(message, field=name, code="invalid_choice")
    return int(raw)


def _job_centre() -> tuple[JobCentre | None, list[JobCentre]]:
    """The job centre shown and, for support, those to choose from. Another's id is 404."""
    own = staff_job_centre_id()
    chosen = _id("job_centre", "overview_bad_job_centre")
    if own is not None:
        if chosen is not None and chosen != own:
            abort(404)
        return db.session.get(JobCentre, own), []
    choices = list(db.session.scalars(select(JobCentre).order_by(JobCentre.name)))
    if chosen is None:
        return None, choices
    job_centre = db.session.get(JobCentre, chosen)
    if job_centre is None:
        abort(404)
    return job_centre, choices


def _team(job_centre: JobCentre) -> Team | None:
    team_id = _id("team", "overview_bad_team")
    if team_id is None:
        return None
    team = db.session.get(Team, team_id)
    if team is None or team.job_centre_id != job_centre.id:
        abort(404)
    return team


def _hours(minutes: int) -> float:
    return round(minutes / 60, 1)


def _charts(data: figures.Overview) -> dict[str, dict]:
    weeks_ahead = [_("week %(n)s", n=w.week) for w in data.capacity]
    capacity = [Series(_("Capacity"), [_hours(w.capacity_minutes) for w in data.capacity]),
                Series(_("Booked"), [_hours(w.booked_minutes) for w in data.capacity])]
    ages = [_bucket_label(b) for b in data.waiting.buckets]
    waiting = [Series(_("Waiting call-ins"), [b.count for b in data.waiting.buckets])]
    weeks_past = [_("week %(n)s", n=w.week) for w in data.bookings]
    bookings = [Series(_("Self-booked"), [w.self_booked for w in data.bookings]),
                Series(_("Called in or from the case system"),
                       [w.called_in + w.imported for w in data.bookings]),
                Series(_("Cancelled by the citizen"), [w.cancelled_by_citizen for w in data.bookings]),
                Series(_("Cancelled by the job centre"),
                       [w.cancelled_by_job_centre for w in data.bookings])]
    first, last = data.capacity[0], data.capacity[-1]
    return {
        "capacity": {"svg": bar_chart(
            chart_id="chart-capacity", labels=weeks_ahead, series=capacity, unit=_("hours"),
            decimals=1, title=_("Capacity and booked time per week, %(first)s to %(last)s",
                                first=weeks_ahead[0], last=weeks_ahead[-1]),
            description=_("Bar chart: for each of the %(n)s weeks from %(from)s the caseworkers' "
                          "capacity and their booked time in hours. The numbers are in the table "
                          "beside it.", n=len(data.capacity),
                          **{"from": first.monday.strftime("%d.%m.%Y")})),
            "legend": legend(capacity), "until": last.monday},
        "waiting": {"svg": bar_chart(
            chart_id="chart-waiting", labels=ages, series=waiting, unit=_("call-ins"),
            title=_("Waiting call-ins by days waited"),
            description=_("Bar chart: how many call-ins have waited 0–7, 8–14, 15–30, 31–60 and "
                          "more than 60 days. The numbers are in the table beside it.")),
            "labels": ages},
        "bookings": {"svg": bar_chart(
            chart_id="chart-bookings", labels=weeks_past, series=bookings, unit=_("meetings"),
            title=_("Self-booked, called-in and cancelled meetings per week, %(first)s to %(last)s",
                    first=weeks_past[0], last=weeks_past[-1]),
            description=_("Bar chart: for each of the last %(n)s weeks the meetings self-booked, "
                          "called in or from the case system, and cancelled by the citizen or by "
                          "the job centre. The numbers are in the table beside it.",
                          n=len(data.bookings))),
            "legend": legend(bookings)},
    }


def _bucket_label(bucket: figures.AgeBucket) -> str:
    if bucket.last_day is None:
        return _("over %(n)s days", n=bucket.first_day - 1)
    return _("%(first)s–%(last)s days", first=bucket.first_day, last=bucket.last_day)


@bp.get("/oversigt")
@roles_required(*VIEWERS)
def overview() -> tuple[str, int]:
    """R-6.10: the job centre's or a team's figures; a bad choice is a Danish message, never a 500."""
    error = None
    try:
        job_centre, job_centres = _job_centre()
    except DomainError as exc:
        error, job_centre, job_centres = error_text(exc), None, list(
            db.session.scalars(select(JobCentre).order_by(JobCentre.name)))
        if staff_job_centre_id() is not None:
            job_centre = db.session.get(JobCentre, staff_job_centre_id())
    team = None
    data = charts = None
    teams: list[tuple[Team, int]] = []
    if job_centre is not None:
        try:
            team = _team(job_centre)
        except DomainError as exc:
            error = error_text(exc)
        teams = tree_order(teams_of(job_centre.id))
        data = figures.overview(job_centre.id, team.id if team else None, today_local())
        charts = _charts(data)
    return render_template("caseworker/overview.html", job_centre=job_centre,
                           job_centres=job_centres, team=team, teams=teams, data=data,
                           charts=charts, error=error, number=number, hours=_hours,
                           today=today_local()), (400 if error else 200)
