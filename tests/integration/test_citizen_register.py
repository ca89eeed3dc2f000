"""The citizen register (R-6.1): a pluggable adapter, the file-backed one, and citizens created
from it on first use by call-ins, fixed-time bookings, deadlines and the inbound endpoint."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date

import pytest
from sqlalchemy import func, select
from stdnum.dk import cpr as stdnum_cpr

from tests.workspace_setup import MONDAY, NOW, at, build_workspace
from webapp.callins.calling import create_callins, from_template
from webapp.callins.inbound import receive
from webapp.citizens import register as register_module
from webapp.citizens.register import (FileCitizenRegister, RegisterEntry, RegisterFileError,
                                      RegisterUnavailable, citizen_register)
from webapp.citizens.service import citizen_for_cpr, correct_contact, find_citizens
from webapp.domain.cpr import normalise_cpr, test_cprs
from webapp.domain.errors import DomainError
from webapp.extensions import db
from webapp.models import (AuditEntry, Booking, CallIn, CallInStatus, Citizen, InboundMessage,
                           SelfBookingDeadline)
from webapp.selfbooking.deadlines import create_deadline

REGISTER = FileCitizenRegister()
# In the file-backed register but in no test's database until a test asks for it.
KNOWN = [entry for entry in REGISTER.entries() if entry.contact_group][:3]
EXTRA = [entry for entry in REGISTER.entries() if not entry.email][:3]
UNKNOWN = "0707861007"  # a valid CPR number the register does not hold


class NobodyRegister:
    """A register that knows no one (for the configuration test)."""

    def lookup(self, cpr: str) -> RegisterEntry | None:
        return None


class DownRegister:
    """A register that cannot be asked."""

    def lookup(self, cpr: str) -> RegisterEntry | None:
        raise RegisterUnavailable("time-out")


def _count(model: type) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def _counts() -> dict[str, int]:
    return {m.__name__: _count(m) for m in (Citizen, CallIn, Booking, SelfBookingDeadline, AuditEntry)}


@pytest.fixture
def ws(app, reference_data):
    return build_workspace()


# --- the file-backed register ----------------------------------------------------

def test_r_6_1_file_register_holds_the_demo_population_and_hundreds_more_valid_numbers():
    """R-6.1: the demo's 200 citizens (seed/demo.py's CPR numbers) and at least 300 more; every
    number is a valid CPR number by python-stdnum and by the planner's own check."""
    cprs = [entry.cpr for entry in REGISTER.entries()]
    assert len(cprs) == len(set(cprs)) >= 500
    assert set(test_cprs(200, 2027)) <= set(cprs)
    for cpr in cprs:
        assert stdnum_cpr.get_birth_date(cpr) <= date(2027, 1, 1)
        assert normalise_cpr(cpr, today=date(2027, 1, 1)) == cpr
    assert REGISTER.lookup(UNKNOWN) is None
    demo = REGISTER.lookup(test_cprs(1, 2027)[0])
    assert demo is not None and demo.name and demo.address and demo.postal_code and demo.city


@pytest.mark.parametrize("content, reason", [
    ("not json", "cannot read"),
    ('{"people": []}', "cannot read"),
    ('{"citizens": {}}', "list of objects"),
    ('{"citizens": [{"name": "A"}]}', "missing or bad field"),
    ('{"citizens": [{"cpr": "123", "name": "A"}]}', "10 digits"),
    ('{"citizens": [{"cpr": "0101801001", "name": " "}]}', "'name' is required"),
    ('{"citizens": [{"cpr": "0101801001", "name": "A", "city": 7}]}', "must be text"),
    ('{"citizens": [{"cpr": "0101801001", "name": "A"}, {"cpr": "0101801001", "name": "B"}]}',
     "appears twice"),
])
def test_r_6_1_malformed_register_file_is_a_set_up_error_naming_no_cpr(tmp_path, content, reason):
    """R-6.1: a broken register file stops with a set-up error, never a CPR number in it."""
    path = tmp_path / "citizens.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(RegisterFileError, match=reason) as caught:
        FileCitizenRegister(path).lookup("0101801001")
    assert "0101801001" not in str(caught.value)


