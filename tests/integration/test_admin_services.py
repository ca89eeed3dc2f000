"""The administration module's services on the database (R-1.1.x, R-1.2.x, R-1.3.x)."""

from __future__ import annotations

from datetime import date, datetime, time

import pytest
from sqlalchemy import select

from webapp.domain.directory import FileDirectory
from webapp.domain.errors import DomainError
from webapp.extensions import db
from webapp.models import LocalClosureDay, NationalClosureDay, SyncMode, Team
from webapp.administration import caseworkers as cw_service
from webapp.calendar.closed_days import closed_days, closures, subtree_ids
from webapp.administration import teams
from webapp.administration.caseworkers import BreakRow


@pytest.fixture
def tree(reference_data, create_job_centre, create_team):
    job_centre = create_job_centre("Jobcenter Aarhus", root_team="Aarhus Jobcenter",
                                   child_team="Ungeindsatsen")
    root = db.session.scalar(select(Team).where(Team.name == "Aarhus Jobcenter"))
    child = db.session.scalar(select(Team).where(Team.name == "Ungeindsatsen"))
    grandchild = create_team(job_centre, parent=child, name="Unge under 25")
    sibling = create_team(job_centre, parent=root, name="Andet team")
    return dict(job_centre=job_centre, root=root, child=child, grandchild=grandchild, sibling=sibling)


def test_r_1_1_6_tree_order_and_subtrees(tree):
    ordered = [(t.name, depth) for t, depth in teams.tree_order(teams.teams_of(tree["job_centre"].id))]
    assert ordered == [("Aarhus Jobcenter", 0), ("Andet team", 1), ("Ungeindsatsen", 1),
                       ("Unge under 25", 2)]
    assert subtree_ids(tree["child"]) == {tree["child"].id, tree["grandchild"].id}


def test_r_1_1_6_moving_below_a_descendant_is_a_cycle(tree):
    tree["child"].parent = tree["grandchild"]
    with pytest.raises(DomainError) as error:
        teams.validate_team(tree["child"], is_created=False, changed={"parent"})
    assert error.value.code == "team_cycle" and error.value.field == "parent"
    db.session.rollback()


def test_r_1_1_1_rename_first_is_refused_until_renamed(reference_data, create_job_centre):
    job_centre = create_job_centre("Jobcenter Vejle", root_team="Vejle Jobcenter",
                                   child_team="Vejle Jobcenter")
    with pytest.raises(DomainError) as error:
        teams.check_rename_first(job_centre.id)
    assert error.value.code == "pending_rename" and "Omdøb teamet" in error.value.message_da
    child = next(t for t in job_centre.teams if t.pending_rename)
    teams.check_rename_first(job_centre.id, child, {"name"})  # renaming is the allowed edit


def test_r_1_2_5_r_1_2_6_copy_helpers():
    week = cw_service.default_week() | {0: (time(8), time(15))}
    copied = cw_service.copy_monday_to_weekdays(week)
    assert [copied[d] for d in range(7)] == [(time(8), time(15))] * 5 + [(time(0), time(0))] * 2
    breaks = [BreakRow(0, time(12), time(12, 30)), BreakRow(3, time(9), time(9, 10))]
    spread = cw_service.copy_breaks_to_other_days(breaks, 0, copied)
    assert [(b.weekday, b.start) for b in spread] == [(d, time(12)) for d in range(5)]
    assert cw_service.check_schedule(copied, spread) == []
    warnings = cw_service.check_schedule(copied, [BreakRow(2, time(10), time(10, 5))])
    assert warnings == ["Onsdag: pausen 10:00–10:05 er under 15 minutter og kan ikke vises i kalenderen."]


@pytest.mark.parametrize(("week", "breaks", "code"), [
    ({0: (time(16), time(8))}, [], "working_time_reversed"),
    ({0: (time(0), time(0))}, [BreakRow(0, time(12), time(12, 30))], "breaks_without_working_time"),
    ({0: (time(8), time(15))}, [BreakRow(0, time(7), time(7, 30))], "break_outside_working_time"),
    ({0: (time(8), time(15))}, [BreakRow(0, time(12), time(13)), BreakRow(0, time(12, 30), time(14))],
     "break_overlap"),
])
def test_r_1_2_5_r_1_2_6_wrong_weeks_are_refused(week, breaks, code):
    with pytest.raises(DomainError) as error:
        cw_service.check_schedule(week, breaks)
    assert error.value.code == code and error.value.message_da.startswith("Mandag: ")


