"""The overview page (Oversigt) through the test client: charts with tables, team choice, roles,
job centres and bad query strings (R-6.10, R-0.1, R-7.4)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from tests.factories import login
from tests.integration.planning_support import make_callin
from tests.timehelpers import MONDAY, at
from webapp.extensions import db
from webapp.models import Role

TODAY = MONDAY + timedelta(days=2)


@pytest.fixture
def centre(app, reference_data, create_job_centre, create_team, create_caseworker, create_citizen,
           create_user, create_booking, monkeypatch):
    monkeypatch.setattr("webapp.caseworker.overview.today_local", lambda: TODAY)
    jc = create_job_centre("Jobcenter Overblik", root_team="Overblik", child_team="Unge")
    team = next(t for t in jc.teams if t.parent_id is not None)
    sub = create_team(jc, parent=team, name="Unge Syd")
    anna = create_caseworker(jc, [team], name="Anna")
    sofie = create_caseworker(jc, [sub], name="Sofie")
    create_booking([anna], at(MONDAY + timedelta(days=3), 9), minutes=90)
    create_booking([sofie], at(MONDAY + timedelta(days=3), 9), minutes=60)
    citizen = create_citizen(jc)
    make_callin(team, citizen, [anna], earliest=TODAY, deadline=TODAY + timedelta(days=20),
                created_at=at(TODAY - timedelta(days=40), 9))
    other = create_job_centre("Jobcenter Andetsteds")
    return {"jc": jc, "team": team, "sub": sub, "other": other,
            "caseworker": create_user(Role.CASEWORKER, jc, caseworker_id=anna.id),
            "admin": create_user(Role.ADMINISTRATOR, jc),
            "stranger": create_user(Role.ADMINISTRATOR, other),
            "support": create_user(Role.SUPPORT, None)}


def _cells(page: str, table_id: str) -> list[list[str]]:
    table = page.split(f'id="{table_id}"', 1)[1].split("</table>", 1)[0]
    body = table.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return [[" ".join(re.sub(r"<[^>]+>", " ", cell).split()) for cell in
             re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)]
            for row in re.findall(r"<tr>(.*?)</tr>", body, re.S)]


def test_caseworker_sees_three_charts_with_their_tables_in_danish_R_6_10(client, centre):
    """R-6.10: three SVG charts (role img, a title saying what they show, Danish week labels),
    each with its numbers as a table beside it."""
    login(client, centre["caseworker"])
    response = client.get("/caseworker/oversigt")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<h1>Oversigt: Jobcenter Overblik</h1>" in page
    assert page.count('role="img"') == 3
    for chart in ("chart-capacity", "chart-waiting", "chart-bookings"):
        svg = page.split(f'<svg class="chart" id="{chart}"', 1)[1].split("</svg>", 1)[0]
        assert f'aria-labelledby="{chart}-title {chart}-desc"' in svg
        assert f'<title id="{chart}-title">' in svg and f'<desc id="{chart}-desc">' in svg
    assert "Kapacitet og booket tid pr. uge, uge 9 til uge 16" in page
    capacity = _cells(page, "table-capacity")
    assert capacity[0][:3] == ["uge 9 (01.03.)", "85,0", "2,5"]  # 2 × 5 × 8.5 h; 90 + 60 min
    assert len(capacity) == 8 and capacity[-1][0].startswith("uge 16")
    waiting = _cells(page, "table-waiting")
    assert waiting == [["0–7 dage", "0"], ["8–14 dage", "0"], ["15–30 dage", "0"],
                       ["31–60 dage", "1"], ["over 60 dage", "0"]]
    assert len(_cells(page, "table-bookings")) == 8
    assert _cells(page, "table-bookings")[-1] == ["uge 9", "0", "2", "0", "0 %", "0", "0"]


def test_team_choice_includes_sub_teams_R_6_10(client, centre):
    """R-6.10: a team's figures include its sub-teams; the select keeps the choice."""
    login(client, centre["admin"])
    page = client.get(f"/caseworker/oversigt?team={centre['team'].id}").get_data(as_text=True)
    assert "<h1>Oversigt: Unge</h1>" in page
    assert f'<option value="{centre["team"].id}" selected>' in page
    assert _cells(page, "table-capacity")[0][1:3] == ["85,0", "2,5"]
    sub = client.get(f"/caseworker/oversigt?team={centre['sub'].id}").get_data(as_text=True)
    assert _cells(sub, "table-capacity")[0][1:3] == ["42,5", "1,0"]
    assert _cells(sub, "table-waiting")[3] == ["31–60 dage", "0"]