def test_r_6_1_register_is_chosen_by_configuration(app, tmp_path):
    """R-6.1: PLANNER_CITIZEN_REGISTER names the adapter, PLANNER_CITIZEN_REGISTER_FILE its file."""
    assert isinstance(citizen_register(), FileCitizenRegister)
    path = tmp_path / "one.json"
    path.write_text(json.dumps({"citizens": [{"cpr": "0101801001", "name": "Eneste Borger"}]}),
                    encoding="utf-8")
    app.config["PLANNER_CITIZEN_REGISTER_FILE"] = str(path)
    assert citizen_register().lookup("0101801001").name == "Eneste Borger"
    app.config["PLANNER_CITIZEN_REGISTER"] = f"{__name__}:NobodyRegister"
    assert isinstance(citizen_register(), NobodyRegister)
    assert isinstance(citizen_register(), register_module.CitizenRegister)


# --- citizens created from the register --------------------------------------------

def test_r_6_1_citizen_for_cpr_creates_the_citizen_once_from_the_register(ws):
    """R-6.1: name, address, contact details and contact group come from the register, once."""
    entry = KNOWN[0]
    citizen = citizen_for_cpr(ws.job_centre.id, entry.cpr)
    db.session.commit()
    assert (citizen.name, citizen.address, citizen.postal_code, citizen.city, citizen.email,
            citizen.phone) == (entry.name, entry.address, entry.postal_code, entry.city,
                               entry.email, entry.phone)
    assert citizen.contact_group.code == entry.contact_group
    assert citizen.job_centre_id == ws.job_centre.id
    again = citizen_for_cpr(ws.job_centre.id, entry.cpr)
    assert again.id == citizen.id
    assert _count(Citizen) == len(ws.citizens) + 1


@pytest.mark.parametrize("adapter, code, text", [
    (None, "citizen_not_in_register",
     "CPR-nummeret 070786-**** findes ikke i CPR-registeret. Tjek nummeret; der er ikke gemt noget."),
    ("DownRegister", "citizen_register_unavailable", "CPR-registeret svarer ikke lige nu."),
])
def test_r_6_1_unknown_number_or_silent_register_is_a_danish_error(app, ws, adapter, code, text):
    """R-6.1: a number the register does not know, or a register that does not answer, is a
    clear error in both languages, with the number masked."""
    if adapter:
        app.config["PLANNER_CITIZEN_REGISTER"] = f"{__name__}:{adapter}"
    with pytest.raises(DomainError) as caught:
        citizen_for_cpr(ws.job_centre.id, UNKNOWN)
    assert caught.value.code == code and caught.value.message_da.startswith(text)
    assert caught.value.message_en and UNKNOWN not in caught.value.message_da + caught.value.message_en


def test_r_6_1_call_in_to_the_waiting_list_creates_the_citizen_from_the_register(ws):
    """R-6.1: a call-in for numbers not yet known creates the citizens and calls them in."""
    data = replace(from_template(ws.templates["auto"], today=NOW.date()),
                   cprs=[KNOWN[0].cpr, ws.citizens[0].cpr, EXTRA[0].cpr])
    result = create_callins(data, now=NOW, actor=ws.user)
    db.session.commit()
    assert [c.citizen.name for c in result.callins] == [KNOWN[0].name, ws.citizens[0].name, EXTRA[0].name]
    assert {c.status for c in result.callins} == {CallInStatus.WAITING}
    assert _count(Citizen) == len(ws.citizens) + 2


def test_r_6_1_fixed_time_booking_creates_the_citizen_from_the_register(ws):
    """R-6.1: a fixed-time call-in books the new citizen at once."""
    data = replace(from_template(ws.templates["fixed"], today=NOW.date()), cprs=[KNOWN[1].cpr],
                   starts_at=at(MONDAY, 9))
    result = create_callins(data, now=NOW, actor=ws.user)
    db.session.commit()
    [booking] = result.bookings
    assert [p.citizen.cpr for p in booking.participants] == [KNOWN[1].cpr]


def test_r_6_1_call_in_with_one_unknown_number_saves_nothing(ws):
    """R-6.1: one unknown number in the list refuses the whole call-in; no citizen is created."""
    before = _counts()
    data = replace(from_template(ws.templates["auto"], today=NOW.date()),
                   cprs=[KNOWN[0].cpr, UNKNOWN])
    with pytest.raises(DomainError) as caught:
        create_callins(data, now=NOW, actor=ws.user)
    db.session.rollback()
    assert caught.value.code == "citizen_not_in_register" and caught.value.field == "cprs"
    assert "070786-****" in caught.value.message_da
    assert _counts() == before


