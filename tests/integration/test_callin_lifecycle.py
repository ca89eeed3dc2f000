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
    lifecycle.withdraw(chosen, "  Borgeren er flyttet til Odense ", now=NOW, actor=w["admin"])
    db.session.commit()
    assert _statuses(w["callins"]) == [CallInStatus.CANCELLED, CallInStatus.CANCELLED,
                                       CallInStatus.WAITING]
    entry, = _audit(w["callins"][0])
    assert entry.citizen_id == w["callins"][0].citizen_id and entry.user_id == w["admin"].id
    assert entry.before == {"status": "afventer"}
    assert entry.after == {"status": "trukket tilbage", "begrundelse": "Borgeren er flyttet til Odense",
                           "brev": "ikke sendt: ingen brevregel for aflysning"}
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
        lifecycle.withdraw(w["callins"], reason, now=NOW, actor=w["admin"])
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
                           now=NOW, actor=w["admin"])
    assert message in raised.value.message_da and raised.value.code == code
    db.session.rollback()
    assert _statuses(w["callins"]) == [CallInStatus.WAITING] * 3
    assert _statuses([w["placed"], w["foreign"]]) == [CallInStatus.PLACED, CallInStatus.WAITING]


def test_r_6_2_a_callin_withdrawn_meanwhile_is_not_withdrawn_twice(waiting):
    w = waiting
    chosen = lifecycle.waiting_callins(w["job_centre"].id, [w["callins"][0].id])
    lifecycle.withdraw(chosen, "Første gang", now=NOW, actor=w["admin"])
    with pytest.raises(DomainError) as raised:
        lifecycle.withdraw(chosen, "Anden gang", now=NOW, actor=w["admin"])
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


# --- the citizen told by letter (R-6.2) -----------------------------------------------------

@pytest.fixture
def lettered(app, reference_data):
    """The workspace's job centre: its variant has a cancellation letter rule for the template's
    conversation type; citizens 0, 2 and 3 have an e-mail address, citizen 1 has none."""
    from dataclasses import replace

    from tests.workspace_setup import NOW as WS_NOW, build_workspace
    from webapp.callins.calling import create_callins, from_template
    ws = build_workspace()
    data = replace(from_template(ws.templates["auto"], today=WS_NOW.date()),
                   cprs=[c.cpr for c in ws.citizens[:4]])
    create_callins(data, now=WS_NOW, actor=ws.user)
    db.session.commit()
    callins = {c.citizen_id: c for c in db.session.scalars(
        select(CallIn).where(CallIn.job_centre_id == ws.job_centre.id))}
    return ws, [callins[c.id] for c in ws.citizens[:4]]


def _letters_queued() -> list:
    from webapp.models import OutboxMessage
    return list(db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "letter")
                                   .order_by(OutboxMessage.id)))


def test_r_6_2_a_withdrawn_callin_sends_the_variants_cancellation_letter(lettered):
    """R-6.2: where the call-in's variant has a letter rule for cancellation, the citizen gets
    that letter, as a PDF by e-mail, with the reason and without a time; audited."""
    from webapp.models import OutboxAttachment
    ws, callins = lettered
    [done] = lifecycle.withdraw([callins[0]], "Borgeren er i job", now=NOW, actor=ws.user)
    db.session.commit()
    assert done.letter == lifecycle.WithdrawalLetter.SENT
    [mail] = _letters_queued()
    assert mail.recipient == ws.citizens[0].email and mail.booking_id is None
    assert mail.subject == "Din samtale er aflyst"  # the rule's template, not a built-in
    assert "Borgeren er i job" in mail.body_text and f"Indkaldelse nr. {callins[0].id}" in mail.body_text
    assert "kl." not in mail.body_text  # no time: the call-in never had one
    [pdf] = db.session.scalars(select(OutboxAttachment).where(OutboxAttachment.message_id == mail.id))
    assert pdf.content_type == "application/pdf" and pdf.data.startswith(b"%PDF")
    entry = _audit(callins[0])[-1]  # after the call-in's creation
    assert entry.after["brev"] == "sendt til borgerens e-mail"


