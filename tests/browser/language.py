"""R-8.3: the Danish pages of the browser walks show no English dates and no raw stored values.

`assert_danish(page)` reads the page's visible text and fails on English weekday or month names,
on raw enum values (the strings the database stores, `call_in`, `letter`), on model class names
(`LetterTemplate`) and on raw JSON. `screenshot` calls it for every page a walk shows; a walk may
call it after any other navigation too.
"""

from __future__ import annotations

import enum
import re

from webapp import models
from webapp.models import enums
from webapp.models.base import Model

# English weekday and month names, whole words and as written in English (capitalised). Month
# names Danish writes the same way (april, august, september, november, december; "jan", "mar"
# and the other Danish abbreviations) are left out: a Danish heading may capitalise them.
ENGLISH_DATE_WORDS = frozenset({
    "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday",
    "Mon", "Tue", "Tues", "Wed", "Thu", "Thur", "Thurs", "Fri", "Sat", "Sun",
    "January", "February", "March", "May", "June", "July", "October", "Oct",
})

# The kinds of e-mail the outbox queues: stored strings, not an Enum class.
OUTBOX_KINDS = frozenset({"letter", "invitation", "password_link", "citizen_booked",
                          "citizen_rebooked", "citizen_cancelled", "citizen_reminder",
                          "offer_out_of_slots"})
# The outcomes of inbound messages from the case system (`callins.inbound.Outcome.code`).
INBOUND_OUTCOMES = frozenset({"created", "moved", "rejected", "ignored_unknown_appointment",
                              "ignored_unknown_caseworker"})

# Raw values that are also ordinary Danish words, or a word the Danish screens rightly show.
ALLOWED_RAW = frozenset({
    "sent",  # Danish "for sent" (late)
    "info",  # Danish "info" (short for information)
})


def _enum_values() -> frozenset[str]:
    values: set[str] = set()
    for obj in vars(enums).values():
        if isinstance(obj, type) and issubclass(obj, enum.Enum) and obj.__module__ == enums.__name__:
            values.update(str(member.value) for member in obj)
    return frozenset((values | OUTBOX_KINDS | INBOUND_OUTCOMES) - ALLOWED_RAW)


def _class_names() -> frozenset[str]:
    """The models' names with two or more capitals (`LetterTemplate`); `Team` is Danish too."""
    return frozenset(name for name, obj in vars(models).items()
                     if isinstance(obj, type) and issubclass(obj, Model) and obj is not Model
                     and len(re.findall(r"[A-Z]", name)) >= 2)


RAW_VALUES = _enum_values()
CLASS_NAMES = _class_names()


def _words(words: frozenset[str]) -> re.Pattern[str]:
    alternatives = "|".join(sorted((re.escape(w) for w in words), key=len, reverse=True))
    # Not part of a longer word, an e-mail address, a file name or a user name.
    return re.compile(rf"(?<![\w.@/-])({alternatives})(?![\w@/-]|\.\w)")


_DATE_WORDS = _words(ENGLISH_DATE_WORDS)
_RAW = _words(RAW_VALUES | CLASS_NAMES)
_JSON = re.compile(r"[{,]\s*\"[A-Za-z_]+\"\s*:")


def english_or_raw(text: str, allow: frozenset[str] | set[str] = frozenset()) -> list[str]:
    """What in `text` is English or a raw stored value, each with a little of its line."""
    found: list[str] = []
    for pattern, what in ((_DATE_WORDS, "English date word"), (_RAW, "raw value"),
                          (_JSON, "raw JSON")):
        for match in pattern.finditer(text):
            word = match.group(0)
            if word in allow:
                continue
            start, end = max(0, match.start() - 30), min(len(text), match.end() + 30)
            context = text[start:end].replace("\n", " ⏎ ")
            found.append(f"{what} {word!r} in …{context}…")
    return found


def assert_danish(page, *, allow: frozenset[str] | set[str] = frozenset()) -> None:  # type: ignore[no-untyped-def]
    """R-8.3: fail when the page's visible text has English date words or raw values."""
    text = page.inner_text("body")
    found = english_or_raw(text, allow)
    assert not found, f"R-8.3: not Danish on {page.url}:\n" + "\n".join(found)
