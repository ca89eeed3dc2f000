"""A waiting call-in after it is made: withdrawn with a reason, priority changed, one or many (R-6.2)."""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select

from webapp.callins import calling, checks
from webapp.domain.bounds import INT_MAX, check_integer, check_text
from webapp.domain.errors import DomainError
from webapp.extensions import db
from webapp.messaging import letters, outbox
from webapp.models import AuditEvent, CallIn, CallInStatus
from webapp.storage import audit

REASON_MAX = 500
PRIORITY_MAX = 100
# The audit trail shows the status in Danish; a withdrawn call-in is stored as cancelled.
_STATUS_DA = {CallInStatus.WAITING: "afventer", CallInStatus.PLACED: "placeret",
              CallInStatus.CANCELLED: "trukket tilbage"}


def waiting_callins(job_centre_id: int, ids: Sequence[int]) -> list[CallIn]:
    """The job centre's waiting call-ins by id; an unknown, foreign or no longer waiting one is refused.

    All are checked before anything changes, so a bulk action is all or nothing.
    """
    wanted = list(dict.fromkeys(ids))
    if not wanted:
        raise DomainError("Vælg mindst én indkaldelse.", "Choose at least one call-in.",
                          field="callin_ids", code="no_callin")
    # An id the database's integer cannot hold is no call-in: not a failing statement.
    storable = [i for i in wanted if isinstance(i, int) and 0 < i <= INT_MAX]
    callins = {c.id: c for c in db.session.scalars(
        select(CallIn).where(CallIn.id.in_(storable), CallIn.job_centre_id == job_centre_id))}
    missing = [i for i in wanted if i not in callins]
    if missing:
        raise DomainError(f"Indkaldelse nr. {missing[0]} findes ikke.",
                          f"Call-in no. {missing[0]} does not exist.", field="callin_ids",
                          code="unknown_callin")
    for callin in callins.values():
        if callin.status != CallInStatus.WAITING or callin.booking_id is not None:
            raise _not_waiting(callin)
    return [callins[i] for i in wanted]


def _check_reason(reason: str | None) -> str:
    text = (reason or "").strip()
    if not text:
        raise DomainError("Skriv en begrundelse for, at indkaldelsen trækkes tilbage.",
                          "Give a reason for withdrawing the call-in.", field="reason",
                          code="reason_missing")
    check_text(text, "Begrundelse", "Reason", max_length=REASON_MAX, field="reason")
    return text


class WithdrawalLetter(enum.StrEnum):
    """Whether the citizen was told of a withdrawal by letter (R-6.2), and if not, why."""

    SENT = "sent"
    NO_RULE = "no_rule"  # the variant has no cancellation letter rule for this citizen
    NO_EMAIL = "no_email"  # a rule exists, but the citizen has no e-mail address to send it to


# The audit trail says it in Danish.
_LETTER_DA = {WithdrawalLetter.SENT: "sendt til borgerens e-mail",
              WithdrawalLetter.NO_RULE: "ikke sendt: ingen brevregel for aflysning",
              WithdrawalLetter.NO_EMAIL: "ikke sendt: borgeren har ingen e-mailadresse"}


@dataclass(frozen=True)
class Withdrawn:
    callin: CallIn
    letter: WithdrawalLetter


def withdraw(callins: Sequence[CallIn], reason: str | None, *, now: datetime,
             actor: Any = None) -> list[Withdrawn]:
    """Withdraw waiting call-ins (R-6.2): status cancelled, the reason kept in the audit trail,
    and each citizen told by letter where the call-in's variant has a letter rule for it.

    The reason and every call-in are checked before any call-in changes, so a refused
    withdrawal changes and sends nothing. The letter is the variant's cancellation letter
    (`letters.render_withdrawal`), queued in the outbox in the caller's transaction: one per
    withdrawn call-in. Without a rule nothing is sent, and the answer says so.
    """
    text = _check_reason(reason)
    for callin in callins:
        if callin.status != CallInStatus.WAITING or callin.booking_id is not None:
            raise _not_waiting(callin)
    done = []
    for callin in callins:
        callin.status = CallInStatus.CANCELLED
        letter = _tell_citizen(callin, text, now=now)
        audit.record(AuditEvent.ADMIN_UPDATED, actor=actor, obj=callin, citizen_id=callin.citizen_id,
                     before={"status": _STATUS_DA[CallInStatus.WAITING]},
                     after={"status": _STATUS_DA[CallInStatus.CANCELLED], "begrundelse": text,
                            "brev": _LETTER_DA[letter]},
                     details=f"Indkaldelse trukket tilbage: {text}")
        done.append(Withdrawn(callin, letter))
    db.session.flush()
    return done


def _tell_citizen(callin: CallIn, reason: str, *, now: datetime) -> WithdrawalLetter:
    citizen = callin.citizen
    rendered = letters.render_withdrawal(callin, citizen, reason=reason, now=now)
    if rendered is None:
        return WithdrawalLetter.NO_RULE
    if not citizen.email:
        # Digital Post is the adapter a real deployment adds here, as for meetings' letters.
        return WithdrawalLetter.NO_EMAIL
    pdf = letters.html_to_pdf(rendered.html)
    filename = f"brev-indkaldelse-{callin.id}-tilbagetrukket-{now:%Y%m%d%H%M%S}.pdf"
    outbox.enqueue(kind="letter", recipient=citizen.email, subject=rendered.subject,
                   body_text=f"{rendered.text}\n\nBrevet er vedhæftet som PDF.\n"
                             f"Indkaldelse nr. {callin.id}.",
                   now=now, job_centre_id=callin.job_centre_id,
                   dedupe_key=f"callin-withdrawn:{callin.id}",
                   attachments=[(filename, "application/pdf", pdf)])
    return WithdrawalLetter.SENT