def test_r_6_2_without_a_cancellation_rule_nothing_is_sent(lettered):
    """R-6.2: no letter rule for cancellation, no letter; the answer and the audit say so."""
    ws, callins = lettered
    for rule in list(ws.variant.letter_rules):
        if rule.activity == "cancellation":
            ws.variant.letter_rules.remove(rule)
    db.session.commit()
    [done] = lifecycle.withdraw([callins[0]], "Borgeren er i job", now=NOW, actor=ws.user)
    assert done.letter == lifecycle.WithdrawalLetter.NO_RULE
    assert _letters_queued() == []
    assert _audit(callins[0])[-1].after["brev"] == "ikke sendt: ingen brevregel for aflysning"


def test_r_6_2_a_citizen_without_e_mail_gets_no_letter_and_it_is_said(lettered):
    ws, callins = lettered
    assert ws.citizens[1].email is None
    [done] = lifecycle.withdraw([callins[1]], "Fejl i indkaldelsen", now=NOW, actor=ws.user)
    assert done.letter == lifecycle.WithdrawalLetter.NO_EMAIL
    assert _letters_queued() == []


def test_r_6_2_bulk_withdraw_sends_one_letter_per_citizen(lettered):
    """R-6.2: a bulk withdrawal tells each citizen with an address once, by one letter each."""
    ws, callins = lettered
    done = lifecycle.withdraw(lifecycle.waiting_callins(ws.job_centre.id, [c.id for c in callins]),
                              "Tilbuddet er lukket", now=NOW, actor=ws.user)
    db.session.commit()
    assert [d.letter for d in done] == [lifecycle.WithdrawalLetter.SENT,
                                        lifecycle.WithdrawalLetter.NO_EMAIL,
                                        lifecycle.WithdrawalLetter.SENT,
                                        lifecycle.WithdrawalLetter.SENT]
    recipients = [mail.recipient for mail in _letters_queued()]
    assert sorted(recipients) == sorted(c.email for c in ws.citizens[:4] if c.email)
    assert len(set(recipients)) == len(recipients) == 3


@pytest.mark.parametrize("refusal", ["reason", "placed"])
def test_r_6_2_a_refused_withdrawal_sends_nothing(lettered, refusal):
    """R-6.2: a withdrawal refused for its reason or for one call-in no longer waiting sends
    no letter to anyone, not even to the citizens checked before the refusal."""
    ws, callins = lettered
    if refusal == "placed":
        callins[3].status = CallInStatus.PLACED
        db.session.commit()
    with pytest.raises(DomainError):
        lifecycle.withdraw(callins, "" if refusal == "reason" else "Tilbuddet er lukket",
                           now=NOW, actor=ws.user)
    db.session.rollback()
    assert _letters_queued() == []
    assert _statuses(callins[:3]) == [CallInStatus.WAITING] * 3


def test_r_6_2_a_withdrawal_letter_template_may_tell_a_withdrawal_from_a_cancellation(lettered):
    """R-6.2: the rule's template sees `withdrawn`, so one template serves both letters; a
    template that does not render falls back to the built-in withdrawal letter and is logged."""
    from webapp.messaging import letters
    ws, callins = lettered
    ws.letters["cancel"].body = ("{% if withdrawn %}Indkaldelsen er trukket tilbage: "
                                 "{{ cancel_reason }}{% else %}Samtalen {{ booking.starts_at }} "
                                 "er aflyst.{% endif %}")
    rendered = letters.render_withdrawal(callins[0], ws.citizens[0], reason="Flyttet", now=NOW)
    assert rendered is not None and rendered.text == "Indkaldelsen er trukket tilbage: Flyttet"
    assert "Tidspunkt" not in rendered.html and f"Indkaldelse nr. {callins[0].id}" in rendered.html
    ws.letters["cancel"].body = "{% if %}"
    rendered = letters.render_withdrawal(callins[0], ws.citizens[0], reason="Flyttet", now=NOW)
    assert rendered.subject == "Din indkaldelse er trukket tilbage"
    assert "Flyttet" in rendered.text and rendered.letter_template_id is None