def test_r_1_2_1_directory_look_up(tree, tmp_path):
    path = tmp_path / "directory.json"
    path.write_text('{"people": [{"email": "a@kommune.dk", "name": "A B", "rid": "12345678", '
                    '"phone": "20304050", "initials": "AB", "certificate_valid": true}, '
                    '{"email": "c@kommune.dk", "name": "C D", "rid": "12345679", '
                    '"phone": "20304051", "initials": "CD", "certificate_valid": false}]}')
    directory = FileDirectory(path)
    assert cw_service.look_up(directory, " A@Kommune.dk ").rid == "12345678"
    for email, code in (("x@kommune.dk", "not_in_directory"), ("c@kommune.dk", "certificate_invalid"),
                        ("a@kommune", "email_invalid")):
        with pytest.raises(DomainError) as error:
            cw_service.look_up(directory, email)
        assert error.value.code == code


def test_r_1_2_7_offered_sync_modes(tree):
    job_centre = tree["job_centre"]
    job_centre.sync_modes = "none,one_way"
    assert cw_service.offered_sync_modes(job_centre) == [SyncMode.NONE, SyncMode.ONE_WAY]
    job_centre.sync_modes = "none,one_way,one_way_fasit"
    assert SyncMode.ONE_WAY_FASIT in cw_service.offered_sync_modes(job_centre)


def test_r_1_3_2_closure_days_are_inherited_down_the_tree(tree):
    db.session.add_all([
        NationalClosureDay(day=date(2030, 6, 5), name="Grundlovsdag"),
        LocalClosureDay(job_centre=tree["job_centre"], teams=[tree["root"]], name="Hele huset",
                        first_day=date(2030, 6, 3), last_day=date(2030, 6, 3)),
        LocalClosureDay(job_centre=tree["job_centre"], teams=[tree["child"]], name="Unge",
                        first_day=date(2030, 6, 10), last_day=date(2030, 6, 11)),
        LocalClosureDay(job_centre=tree["job_centre"], teams=[tree["sibling"]], name="Andet",
                        first_day=date(2030, 6, 12), last_day=date(2030, 6, 12))])
    db.session.commit()
    days = closed_days([tree["grandchild"].id], date(2030, 6, 1), date(2030, 6, 30))
    assert sorted(days) == [date(2030, 6, 3), date(2030, 6, 5), date(2030, 6, 10), date(2030, 6, 11)]
    assert days[date(2030, 6, 5)] == "Grundlovsdag"
    root_days = closed_days([tree["root"].id], date(2030, 6, 1), date(2030, 6, 30))
    assert sorted(root_days) == [date(2030, 6, 3), date(2030, 6, 5)]


def test_r_1_3_2_one_closure_day_on_several_teams_closes_each_and_their_sub_teams(tree):
    """R-1.3.2 ("til et eller flere teams"): one entry on two teams closes both, the teams
    below them, not the root above; it is named once, after the team asked about."""
    db.session.add(LocalClosureDay(job_centre=tree["job_centre"], teams=[tree["child"], tree["sibling"]],
                                   name="Kursus", first_day=date(2030, 6, 10), last_day=date(2030, 6, 11)))
    db.session.commit()
    june = (date(2030, 6, 1), date(2030, 6, 30))
    for team in ("child", "grandchild", "sibling"):
        assert sorted(closed_days([tree[team].id], *june)) == [date(2030, 6, 10), date(2030, 6, 11)], team
    assert closed_days([tree["root"].id], *june) == {}
    assert closed_days([tree["sibling"].id], *june)[date(2030, 6, 10)] == f"Kursus ({tree['sibling'].name})"
    both = closures([tree["grandchild"].id, tree["sibling"].id], *june)
    assert [(c.name, c.team) for c in both] == [("Kursus", tree["sibling"].name)]


def test_r_1_2_8_rebooking_offers_only_free_team_caseworkers(tree, create_caseworker, create_booking):
    """R-1.2.8 with R-2.1: busy, on a closure day of their team, or outside working time = not offered."""
    team = tree["child"]
    leaving = create_caseworker(tree["job_centre"], teams=[team, tree["root"]], name="Går")
    free = create_caseworker(tree["job_centre"], teams=[team], name="Fri")
    busy = create_caseworker(tree["job_centre"], teams=[team], name="Optaget")
    create_caseworker(tree["job_centre"], teams=[tree["sibling"]], name="Andet team")
    create_caseworker(tree["job_centre"], teams=[team], name="Importeret", can_be_assigned_callins=False)
    meeting = create_booking([leaving], datetime(2030, 3, 5, 9), team_id=team.id)
    create_booking([busy], datetime(2030, 3, 5, 9, 15), team_id=team.id)
    plan = cw_service.rebooking_plan(leaving, team, datetime(2030, 3, 1, 8))
    assert [(item.booking.id, [c.name for c in item.candidates]) for item in plan] == [
        (meeting.id, ["Fri"])]
    result = cw_service.apply_rebooking(leaving, team, {meeting.id: free.id}, actor=None,
                                        now=datetime(2030, 3, 1, 8))
    assert [c.name for c in meeting.caseworkers] == ["Fri"] and result.manual == []
    assert team not in leaving.teams and all(m.team_id != team.id for m in leaving.memberships)