def change_priority(callins: Sequence[CallIn], priority: Any, *, actor: Any = None) -> None:
    """Give waiting call-ins a new priority (R-6.2, R-3.3): a whole number from 1 to 100."""
    value = _priority(priority)
    for callin in callins:
        if callin.status != CallInStatus.WAITING or callin.booking_id is not None:
            raise _not_waiting(callin)
    for callin in callins:
        if callin.priority == value:
            continue
        audit.record(AuditEvent.ADMIN_UPDATED, actor=actor, obj=callin, citizen_id=callin.citizen_id,
                     before={"prioritet": callin.priority}, after={"prioritet": value})
        callin.priority = value
    db.session.flush()


def _not_waiting(callin: CallIn) -> DomainError:
    return DomainError(
        f"Indkaldelse nr. {callin.id} afventer ikke længere ({_STATUS_DA[callin.status]}) og kan "
        "ikke ændres her. En placeret samtale ombookes eller aflyses i kalenderen.",
        f"Call-in no. {callin.id} is no longer waiting and cannot be changed here. A placed "
        "meeting is moved or cancelled in the calendar.", field="callin_ids",
        code="callin_not_waiting")


@dataclass
class CallInChanges:
    """What the edit form of a waiting call-in holds (R-6.2); every field is required there."""

    earliest_date: date
    deadline_date: date
    priority: Any
    team_id: int | None
    caseworker_ids: Sequence[int]
    room_id: int | None
    duration_minutes: int | None
    description: str | None = None


def edit_waiting(callin: CallIn, changes: CallInChanges, *, today: date, actor: Any = None) -> list[str]:
    """Change a waiting call-in under the checks of making one (R-6.2, R-3.1); returns what changed.

    An earliest date left as it was may lie in the past (the call-in has waited); a new one
    may not. Nothing changes unless every check passes.
    """
    if callin.status != CallInStatus.WAITING or callin.booking_id is not None:
        raise _not_waiting(callin)
    priority = _priority(changes.priority)
    spec = calling.CallInInput(
        job_centre_id=callin.job_centre_id, conversation_type_id=callin.conversation_type_id,
        variant_id=callin.variant_id, meeting_form=callin.meeting_form,
        holding_form_id=callin.holding_form_id, team_id=changes.team_id, room_id=changes.room_id,
        caseworker_ids=list(dict.fromkeys(changes.caseworker_ids)),
        duration_minutes=changes.duration_minutes, reporting_minutes=callin.reporting_minutes,
        deadline_date=changes.deadline_date,
        earliest_date=(max(changes.earliest_date, today)
                       if changes.earliest_date == callin.earliest_date else changes.earliest_date))
    team, room, caseworkers = checks._check_spec(spec)
    checks._window(spec, today)
    description = (changes.description or "").strip() or None
    if description is not None:
        check_text(description, "Beskrivelse", "Description", max_length=2000, field="description")
    before = _snapshot(callin)
    callin.earliest_date = changes.earliest_date
    callin.deadline_date = changes.deadline_date
    callin.priority = priority
    callin.team_id = team.id
    callin.room_id = room.id if room is not None else None
    callin.duration_minutes = spec.duration_minutes or callin.duration_minutes
    callin.description = description
    callin.caseworkers = list(caseworkers)
    db.session.flush()
    after = _snapshot(callin)
    changed = [key for key in after if before[key] != after[key]]
    if changed:
        audit.record(AuditEvent.ADMIN_UPDATED, actor=actor, obj=callin, citizen_id=callin.citizen_id,
                     before={k: before[k] for k in changed}, after={k: after[k] for k in changed},
                     details="Indkaldelse rettet")
    return changed


def _snapshot(callin: CallIn) -> dict[str, Any]:
    # Danish keys: the audit trail is read by the job centre.
    return {"tidligste dato": callin.earliest_date.isoformat(),
            "frist": callin.deadline_date.isoformat(), "prioritet": callin.priority,
            "team": callin.team_id, "lokale": callin.room_id, "varighed": callin.duration_minutes,
            "beskrivelse": callin.description,
            "vejledere": sorted(cw.id for cw in callin.caseworkers)}


def _priority(priority: Any) -> int:
    """A priority from the form or the API: a whole number from 1 to 100 (R-3.3)."""
    value = priority if isinstance(priority, int) and not isinstance(priority, bool) else None
    if isinstance(priority, str) and priority.strip().isascii() and priority.strip().isdigit():
        value = int(priority.strip()) if len(priority.strip()) <= 10 else PRIORITY_MAX + 1
    if value is None:
        raise DomainError("Skriv prioriteten som et helt tal fra 1 til 100.",
                          "Enter the priority as a whole number from 1 to 100.", field="priority",
                          code="not_a_number")
    check_integer(value, "Prioritet", "Priority", minimum=1, maximum=PRIORITY_MAX, field="priority")
    return value
