"""The one booking-change event and the work it leaves for after the commit (R-6.7, R-3.5).

Every writer of bookings goes through `webapp.booking.writer`, which sends
`booking_changed` inside the caller's transaction after each change. Each side effect
is one listener, connected once: letters and invitations (`messaging/notifications.py`),
receipts (`messaging/receipts.py`), the self-booking deadline and the out-of-slots check
(`selfbooking/listeners.py`). The audit entries are written by the writer itself, next
to the change they describe.

A listener that must wait for the commit (the out-of-slots check reads what other
transactions committed, R-4.6) queues its work with `after_commit`: it runs once the
session's transaction has committed, and is dropped when the transaction, or the
savepoint it was queued in, rolls back. Views, jobs and the CLI only commit.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any

from blinker import Namespace
from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction

log = logging.getLogger(__name__)

signals = Namespace()
#: sent as booking_changed.send(booking, change=..., now=..., actor=..., previous=..., hints=...)
#: change is one of "created", "moved", "cancelled", "participants" ("created" also when a
#: reservation is confirmed). `previous`: for "moved" the old time, caseworkers and room; for
#: "participants" {"added": citizen id} or {"removed": citizen id}, and for a citizen's group
#: rebooking also "from" (the booking the seat came from) or "to" (where it went). `hints`:
#: what the writer's caller already knows and a listener may use instead of a query.
booking_changed = signals.signal("booking-changed")

_PENDING = "after_commit_pending"
_READY = "after_commit_ready"


@dataclass
class _Work:
    transaction: SessionTransaction | None
    key: Hashable | None
    run: Callable[[], Any]


def after_commit(session: Session, work: Callable[[], Any], *, key: Hashable | None = None) -> None:
    """Run `work` after `session`'s transaction commits; never if it rolls back.

    With a `key`, work already queued under it in this transaction wins and this one is
    dropped (one out-of-slots check per offer, however many bookings changed). `work`
    runs outside the committed transaction and owns what it writes: it commits or rolls
    back itself; an error in it is logged and never undoes the commit before it.
    """
    pending: list[_Work] = session.info.setdefault(_PENDING, [])
    if key is not None and any(item.key == key for item in pending):
        return
    # Queued before anything began the transaction: begin it, so its end is seen.
    current = session.get_nested_transaction() or session.get_transaction() or session.begin()
    pending.append(_Work(current, key, work))


def queued(session: Session) -> list[Hashable | None]:
    """The keys of the work waiting for the commit (for tests and the bench)."""
    return [item.key for item in session.info.get(_PENDING, [])]


def _within(transaction: SessionTransaction | None, ended: SessionTransaction) -> bool:
    while transaction is not None:
        if transaction is ended:
            return True
        transaction = transaction.parent
    return False


@event.listens_for(Session, "after_soft_rollback")
def _drop_rolled_back(session: Session, previous_transaction: SessionTransaction) -> None:
    pending = session.info.get(_PENDING)
    if pending:
        session.info[_PENDING] = [item for item in pending
                                  if not _within(item.transaction, previous_transaction)]


@event.listens_for(Session, "after_commit")
def _mark_ready(session: Session) -> None:
    # Also sent when a savepoint is released: only the outermost commit counts.
    if session.in_nested_transaction():
        return
    pending = session.info.pop(_PENDING, None)
    if pending:
        session.info.setdefault(_READY, []).extend(pending)


@event.listens_for(Session, "after_transaction_end")
def _run_ready(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is not None:
        return
    # Whatever is still pending belonged to a transaction that ended without a commit.
    session.info.pop(_PENDING, None)
    ready = session.info.pop(_READY, None)
    # The session's transaction has ended here, so the work may begin and commit its own.
    for item in ready or ():
        try:
            item.run()
        except Exception:
            log.exception("Work after the commit failed (%s)", item.key)
            session.rollback()
