"""When repeated failed logins lock an account or an address, and until when (R-7.3)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from webapp.domain.errors import DomainError
from webapp.messages import texts


class LoginLocked(DomainError):
    """Too many failed logins; the same words whether the account exists or not."""

    code = "login_locked"
    http_status = 429

    def __init__(self, minutes: int) -> None:
        super().__init__(*texts("login_locked", minutes=minutes))


def lock_end(failures: Sequence[datetime], max_failures: int, window: timedelta,
             lockout: timedelta) -> datetime | None:
    """The end of the lock that `failures` (oldest first) earn, or None.

    `max_failures` failures within `window` lock for `lockout` from the last of them.
    """
    if max_failures < 1:
        return None
    end = None
    for first, last in zip(failures, failures[max_failures - 1:]):
        if last - first <= window:
            end = last + lockout
    return end
