"""The overview's figures on constructed data (R-6.10): capacity against booked time, the waiting
list's age, self-booked share and cancellations; team scoping with sub-teams; tenancy."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import pytest

from tests.integration.planning_support import make_callin
from tests.timehelpers import MONDAY, at
from webapp.booking.writer import cancel_booking
from webapp.calendar import availability
from webapp.domain.errors import DomainError
from webapp.extensions import db
from webapp.models import (Absence, AbsenceKind, BookingOrigin, Break, CallInStatus, Caseworker,
                           Citizen, JobCentre, LocalClosureDay, NationalClosureDay, Team)
from webapp.overview import figures

WEEK = timedelta(days=7)
ANNA_DAY = 480  # 07:30-16:00 with a 12:00-12:30 break
DAY = 510  # 07:30-16:00, the factory's working time


@dataclass
class Scene:
    job_centre: JobCentre
    root: Team
    team: Team  # "Unge", with the sub-team "Unge Syd"
    sub: Team
    sibling: Team  # "Voksne", beside "Unge"
    anna: Caseworker  # in Unge, with breaks
    sofie: Caseworker  # in Unge Syd
    viggo: Caseworker  # in Voksne
    citizen: Citizen
    other: JobCentre
    olga: Caseworker  # of the other job centre
    other_citizen: Citizen


@pytest.fixture
def scene(app, reference_data, create_job_centre, create_team, create_caseworker,
          create_citizen) -> Scene:
    jc = create_job_centre("Jobcenter Overblik", root_team="Overblik", child_team="Unge")
    root = next(t for t in jc.teams if t.parent_id is None)
    team = next(t for t in jc.teams if t.parent_id is not None)
    sub = create_team(jc, parent=team, name="Unge Syd")
    sibling = create_team(jc, parent=root, name="Voksne")
    anna = create_caseworker(jc, [team], name="Anna")
    for weekday in range(5):
        anna.breaks.append(Break(weekday=weekday, start_time=time(12), end_time=time(12, 30)))
    sofie = create_caseworker(jc, [sub], name="Sofie")
    viggo = create_caseworker(jc, [sibling], name="Viggo")
    other = create_job_centre("Jobcenter Andetsteds")
    olga = create_caseworker(other, name="Olga")
    db.session.commit()
    return Scene(jc, root, team, sub, sibling, anna, sofie, viggo, create_citizen(jc), other, olga,
                 create_citizen(other))


def _capacity(scene: Scene, team: Team | None, today: date = MONDAY) -> list[tuple[int, int]]:
    weeks = figures.capacity_by_week(scene.job_centre.id, team.id if team else None, today)
    assert [w.monday for w in weeks] == [MONDAY + n * WEEK for n in range(8)]
    return [(w.capacity_minutes, w.booked_minutes) for w in weeks]


def test_capacity_is_working_time_minus_breaks_closures_and_absences_R_6_10(scene):
    """R-6.10: capacity per week = working time − breaks − national and inherited local closure
    days − absences, for the team and its sub-teams; a sibling's closure does not count."""
    db.session.add_all([
        NationalClosureDay(day=MONDAY + WEEK + timedelta(days=1), name="Helligdag"),
        LocalClosureDay(job_centre_id=scene.job_centre.id, teams=[scene.root], name="Personaledag",
                        first_day=MONDAY + 2 * WEEK + timedelta(days=2),
                        last_day=MONDAY + 2 * WEEK + timedelta(days=2)),
        LocalClosureDay(job_centre_id=scene.job_centre.id, teams=[scene.sibling], name="Kursus",
                        first_day=MONDAY + 2 * WEEK + timedelta(days=3),
                        last_day=MONDAY + 2 * WEEK + timedelta(days=3)),
        # Anna away all Friday of week 1; Sofie away 09:00-11:00 on Monday of week 2.
        Absence(job_centre_id=scene.job_centre.id, caseworker_id=scene.anna.id,
                kind=AbsenceKind.SICKNESS, starts_at=datetime.combine(MONDAY + timedelta(days=4), time()),
                ends_at=datetime.combine(MONDAY + timedelta(days=5), time())),
        Absence(job_centre_id=scene.job_centre.id, caseworker_id=scene.sofie.id,
                kind=AbsenceKind.COURSE, starts_at=at(MONDAY + WEEK, 9), ends_at=at(MONDAY + WEEK, 11)),
    ])
    db.session.commit()
    capacity = [c for c, _ in _capacity(scene, scene.team)]
    assert capacity[0] == 5 * ANNA_DAY + 5 * DAY - ANNA_DAY
    assert capacity[1] == 4 * ANNA_DAY + 4 * DAY - 120  # the national day and Sofie's course
    assert capacity[2] == 4 * ANNA_DAY + 4 * DAY  # the root's closure reaches both, Voksne's not
    assert capacity[3:] == [5 * ANNA_DAY + 5 * DAY] * 5
    assert [c for c, _ in _capacity(scene, scene.sub)][:3] == [5 * DAY, 4 * DAY - 120, 4 * DAY]
    assert [c for c, _ in _capacity(scene, scene.sibling)][:3] == [5 * DAY, 4 * DAY, 3 * DAY]
    whole = [c for c, _ in _capacity(scene, None)]
    assert whole[2] == 4 * ANNA_DAY + 4 * DAY + 3 * DAY