def test_r_6_1_deadline_for_a_new_number_creates_the_citizen(ws):
    """R-6.1: a self-booking deadline for a number not yet known creates the citizen first."""
    citizen = citizen_for_cpr(ws.job_centre.id, KNOWN[2].cpr)
    deadline = create_deadline(citizen, ws.types[7].id, date(2027, 3, 20), today=NOW.date(), actor=ws.user)
    db.session.commit()
    assert deadline.citizen.cpr == KNOWN[2].cpr and deadline.citizen.name == KNOWN[2].name


def _inbound(rid: str, cpr: str) -> str:
    return json.dumps({"appointment_id": "KSS-77", "action": "create", "caseworker": {"rid": rid},
                       "citizen_cpr": cpr, "starts_at": "2027-03-01T09:00:00+01:00",
                       "ends_at": "2027-03-01T10:00:00+01:00"})


def test_r_6_1_inbound_appointment_creates_the_citizen_from_the_register(ws):
    """R-6.1: the case system's appointment for a number not yet known creates the citizen."""
    outcome = receive(ws.job_centre.id, _inbound(ws.anna.rid, KNOWN[0].cpr), now=NOW)
    db.session.commit()
    assert outcome.code == "created"
    booking = db.session.get(Booking, outcome.booking_id)
    assert [p.citizen.name for p in booking.participants] == [KNOWN[0].name]


def test_r_6_1_inbound_appointment_for_an_unknown_number_is_rejected_and_saves_nothing(ws):
    """R-6.1: an unknown number rejects the message; only its log line is kept."""
    before = _counts()
    outcome = receive(ws.job_centre.id, _inbound(ws.anna.rid, UNKNOWN), now=NOW)
    db.session.commit()
    assert outcome.code == "rejected" and outcome.error.code == "citizen_not_in_register"
    assert "070786-****" in outcome.detail
    assert _counts() == before
    [logged] = db.session.scalars(select(InboundMessage)).all()
    assert UNKNOWN not in logged.raw and UNKNOWN not in (logged.detail or "")


# --- finding citizens and correcting contact details --------------------------------

def test_r_6_1_find_citizens_by_cpr_or_by_every_word_of_the_name(ws, create_job_centre, create_citizen):
    """R-6.1: by CPR number (any written form) or by name words, only in the own job centre."""
    other = create_job_centre()
    create_citizen(other, cpr=ws.citizens[0].cpr, name=ws.citizens[0].name)
    cpr = ws.citizens[0].cpr
    assert find_citizens(ws.job_centre.id, f"{cpr[:6]}-{cpr[6:]}", today=NOW.date()) == [ws.citizens[0]]
    assert find_citizens(ws.job_centre.id, UNKNOWN, today=NOW.date()) == []
    name = ws.citizens[1].name
    assert find_citizens(ws.job_centre.id, f"  {name.upper()} ", today=NOW.date()) == [ws.citizens[1]]
    assert find_citizens(ws.job_centre.id, "%_", today=NOW.date()) == []


@pytest.mark.parametrize("query, code", [
    ("", "citizen_search_empty"), ("   ", "citizen_search_empty"), ("a", "citizen_search_short"),
    ("0101", "cpr_length"), ("320180-1234", "cpr_date"),
])
def test_r_6_1_bad_search_is_a_danish_error(ws, query, code):
    with pytest.raises(DomainError) as caught:
        find_citizens(ws.job_centre.id, query, today=NOW.date())
    assert caught.value.code == code and caught.value.message_da and caught.value.message_en


def test_r_6_1_contact_details_are_corrected_and_checked(ws):
    """R-6.1: e-mail and phone are normalised; a bad value is refused; empty clears."""
    citizen = ws.citizens[0]
    correct_contact(citizen, email=" Ny@Example.DK ", phone="20 30 40 50")
    assert (citizen.email, citizen.phone) == ("ny@example.dk", "+4520304050")
    correct_contact(citizen, email="", phone=None)
    assert (citizen.email, citizen.phone) == (None, None)
    for email, phone, field in (("ikke-en-adresse", "", "email"), ("", "12", "phone")):
        with pytest.raises(DomainError) as caught:
            correct_contact(citizen, email=email, phone=phone)
        assert caught.value.field == field