def test_another_job_centres_team_or_job_centre_is_404_R_6_10(client, centre):
    """R-6.10, R-0.1: only the user's job centre; a foreign or unknown team id is 404."""
    login(client, centre["stranger"])
    page = client.get("/caseworker/oversigt").get_data(as_text=True)
    assert "Jobcenter Andetsteds" in page and "Unge" not in page
    assert _cells(page, "table-capacity")[0][1:3] == ["0,0", "0,0"]
    assert client.get(f"/caseworker/oversigt?team={centre['team'].id}").status_code == 404
    assert client.get("/caseworker/oversigt?team=999999").status_code == 404
    assert client.get(f"/caseworker/oversigt?job_centre={centre['jc'].id}").status_code == 404


@pytest.mark.parametrize("query", ["team=abc", "team=-1", "team=0", "team=1.5", "team=%00",
                                   "team=99999999999999999999", "team=" + "9" * 500,
                                   "team=1e3", "team=%C3%A6"])
def test_bad_query_string_is_a_danish_message_and_no_500_R_6_10(client, centre, query):
    """R-6.10, R-7.4: a team that is no number is a Danish message over the whole job centre."""
    login(client, centre["caseworker"])
    response = client.get(f"/caseworker/oversigt?{query}")
    page = response.get_data(as_text=True)
    assert response.status_code in (400, 404), page[:300]
    if response.status_code == 400:
        assert "Vælg et team fra listen. Oversigten viser hele jobcentret." in page
        assert 'role="img"' in page


def test_support_chooses_a_job_centre_R_6_10(client, centre):
    """R-6.10: support has no job centre of its own and chooses one; a bad choice is Danish."""
    login(client, centre["support"])
    first = client.get("/caseworker/oversigt")
    assert first.status_code == 200
    page = first.get_data(as_text=True)
    assert "Vælg et jobcenter for at se dets oversigt." in page and 'role="img"' not in page
    assert 'href="/caseworker/"' not in page  # the workspace's own pages are not support's
    chosen = client.get(f"/caseworker/oversigt?job_centre={centre['jc'].id}&team={centre['sub'].id}")
    assert chosen.status_code == 200
    assert _cells(chosen.get_data(as_text=True), "table-capacity")[0][1:3] == ["42,5", "1,0"]
    bad = client.get("/caseworker/oversigt?job_centre=x")
    assert bad.status_code == 400 and "Vælg et jobcenter fra listen." in bad.get_data(as_text=True)
    assert client.get("/caseworker/oversigt?job_centre=999999").status_code == 404
    other_team = client.get(f"/caseworker/oversigt?job_centre={centre['other'].id}"
                            f"&team={centre['team'].id}")
    assert other_team.status_code == 404


def test_the_admin_front_page_and_the_workspace_link_to_the_overview_R_6_10(client, centre):
    """R-6.10: the admin's front page and the workspace's menu lead to Oversigt."""
    login(client, centre["admin"])
    assert 'href="/caseworker/oversigt"' in client.get("/admin/", follow_redirects=True).get_data(as_text=True)
    login(client, centre["caseworker"])
    menu = client.get("/caseworker/waiting").get_data(as_text=True).split('class="subnav"', 1)[1]
    assert 'href="/caseworker/oversigt"' in menu.split("</nav>", 1)[0]


def test_anonymous_is_sent_to_login_R_6_10(client, centre):
    """R-6.10, R-0.1: no page without a staff login."""
    response = client.get("/caseworker/oversigt")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    db.session.rollback()