def test_capacity_reads_absence_through_the_calendar_service_R_6_10_R_6_4(scene, monkeypatch):
    """R-6.10, R-6.4: the overview asks the calendar service for absent time, as free time does,
    rather than reading the absences with its own query."""
    asked = []

    def absent_time(caseworker_ids, start, end):
        asked.append(sorted(caseworker_ids))
        return {scene.anna.id: [(at(MONDAY, 0), at(MONDAY + timedelta(days=1), 0))]}

    monkeypatch.setattr(availability, "absent_time", absent_time)
    capacity = [c for c, _ in _capacity(scene, scene.team)]
    assert asked and scene.anna.id in asked[0]
    assert capacity[0] == 5 * ANNA_DAY + 5 * DAY - ANNA_DAY


def test_booked_time_counts_live_bookings_of_the_scopes_caseworkers_R_6_10(scene, create_booking):
    """R-6.10: booked = the caseworkers' booked meetings with reporting time, in the week they
    start; a cancelled meeting, another team's caseworker and another job centre never count."""
    create_booking([scene.anna], at(MONDAY, 9), minutes=30, reporting_minutes=15)
    cancelled = create_booking([scene.anna], at(MONDAY, 10), minutes=30)
    cancel_booking(cancelled, now=at(MONDAY, 8))
    create_booking([scene.sofie], at(MONDAY + WEEK, 9), minutes=60)
    create_booking([scene.viggo], at(MONDAY, 9), minutes=60)
    create_booking([scene.olga], at(MONDAY, 9), minutes=90)
    db.session.commit()
    booked = [b for _, b in _capacity(scene, scene.team)]
    assert booked == [45, 60, 0, 0, 0, 0, 0, 0]
    assert [b for _, b in _capacity(scene, scene.sub)][:2] == [0, 60]
    assert [b for _, b in _capacity(scene, None)][:2] == [45 + 60, 60]
    week = figures.capacity_by_week(scene.job_centre.id, scene.team.id, MONDAY)[0]
    assert week.utilisation == round(100 * 45 / (5 * ANNA_DAY + 5 * DAY))


def test_waiting_list_size_age_buckets_and_deadlines_R_6_10(scene):
    """R-6.10: the waiting call-ins of the team and its sub-teams by days waited (a call-in aged
    40 days lands in 31–60), with those near and past their deadline; placed ones do not wait."""
    today = MONDAY
    made = lambda days: datetime.combine(today - timedelta(days=days), time(9))  # noqa: E731
    common = dict(earliest=today, deadline=today + timedelta(days=30))
    make_callin(scene.team, scene.citizen, [scene.anna], created_at=made(40), **common)
    make_callin(scene.team, scene.citizen, [scene.anna], created_at=made(3), earliest=today - WEEK,
                deadline=today - timedelta(days=1))
    make_callin(scene.sub, scene.citizen, [scene.sofie], created_at=made(10), earliest=today,
                deadline=today + timedelta(days=2))
    make_callin(scene.sub, scene.citizen, [scene.sofie], created_at=made(90), **common)
    placed = make_callin(scene.team, scene.citizen, [scene.anna], created_at=made(20), **common)
    placed.status = CallInStatus.PLACED
    make_callin(scene.sibling, scene.citizen, [scene.viggo], created_at=made(0), **common)
    other_team = scene.other.teams[0]
    make_callin(other_team, scene.other_citizen, [scene.olga], created_at=made(40), **common)

    unge = figures.waiting_figures(scene.job_centre.id, scene.team.id, today, warning_days=5)
    assert unge.waiting == 4
    assert [(b.first_day, b.last_day, b.count) for b in unge.buckets] == [
        (0, 7, 1), (8, 14, 1), (15, 30, 0), (31, 60, 1), (61, None, 1)]
    assert (unge.deadline_near, unge.overdue, unge.oldest_days) == (1, 1, 90)
    whole = figures.waiting_figures(scene.job_centre.id, None, today, warning_days=5)
    assert whole.waiting == 5 and whole.buckets[0].count == 2 and whole.buckets[3].count == 1
    sub = figures.waiting_figures(scene.job_centre.id, scene.sub.id, today, warning_days=1)
    assert (sub.waiting, sub.deadline_near, sub.overdue) == (2, 0, 0)


