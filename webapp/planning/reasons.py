"""Why a call-in stays waiting, in words a caseworker understands: the optimiser's codes rendered (R-3.4)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from optimizer.model import Reason, ReasonCode
from webapp.messages import Text

# Words for the summary and the system log, one per reason code: the optimiser's codes and
# the planner's own (call-ins it never sends, or that lose their time while publishing).
REASON_LABELS_DA: dict[str, str] = {
    "no_free_time": "ingen ledig tid",
    "taken": "den ledige tid er optaget af andre samtaler",
    "room_busy": "lokalet er optaget",
    "room_too_small": "lokalet er for lille",
    "closed": "lukket alle dage",
    "outside_period": "uden for planlægningsperioden",
    "window": "tidligste dato efter fristen",
    "deadline_passed": "fristen er overskredet",
    "later": "planlægges i en senere kørsel",
    "taken_meanwhile": "tiden blev taget under kørslen",
    "citizen_busy": "borgeren har allerede en samtale på det tidspunkt",
    "no_caseworker": "ingen sagsbehandler kan modtage indkaldelsen",
    "room_not_for_callins": "lokalet kan ikke bruges til indkaldelser",
    "other": "anden årsag",
}

# One sentence per optimiser reason code. The {fields} are the reason's parameters as `_fields`
# words them: names instead of exchange ids, dates as dd.mm.yyyy.
REASON_TEXTS: dict[ReasonCode, Text] = {
    ReasonCode.WINDOW: Text(
        "Tidligste samtaledato {earliest_date} ligger efter fristen {deadline_date}.",
        "The earliest date {earliest_date} is after the deadline {deadline_date}."),
    ReasonCode.OUTSIDE_PERIOD: Text(
        "Perioden {earliest_date}–{deadline_date} ligger uden for "
        "planlægningsperioden {start_date}–{end_date}.",
        "The period {earliest_date}–{deadline_date} lies outside the planning period "
        "{start_date}–{end_date}."),
    ReasonCode.CLOSED: Text(
        "Der er lukket alle dage mellem {earliest_date} og {deadline_date}.",
        "Closed on every day between {earliest_date} and {deadline_date}."),
    ReasonCode.ROOM_TOO_SMALL: Text(
        "Lokalet er for lille: {seats}, men der er {participants} deltagere.",
        "The room is too small: {seats}, but there are {participants} participants."),
    ReasonCode.NO_FREE_TIME: Text(
        "Ingen {common}ledig tid på {minutes} minutter for {caseworkers} "
        "mellem {earliest_date} og {deadline_date}.",
        "No {common}free time of {minutes} minutes for {caseworkers} "
        "between {earliest_date} and {deadline_date}."),
    ReasonCode.ROOM_BUSY: Text(
        "Lokalet {rooms} er optaget, når {caseworkers} kan holde samtalen "
        "mellem {earliest_date} og {deadline_date}.",
        "Room {rooms} is busy when {caseworkers} can meet between {earliest_date} and {deadline_date}."),
    ReasonCode.TAKEN: Text(
        "Al ledig tid for {caseworkers}{and_rooms} mellem {earliest_date} og {deadline_date} "
        "er optaget af andre samtaler.",
        "All free time of {caseworkers}{and_rooms} between {earliest_date} and {deadline_date} "
        "is taken by other meetings."),
    ReasonCode.CITIZEN_BUSY: Text(
        "Borgeren har andre samtaler, hver gang {caseworkers}{and_rooms} kan holde samtalen "
        "mellem {earliest_date} og {deadline_date}.",
        "The citizen has other meetings whenever {caseworkers}{and_rooms} can meet "
        "between {earliest_date} and {deadline_date}."),
}
# The words inside those sentences that change with the language.
_WORDS: dict[str, dict[str, str]] = {
    "da": {"common": "fælles ", "seats": "{room} har {seats} pladser", "and_rooms": " og lokalet {rooms}"},
    "en": {"common": "common ", "seats": "{room} has {seats} seats", "and_rooms": " and room {rooms}"},
}


def reason_text(reason: Reason, names: Mapping[str, str] | None = None, language: str = "da") -> str:
    """The sentence for one of the optimiser's unplaced reasons, in Danish (or English for "en").

    The optimiser gives a code and its parameters with exchange ids (cw12, room3); the
    caseworker reads names (`names`: exchange id -> name) and dates as dd.mm.yyyy."""
    language = "en" if language == "en" else "da"
    text = REASON_TEXTS[reason.code]
    template = text.en if language == "en" else text.da
    return template.format(**_fields(reason, names or {}, _WORDS[language]))


def _fields(reason: Reason, names: Mapping[str, str], words: Mapping[str, str]) -> dict[str, object]:
    params = reason.params

    def named(ids: list[str]) -> str:
        return ", ".join(names.get(ident, ident) for ident in ids)

    fields: dict[str, object] = {key: params[key] for key in ("minutes", "participants") if key in params}
    fields |= {key: _date(value) for key, value in params.items() if key.endswith("_date")}
    fields["caseworkers"] = named(params.get("caseworkers", []))
    fields["common"] = words["common"] if params.get("common") else ""
    rooms = params.get("rooms", [])
    if reason.code == ReasonCode.ROOM_TOO_SMALL:
        fields["seats"] = ", ".join(words["seats"].format(room=names.get(r["id"], r["id"]), seats=r["seats"])
                                    for r in rooms)
    else:
        fields["rooms"] = named(rooms)
        fields["and_rooms"] = words["and_rooms"].format(rooms=named(rooms)) if rooms else ""
    return fields


def _date(iso: str) -> str:
    return date.fromisoformat(iso).strftime("%d.%m.%Y")
