"""The optimiser's unplaced reasons, rendered from code and parameters in Danish and English (R-3.4)."""

from __future__ import annotations

import pytest

from optimizer.model import REASON_PARAMS, Reason, ReasonCode
from webapp.planning.reasons import REASON_LABELS_DA, REASON_TEXTS, reason_text

NAMES = {"cw1": "Alma Andersen", "cw2": "Bo Berg", "room7": "Mødelokale 1", "team3": "Unge"}
# One example value per parameter name of REASON_PARAMS.
EXAMPLE = {
    "earliest_date": "2027-03-02", "deadline_date": "2027-03-09", "start_date": "2027-03-01",
    "end_date": "2027-04-09", "caseworkers": ["cw1", "cw2"], "rooms": ["room7"], "minutes": 45,
    "common": True, "participants": 3, "citizens": ["z1"],
}


def _example(code: ReasonCode) -> Reason:
    params = {name: EXAMPLE[name] for name in REASON_PARAMS[code]}
    if code == ReasonCode.ROOM_TOO_SMALL:
        params["rooms"] = [{"id": "room7", "seats": 2}]
    return Reason(code, params)


def test_r_3_4_every_code_the_optimiser_can_give_has_both_languages_and_a_label() -> None:
    """The codes come from the optimiser's own list: a new code without a sentence fails here."""
    assert set(REASON_TEXTS) == set(ReasonCode) == set(REASON_PARAMS)
    assert set(ReasonCode) <= set(REASON_LABELS_DA)


@pytest.mark.parametrize("code", list(ReasonCode))
@pytest.mark.parametrize("language", ["da", "en"])
def test_r_3_4_every_code_renders_with_names_and_dates(code: ReasonCode, language: str) -> None:
    text = reason_text(_example(code), NAMES, language)
    assert "{" not in text and "cw1" not in text and "room7" not in text and "z1" not in text
    assert "2027-03" not in text
    assert (".2027" in text) == ("earliest_date" in REASON_PARAMS[code])
    assert text[0].isupper() and text.endswith(".")


def _window(earliest: str, deadline: str) -> dict[str, str]:
    return {"earliest_date": earliest, "deadline_date": deadline}


@pytest.mark.parametrize(("reason", "danish", "english"), [
    (Reason(ReasonCode.NO_FREE_TIME, {"caseworkers": ["cw1", "cw2"], "minutes": 105, "common": True,
                                      **_window("2027-03-02", "2027-03-09")}),
     "Ingen fælles ledig tid på 105 minutter for Alma Andersen, Bo Berg mellem 02.03.2027 og 09.03.2027.",
     "No common free time of 105 minutes for Alma Andersen, Bo Berg between 02.03.2027 and 09.03.2027."),
    (Reason(ReasonCode.NO_FREE_TIME, {"caseworkers": ["cw2"], "minutes": 40, "common": False,
                                      **_window("2027-03-02", "2027-03-15")}),
     "Ingen ledig tid på 40 minutter for Bo Berg mellem 02.03.2027 og 15.03.2027.",
     "No free time of 40 minutes for Bo Berg between 02.03.2027 and 15.03.2027."),
    (Reason(ReasonCode.ROOM_TOO_SMALL, {"rooms": [{"id": "room7", "seats": 2}], "participants": 3}),
     "Lokalet er for lille: Mødelokale 1 har 2 pladser, men der er 3 deltagere.",
     "The room is too small: Mødelokale 1 has 2 seats, but there are 3 participants."),
    (Reason(ReasonCode.ROOM_BUSY, {"rooms": ["room7"], "caseworkers": ["cw1"],
                                   **_window("2027-03-02", "2027-03-03")}),
     "Lokalet Mødelokale 1 er optaget, når Alma Andersen kan holde samtalen "
     "mellem 02.03.2027 og 03.03.2027.",
     "Room Mødelokale 1 is busy when Alma Andersen can meet between 02.03.2027 and 03.03.2027."),
    (Reason(ReasonCode.TAKEN, {"caseworkers": ["cw1"], "rooms": ["room7"],
                               **_window("2027-03-02", "2027-03-03")}),
     "Al ledig tid for Alma Andersen og lokalet Mødelokale 1 mellem 02.03.2027 og 03.03.2027 "
     "er optaget af andre samtaler.",
     "All free time of Alma Andersen and room Mødelokale 1 between 02.03.2027 and 03.03.2027 "
     "is taken by other meetings."),
    (Reason(ReasonCode.TAKEN, {"caseworkers": ["cw1"], "rooms": [], **_window("2027-03-02", "2027-03-03")}),
     "Al ledig tid for Alma Andersen mellem 02.03.2027 og 03.03.2027 er optaget af andre samtaler.",
     "All free time of Alma Andersen between 02.03.2027 and 03.03.2027 is taken by other meetings."),
    (Reason(ReasonCode.CLOSED, _window("2027-03-03", "2027-03-03")),
     "Der er lukket alle dage mellem 03.03.2027 og 03.03.2027.",
     "Closed on every day between 03.03.2027 and 03.03.2027."),
    (Reason(ReasonCode.WINDOW, _window("2027-03-10", "2027-03-09")),
     "Tidligste samtaledato 10.03.2027 ligger efter fristen 09.03.2027.",
     "The earliest date 10.03.2027 is after the deadline 09.03.2027."),
    (Reason(ReasonCode.OUTSIDE_PERIOD, {**_window("2027-05-01", "2027-05-09"), "start_date": "2027-03-02",
                                        "end_date": "2027-04-12"}),
     "Perioden 01.05.2027–09.05.2027 ligger uden for planlægningsperioden 02.03.2027–12.04.2027.",
     "The period 01.05.2027–09.05.2027 lies outside the planning period 02.03.2027–12.04.2027."),
])
def test_r_3_4_reasons_in_danish_and_english(reason: Reason, danish: str, english: str) -> None:
    """R-3.4: names instead of exchange ids, dates as dd.mm.yyyy; no text is parsed."""
    assert reason_text(reason, NAMES) == danish
    assert reason_text(reason, NAMES, "en") == english