def test_self_booked_share_and_cancellations_per_week_R_6_10(scene, create_booking):
    """R-6.10: the last 8 weeks' meetings by origin and who cancelled, in the week they start."""
    now = at(MONDAY - WEEK, 8)
    today = MONDAY + 2 * WEEK + timedelta(days=2)  # Wednesday of week 3
    create_booking([scene.anna], at(MONDAY, 9), now=now, origin=BookingOrigin.SELF_BOOKED)
    create_booking([scene.anna], at(MONDAY, 10), now=now)
    create_booking([scene.sofie], at(MONDAY, 10), now=now, origin=BookingOrigin.IMPORTED)
    by_citizen = create_booking([scene.anna], at(MONDAY + WEEK, 9), now=now,
                                origin=BookingOrigin.SELF_BOOKED, citizens=[scene.citizen])
    cancel_booking(by_citizen, now=now, actor=scene.citizen)
    by_job_centre = create_booking([scene.sofie], at(MONDAY + WEEK, 9), now=now)
    cancel_booking(by_job_centre, now=now, reason="Sagsbehandleren er syg")
    # Later this week: the current week counts to its end.
    create_booking([scene.anna], at(MONDAY + 2 * WEEK + timedelta(days=4), 9), now=now,
                   origin=BookingOrigin.SELF_BOOKED)
    create_booking([scene.viggo], at(MONDAY, 11), now=now, origin=BookingOrigin.SELF_BOOKED)
    create_booking([scene.olga], at(MONDAY, 11), now=now, origin=BookingOrigin.SELF_BOOKED)
    db.session.commit()

    weeks = figures.bookings_by_week(scene.job_centre.id, scene.team.id, today)
    assert [w.monday for w in weeks] == [MONDAY + (n - 5) * WEEK for n in range(8)]
    assert [(w.self_booked, w.called_in, w.imported, w.cancelled_by_citizen,
             w.cancelled_by_job_centre) for w in weeks[5:]] == [
        (1, 1, 1, 0, 0), (0, 0, 0, 1, 1), (1, 0, 0, 0, 0)]
    assert [w.self_booked_share for w in weeks[5:]] == [33, None, 100]
    assert all(w.held == 0 and w.cancelled == 0 for w in weeks[:5])
    whole = figures.bookings_by_week(scene.job_centre.id, None, today)
    assert (whole[5].self_booked, whole[5].self_booked_share) == (2, 50)
    sibling = figures.bookings_by_week(scene.job_centre.id, scene.sibling.id, today)
    assert sum(w.held for w in sibling) == 1


def test_a_team_of_another_job_centre_is_refused_R_6_10(scene):
    """R-6.10, R-0.1: a foreign or unknown team id shows nothing; the page answers 404."""
    for team_id in (scene.other.teams[0].id, 10**6):
        with pytest.raises(DomainError) as error:
            figures.overview(scene.job_centre.id, team_id, MONDAY)
        assert error.value.code == "unknown_team"


def test_overview_of_an_empty_job_centre_is_all_zero_R_6_10(app, reference_data, create_job_centre):
    """R-6.10: a job centre without caseworkers or call-ins has figures of nought, not an error."""
    jc = create_job_centre("Jobcenter Tomt")
    data = figures.overview(jc.id, None, MONDAY, warning_days=3)
    assert data.caseworkers == 0
    assert all(w.capacity_minutes == 0 and w.utilisation is None for w in data.capacity)
    assert data.waiting.waiting == 0 and data.waiting.oldest_days is None
    assert all(w.held == 0 for w in data.bookings)
