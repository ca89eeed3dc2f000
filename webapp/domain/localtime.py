"""Copenhagen wall-clock times on daylight-saving nights: the missing hour, the doubled hour (R-7.7)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from enum import StrEnum

from webapp.domain.availability import COPENHAGEN
from webapp.domain.errors import DomainError

# Meetings are stored as wall-clock times without offset, which cannot say which
# of the two 02:30s of the last Sunday of October is meant, and can name a 02:30 on the
# last Sunday of March that never happens. The rules, also in docs/architecture.md "Time":
# - a time in the spring-forward gap (02:00-02:59) does not exist and is refused, as is a
#   meeting that starts, ends or runs through it;
# - a doubled time is its first occurrence, summer time (fold=0); a time that names the
#   second occurrence explicitly (an offset of +01:00) is refused, since it cannot be stored;
# - a meeting lasts its length on the clock (`ends_at - starts_at`, how every writer sets
#   the end): its UTC end is its UTC start plus that length (`meeting_utc`).


class WallClock(StrEnum):
    NORMAL = "normal"
    NONEXISTENT = "nonexistent"   # skipped when the clocks go forward
    AMBIGUOUS = "ambiguous"       # happens twice when the clocks go back


_MOMENT = timedelta(microseconds=1)


def classify(moment: datetime) -> WallClock:
    """What a naive Copenhagen wall-clock time is on its day."""
    first = moment.replace(tzinfo=COPENHAGEN, fold=0)
    second = moment.replace(tzinfo=COPENHAGEN, fold=1)
    if first.utcoffset() == second.utcoffset():
        return WallClock.NORMAL
    # In the gap PEP 495 reads fold=0 with the offset before the jump, so the instant
    # comes back as another clock time; a doubled time comes back as itself.
    back = first.astimezone(UTC).astimezone(COPENHAGEN).replace(tzinfo=None)
    return WallClock.AMBIGUOUS if back == moment.replace(tzinfo=None) else WallClock.NONEXISTENT


def _when(moment: datetime) -> tuple[str, str]:
    return f"{moment:%d.%m.%Y kl. %H:%M}", f"{moment:%Y-%m-%d %H:%M}"


def _does_not_exist(moment: datetime, field: str, *, end: bool) -> DomainError:
    da, en = _when(moment)
    return DomainError(
        f"{'Sluttidspunktet' if end else 'Tidspunktet'} {da} findes ikke på grund af overgang "
        "til sommertid: urene stilles frem fra 02:00 til 03:00. Vælg et andet tidspunkt.",
        f"The {'end ' if end else ''}time {en} does not exist: the clocks go forward from 02:00 "
        "to 03:00 for summer time. Please choose another time.",
        field=field, code="time_does_not_exist")


def _second_occurrence(moment: datetime, field: str, *, end: bool) -> DomainError:
    da, en = _when(moment)
    return DomainError(
        f"{'Sluttidspunktet' if end else 'Tidspunktet'} {da} findes to gange, fordi urene "
        "stilles tilbage til vintertid. Planlæggeren bruger den første (sommertid, +02:00); "
        "den anden (+01:00) kan ikke bruges. Vælg et andet tidspunkt.",
        f"The {'end ' if end else ''}time {en} happens twice as the clocks go back to winter "
        "time. The planner uses the first (summer time, +02:00); the second (+01:00) cannot "
        "be used. Please choose another time.",
        field=field, code="time_second_occurrence")


def check_wall_clock(moment: datetime, *, field: str = "starts_at") -> None:
    """Raise unless `moment` is a clock time that happens, and happens as stored (R-7.7)."""
    kind = classify(moment)
    if kind is WallClock.NONEXISTENT:
        raise _does_not_exist(moment, field, end=False)
    if kind is WallClock.AMBIGUOUS and moment.fold == 1:
        raise _second_occurrence(moment, field, end=False)


def check_meeting_times(starts_at: datetime, ends_at: datetime, *, field: str = "starts_at") -> None:
    """Raise unless a meeting from `starts_at` to `ends_at` lies in clock time that happens (R-7.7)."""
    check_wall_clock(starts_at, field=field)
    # The end is the first moment after the meeting: one that ends as the clocks jump
    # (02:00 in March) is whole, one that ends at 02:15 is not.
    if classify(ends_at - _MOMENT) is WallClock.NONEXISTENT:
        raise _does_not_exist(ends_at, field, end=True)
    if ends_at.fold == 1 and classify(ends_at) is WallClock.AMBIGUOUS:
        raise _second_occurrence(ends_at, field, end=True)
    if to_utc_fold0(ends_at) - to_utc_fold0(starts_at) < ends_at - starts_at:
        # Less real time than clock time: the meeting runs through the missing hour.
        da, en = _when(starts_at)
        raise DomainError(
            f"Samtalen {da} går hen over overgangen til sommertid, hvor klokken 02:00-03:00 ikke "
            "findes. Vælg et andet tidspunkt.",
            f"The meeting at {en} runs through the change to summer time, when 02:00-03:00 does "
            "not exist. Please choose another time.",
            field=field, code="time_does_not_exist")


def to_utc_fold0(moment: datetime) -> datetime:
    """The UTC instant of a stored wall-clock time: a doubled time is its first occurrence."""
    return moment.replace(tzinfo=COPENHAGEN, fold=0).astimezone(UTC)


def meeting_utc(starts_at: datetime, ends_at: datetime) -> tuple[datetime, datetime]:
    """UTC start and end of a stored meeting, exact across both changeover nights (R-7.7).

    The end is the start's instant plus the meeting's length on the clock, so a 30-minute
    meeting at 02:30 on the October night lasts 30 minutes (not 90), and no end comes
    before its start.
    """
    start = to_utc_fold0(starts_at)
    return start, start + (ends_at - starts_at)
