"""Failed logins counted in the database, so every worker process sees the same counts (R-7.3).

A login attempt is recorded before the password is checked and forgotten when it
succeeds: parallel guesses in other workers then see it at once, not only after the slow
password hash. Accounts and addresses are stored as keyed hashes only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import delete, select
from sqlalchemy.orm import InstrumentedAttribute

from webapp.config import keyed_digest
from webapp.domain.lockout import LoginLocked, lock_end
from webapp.extensions import db
from webapp.models.users import LoginFailure


@dataclass(frozen=True)
class Limits:
    max_failures: int
    address_max_failures: int
    window: timedelta
    lockout: timedelta

    @classmethod
    def from_config(cls) -> Limits:
        config = current_app.config
        return cls(max_failures=int(config["PLANNER_LOGIN_MAX_FAILURES"]),
                   address_max_failures=int(config["PLANNER_LOGIN_ADDRESS_MAX_FAILURES"]),
                   window=timedelta(minutes=int(config["PLANNER_LOGIN_FAILURE_WINDOW_MINUTES"])),
                   lockout=timedelta(minutes=int(config["PLANNER_LOGIN_LOCKOUT_MINUTES"])))


def _hash(kind: str, value: str) -> str:
    return keyed_digest(kind, value)


def account_key(kind: str, name: str) -> str:
    """`kind` is "user" (a username, any case) or "citizen" (a normalised CPR number)."""
    return _hash(kind, name.strip().lower())


def address_key(address: str | None) -> str:
    return _hash("address", address or "")


def _lock_end(column: InstrumentedAttribute[str], key: str, max_failures: int, limits: Limits,
              now: datetime) -> datetime | None:
    since = now - limits.window - limits.lockout
    times = db.session.scalars(select(LoginFailure.failed_at)
                               .where(column == key, LoginFailure.failed_at > since)
                               .order_by(LoginFailure.failed_at)).all()
    return lock_end(times, max_failures, limits.window, limits.lockout)


def begin_attempt(account: str, address: str, *, now: datetime, limits: Limits | None = None
                  ) -> LoginFailure:
    """Record an attempt as failed until `succeeded`; LoginLocked if the account or address is locked.

    An attempt refused for a lock is not recorded, so a lock ends on time however often
    someone keeps trying. The caller commits either way.
    """
    limits = limits or Limits.from_config()
    # Rows older than any lock they could be part of go; this keeps the table small.
    db.session.execute(delete(LoginFailure).where(
        LoginFailure.failed_at <= now - limits.window - limits.lockout))
    ends = [_lock_end(LoginFailure.account_key, account, limits.max_failures, limits, now),
            _lock_end(LoginFailure.address_key, address, limits.address_max_failures, limits, now)]
    if any(end is not None and end > now for end in ends):
        raise LoginLocked(int(limits.lockout.total_seconds() // 60))
    attempt = LoginFailure(account_key=account, address_key=address, failed_at=now)
    db.session.add(attempt)
    db.session.flush()
    return attempt


def succeeded(account: str) -> None:
    """The right password: the account's failures are forgotten (its address's others stay)."""
    db.session.execute(delete(LoginFailure).where(LoginFailure.account_key == account))

