"""Audit trail search (R-1.9.x), system and inbound logs (R-1.10.1, R-1.11.1), About (R-1.12.1),
citizen views audited, and the screens' words in both languages."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest
from flask_babel import refresh
from sqlalchemy import func, select

from tests.factories import login
from webapp.extensions import db
from webapp.models import (AuditEntry, AuditEvent, InboundMessage, LogLevel, Role, SchedulerHeartbeat,
                           SystemLogEntry)


@pytest.fixture
def admin(reference_data, create_job_centre, create_user):
    return create_user(Role.ADMINISTRATOR, create_job_centre("Jobcenter Aarhus"), name="Anne Admin")


@pytest.fixture
def trail(admin, create_caseworker, create_citizen, create_job_centre):
    caseworker = create_caseworker(admin.job_centre, name="Karen Vejleder")
    citizen = create_citizen(admin.job_centre, cpr="0101901234")
    other_centre = create_job_centre("Jobcenter Odense", municipality="Odense")
    rows = [
        AuditEntry(job_centre_id=admin.job_centre_id, event=AuditEvent.CALL_IN_CREATED,
                   user_name="Anne Admin", booking_id=101, citizen_id=citizen.id,
                   caseworker_id=caseworker.id, occurred_at=datetime(2030, 1, 10, 9)),
        AuditEntry(job_centre_id=admin.job_centre_id, event=AuditEvent.BOOKING_MOVED_BY_CITIZEN,
                   user_name="borger", booking_id=102, citizen_id=citizen.id,
                   occurred_at=datetime(2030, 2, 10, 9)),
        AuditEntry(job_centre_id=admin.job_centre_id, event=AuditEvent.CASEWORKER_ATTACHED,
                   user_name="Per Planlægger", booking_id=103, caseworker_id=caseworker.id,
                   occurred_at=datetime(2030, 3, 10, 9)),
        AuditEntry(job_centre_id=other_centre.id, event=AuditEvent.CALL_IN_CREATED,
                   user_name="Anne Admin", booking_id=101, occurred_at=datetime(2030, 1, 10, 9)),
    ]
    db.session.add_all(rows)
    db.session.commit()
    return rows


def _booking_numbers(page: str) -> list[str]:
    return re.findall(r'<td class="col-booking_id">\s*(\d+)\s*</td>', page)


@pytest.mark.parametrize(("index", "value", "expected"), [
    (0, "102", ["102"]),                                   # conversation number
    (1, "010190-1234", ["102", "101"]),                    # citizen by CPR
    (2, "karen", ["103", "101"]),                          # caseworker
    (3, "booking_moved_by_citizen", ["102"]),              # event type
    (4, "2030-02-01 00:00:00", ["103", "102"]),            # from
    (5, "2030-02-01 00:00:00", ["101"]),                   # to
    (6, "Per", ["103"]),                                   # user
], ids=["conversation", "cpr", "caseworker", "event", "from", "to", "user"])
def test_r_1_9_3_audit_trail_search_by_seven_fields(client, admin, trail, index, value, expected):
    """R-1.9.3: the 7 search fields, each narrowing within the user's own job centre (R-0.1)."""
    login(client, admin)
    if index == 1:  # the CPR is posted; the list is reached by a token, not the CPR
        response = client.post("/admin/audit/cpr-search/", data={"cpr": value}, follow_redirects=True)
    else:
        response = client.get("/admin/audit/", query_string={f"flt0_{index}": value})
    assert _booking_numbers(response.get_data(as_text=True)) == expected


def test_r_1_9_3_the_search_fields_read_in_danish(client, admin, trail):
    login(client, admin)
    page = client.get("/admin/audit/").get_data(as_text=True)
    for label in ("Samtalenummer", "Borger (CPR)", "Vejleder", "Hændelse", "Fra", "Til", "Bruger"):
        assert f"{label}" in page
    events = re.findall(r'<td class="col-event">\s*(.*?)\s*</td>', page, re.S)
    assert events == ["Sagsbehandler tilknyttet booking", "Booking flyttet af borger", "Indkaldelse oprettet"]
    assert "Karen Vejleder" in page


