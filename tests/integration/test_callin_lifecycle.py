"""Withdrawing a waiting call-in and changing its priority, one or many at once (R-6.2)."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from sqlalchemy import select

from tests.integration.planning_support import make_callin
from webapp.callins import lifecycle
from webapp.domain.errors import DomainError
from webapp.extensions import db
from webapp.models import AuditEntry, CallIn, CallInStatus, Role
from webapp.planning import instance

NOW = datetime(2030, 3, 1, 8, 0)
WINDOW = dict(earliest=date(2030, 3, 4), deadline=date(2030, 3, 15))


@pytest.fixture
def waiting(reference_data, create_job_centre, create_caseworker, create_citizen, create_user,
            create_booking):
    job_centre = create_job_centre()
    team = job_centre.teams[0]
    caseworker = create_caseworker(job_centre, [team])
    callins = [make_callin(team, create_citizen(job_centre), [caseworker], **WINDOW) for _ in range(3)]
    placed = make_callin(team, create_citizen(job_centre), [caseworker], **WINDOW)
    placed.booking_id = create_booking([caseworker], datetime(2030, 3, 5, 9), team_id=team.id).id
    placed.status = CallInStatus.PLACED
    other = create_job_centre("Jobcenter Odense", municipality="Odense")
    foreign = make_callin(other.teams[0], create_citizen(other),
                          [create_caseworker(other, [other.teams[0]])], **WINDOW)
    db.session.commit()
    return dict(job_centre=job_centre, callins=callins, placed=placed, foreign=foreign,
                admin=create_user(Role.ADMINISTRATOR, job_centre))


def _audit(callin: CallIn) -> list[AuditEntry]:
    return list(db.session.scalars(select(AuditEntry).where(
        AuditEntry.object_type == "CallIn", AuditEntry.object_id == str(callin.id))))


def _statuses(callins) -> list[CallInStatus]:
    db.session.expire_all()
    return [db.session.get(CallIn, c.id).status for c in callins]


def test_r_6_2_withdraw_keeps_the_reason_in_the_audit_trail(waiting):
    """R-6.2: withdrawn call-ins are cancelled, the reason audited with the citizen, and the
    optimiser no longer sees them."""
    w = waiting
    chosen = lifecycle.waiting_callins(w["job_centre"].id, [c.id for c in w["callins"][:2]])
    lifecycle.withdraw(chosen, "  Borgeren er flyttet til Odense ", actor=w["admin"])
    db.session.commit()
    assert _statuses(w["callins"]) == [CallInStatus.CANCELLED, CallInStatus.CANCELLED,
                                       CallInStatus.WAITING]
    entry, = _audit(w["callins"][0])
    assert entry.citizen_id == w["callins"][0].citizen_id and entry.user_id == w["admin"].id
    assert entry.before == {"status": "afventer"}
    assert entry.after == {"status": "trukket tilbage", "begrundelse": "Borgeren er flyttet til Odense"}
    meetings = {m["id"] for m in instance.prepare(w["job_centre"].id, now=NOW).document["meetings"]}
    assert meetings == {f"m{w['callins'][2].id}"}


@pytest.mark.parametrize("reason, message", [
    ("", "Skriv en begrundelse"),
    ("   ", "Skriv en begrundelse"),
    (None, "Skriv en begrundelse"),
    ("x" * 501, "højst have 500 tegn"),
    ("flyttet\x00", "styretegn"),
])
def test_r_6_2_withdraw_without_a_usable_reason_changes_nothing(waiting, reason, message):
    w = waiting
    with pytest.raises(DomainError) as raised:
        lifecycle.withdraw(w["callins"], reason, actor=w["admin"])
    assert message in raised.value.message_da and raised.value.message_en
    db.session.rollback()
    assert _statuses(w["callins"]) == [CallInStatus.WAITING] * 3
    assert not _audit(w["callins"][0])


@pytest.mark.parametrize("which, message, code", [
    (lambda w: [w["callins"][0].id, w["placed"].id], "afventer ikke længere (placeret)", "callin_not_waiting"),
    (lambda w: [w["callins"][0].id, w["foreign"].id], "findes ikke", "unknown_callin"),
    (lambda w: [w["callins"][0].id, 2**40], "findes ikke", "unknown_callin"),
    (lambda w: [], "Vælg mindst én indkaldelse", "no_callin"),
])
def test_r_6_2_a_bulk_action_with_one_bad_callin_changes_none(waiting, which, message, code):
    """R-6.2, R-0.1: a placed, foreign or unknown call-in refuses the whole bulk withdrawal."""
    w = waiting
    with pytest.raises(DomainError) as raised:
        lifecycle.withdraw(lifecycle.waiting_callins(w["job_centre"].id, which(w)), "Fejl",
                           actor=w["admin"])
    assert message in raised.value.message_da and raised.value.code == code
    db.session.rollback()
    assert _statuses(w["callins"]) == [CallInStatus.WAITING] * 3
    assert _statuses([w["placed"], w["foreign"]]) == [CallInStatus.PLACED, CallInStatus.WAITING]


def test_r_6_2_a_callin_withdrawn_meanwhile_is_not_withdrawn_twice(waiting):
    w = waiting
    chosen = lifecycle.waiting_callins(w["job_centre"].id, [w["callins"][0].id])
    lifecycle.withdraw(chosen, "Første gang", actor=w["admin"])
    with pytest.raises(DomainError) as raised:
        lifecycle.withdraw(chosen, "Anden gang", actor=w["admin"])
    assert "afventer ikke længere (trukket tilbage)" in raised.value.message_da
    assert len(_audit(w["callins"][0])) == 1


def test_r_6_2_bulk_change_of_priority_is_audited_and_reaches_the_optimiser(waiting):
    w = waiting
    chosen = lifecycle.waiting_callins(w["job_centre"].id, [c.id for c in w["callins"][:2]])
    lifecycle.change_priority(chosen, "3", actor=w["admin"])
    db.session.commit()
    db.session.expire_all()
    assert [db.session.get(CallIn, c.id).priority for c in w["callins"]] == [3, 3, 1]
    entry, = _audit(w["callins"][1])
    assert (entry.before, entry.after) == ({"prioritet": 1}, {"prioritet": 3})
    meetings = {m["id"]: m["priority"] for m in instance.prepare(w["job_centre"].id, now=NOW).document["meetings"]}
    assert meetings[f"m{w['callins'][0].id}"] == 3 and meetings[f"m{w['callins'][2].id}"] == 1


@pytest.mark.parametrize("priority, message", [
    ("0", "mindst 1"), ("101", "højst være 100"), ("-2", "helt tal"), ("2.5", "helt tal"),
    ("", "helt tal"), ("٣", "helt tal"), ("9" * 40, "højst være 100"), (None, "helt tal"), (True, "helt tal"),
])
def test_r_6_2_a_bad_priority_changes_nothing(waiting, priority, message):
    w = waiting
    with pytest.raises(DomainError) as raised:
        lifecycle.change_priority(w["callins"], priority, actor=w["admin"])
    assert message in raised.value.message_da and raised.value.field == "priority"
    db.session.rollback()
    db.session.expire_all()
    assert [db.session.get(CallIn, c.id).priority for c in w["callins"]] == [1, 1, 1]
    assert not _audit(w["callins"][0])