def test_r_1_9_2_admin_offers_no_way_to_change_the_trail(client, admin, trail):
    login(client, admin)
    entry = trail[0]
    assert client.get(f"/admin/audit/edit/?id={entry.id}").status_code == 302
    client.post(f"/admin/audit/edit/?id={entry.id}", data={"user_name": "x"})
    client.post("/admin/audit/delete/", data={"id": entry.id})
    client.post("/admin/audit/action/", data={"action": "delete", "rowid": [entry.id]})
    db.session.expire_all()
    assert db.session.get(AuditEntry, entry.id).user_name == "Anne Admin"
    assert db.session.scalar(select(func.count(AuditEntry.id))) == 4


def test_r_1_9_1_opening_a_citizen_in_the_admin_is_audited_listing_them_is_not(client, admin, create_citizen):
    """R-1.9.1 "citizen card viewed", R-6.1: opening a citizen's form is recorded once; the list of
    names and masked numbers writes no entry per row."""
    first = create_citizen(admin.job_centre, name="Borger Et")
    create_citizen(admin.job_centre, name="Borger To")
    login(client, admin)
    page = client.get("/admin/citizen/").get_data(as_text=True)
    assert "Borger Et" in page and "Borger To" in page
    client.get(f"/admin/citizen/edit/?id={first.id}")
    entries = db.session.scalars(select(AuditEntry).where(
        AuditEntry.event == AuditEvent.CITIZEN_CARD_VIEWED)).all()
    assert [(e.citizen_id, e.user_id) for e in entries] == [(first.id, admin.id)]


def test_r_1_10_1_system_log_is_searchable(client, admin):
    db.session.add_all([
        SystemLogEntry(category="allocation", message="Kørsel: 40 placeret, 2 tilbage",
                       level=LogLevel.INFO, figures={"placed": 40}, job_centre_id=admin.job_centre_id),
        SystemLogEntry(category="letters", message="Brevskabelon fejlede", level=LogLevel.ERROR,
                       job_centre_id=admin.job_centre_id)])
    db.session.commit()
    login(client, admin)
    page = client.get("/admin/systemlog/", query_string={"search": "placeret"}).get_data(as_text=True)
    assert "Kørsel: 40 placeret" in page and "Brevskabelon fejlede" not in page


def test_r_1_11_1_inbound_log_lists_raw_messages_with_outcome(client, admin):
    db.session.add(InboundMessage(job_centre_id=admin.job_centre_id, external_id="KSS-77",
                                  raw='{"caseworker": "ukendt"}', outcome="ignored",
                                  detail="Ukendt vejleder"))
    db.session.commit()
    login(client, admin)
    page = client.get("/admin/inbound/").get_data(as_text=True)
    assert "KSS-77" in page and "Ukendt vejleder" in page
    message = db.session.scalar(select(InboundMessage))
    details = client.get(f"/admin/inbound/details/?id={message.id}").get_data(as_text=True)
    assert "&#34;caseworker&#34;: &#34;ukendt&#34;" in details or '"caseworker": "ukendt"' in details


def test_r_1_12_1_about_shows_version_database_scheduler_and_last_run(client, admin,
                                                                      create_job_centre):
    """R-1.12.1, R-0.1: the last batch run shown is the user's job centre's, not another's.
    R-1.10.1: the scheduler's state comes from its heartbeat, so a scheduler that crashed after
    logging its start no longer reads as started."""
    other = create_job_centre("Jobcenter Andet")
    db.session.add_all([
        SystemLogEntry(category="scheduler", message="Planlægningsjob kører", occurred_at=datetime(2030, 1, 1, 2),
                       figures={"state": "started"}),
        SchedulerHeartbeat(host="planner-1", pid=1, started_at=datetime(2025, 1, 1, 2),
                           beat_at=datetime(2025, 1, 1, 2, 10)),
        SystemLogEntry(category="allocation", message="40 placeret", occurred_at=datetime(2030, 1, 2, 2),
                       job_centre_id=admin.job_centre_id),
        SystemLogEntry(category="allocation", message="7 placeret andetsteds",
                       occurred_at=datetime(2030, 1, 3, 2), job_centre_id=other.id)])
    db.session.commit()
    login(client, admin)
    page = client.get("/admin/about/").get_data(as_text=True)
    from webapp.version import __version__
    assert __version__ in page and db.engine.dialect.name in page
    assert "Planlæggeren svarer ikke siden 01.01.2025 02:10." in page
    assert "Planlægningsjob kører" not in page
    assert "Seneste kørsel" in page and "02.01.2030 02:00: 40 placeret" in page
    assert "andetsteds" not in page


def test_column_labels_and_choices_follow_the_chosen_language(client, admin, create_room):
    """Known gap: labels were Danish constants; now the catalog decides (Danish default, English)."""
    create_room(admin.job_centre, name="Lokale 1", capacity=4)
    login(client, admin)
    page = client.get("/admin/room/").get_data(as_text=True)
    assert "Maks. kapacitet" in page and "Accepter overbooking" in page
    form = client.get("/admin/caseworker/new/").get_data(as_text=True)
    assert ">Envejs</option>" in form and ">one_way</option>" not in form
    client.post("/lang/en?next=/admin/room/")
    refresh()
    page = client.get("/admin/room/").get_data(as_text=True)
    assert "Maximum capacity" in page and "Maks. kapacitet" not in page
    form = client.get("/admin/caseworker/new/").get_data(as_text=True)
    assert ">One-way</option>" in form and ">Contact info</a>" in form
    client.post("/lang/da")
    refresh()


def test_every_admin_label_has_a_danish_translation(app):
    """The catalog holds a Danish word for every column label and stored value."""
    from flask_babel import force_locale

    from webapp.admin.labels import COLUMN_LABELS, ENUM_LABELS, MONTHS, WEEKDAYS
    with app.test_request_context(), force_locale("da"):
        untranslated = [str(label._args[0]) for label in
                        [*COLUMN_LABELS.values(), *ENUM_LABELS.values(), *MONTHS, *WEEKDAYS]
                        if str(label) == label._args[0]
                        and label._args[0] not in ("RID", "GUID", "CPR", "Id", "Team", "Teams",
                                                   "E-mail", "Start", "Status", "Info", "Support",
                                                   "April", "August", "September", "November",
                                                   "December")]
    assert untranslated == []


def test_r_1_9_3_the_audit_list_names_the_citizen_by_name_and_masked_cpr(client, admin, trail):
    """Manual §1.9: the trail says who the citizen is (name, masked CPR), not an internal id."""
    from webapp.models import Citizen
    citizen = db.session.get(Citizen, trail[0].citizen_id)
    login(client, admin)
    page = client.get("/admin/audit/").get_data(as_text=True)
    cells = re.findall(r'<td class="col-citizen_id">\s*(.*?)\s*</td>', page, re.S)
    assert sorted(cells) == ["", f"{citizen.name} (010190-****)", f"{citizen.name} (010190-****)"]
    assert "0101901234" not in page and "010190-1234" not in page


def test_r_1_10_1_about_says_the_scheduler_runs_while_it_beats(client, admin):
    """R-1.10.1, R-1.12.1: a recent heartbeat of a process that has not stopped reads "kører"."""
    from webapp.clock import now_local
    now = now_local()
    db.session.add(SchedulerHeartbeat(host="planner-1", pid=1, started_at=now - timedelta(hours=2),
                                      beat_at=now))
    db.session.commit()
    login(client, admin)
    page = client.get("/admin/about/").get_data(as_text=True)
    assert f"Planlæggeren kører (startet {now - timedelta(hours=2):%d.%m.%Y %H:%M})." in page
