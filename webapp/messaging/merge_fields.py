"""The merge fields a letter template may use, the check that refuses others, and a preview (R-8.4).

The letter's context is built in `letters.letter_context` (and `render_withdrawal`); this module
names what of it a template may read, so the admin form can list the fields beside the text and
refuse a misspelt one on save, instead of the letter silently printing nothing in its place.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from types import SimpleNamespace

from babel.dates import format_datetime
from jinja2 import meta, nodes
from jinja2.sandbox import SandboxedEnvironment

from webapp.domain.errors import DomainError
from webapp.messages import Text

# (field, what it is), in the order the admin form lists them.
MERGE_FIELDS: tuple[tuple[str, Text], ...] = (
    ("citizen.name", Text("Borgerens navn", "The citizen's name")),
    ("booking.starts_at", Text("Samtalens tidspunkt, fx »mandag den 1. marts 2027 kl. 10.00«",
                               "The meeting's time, e.g. \"mandag den 1. marts 2027 kl. 10.00\"")),
    ("booking.ends_at", Text("Samtalens sluttidspunkt", "The meeting's end")),
    ("booking.duration_minutes", Text("Samtalens varighed i minutter", "The meeting's length in minutes")),
    ("booking.id", Text("Samtalens nummer", "The meeting's number")),
    ("booking.description", Text("Samtalens beskrivelse", "The meeting's description")),
    ("previous_starts_at", Text("Det tidligere tidspunkt (når samtalen er flyttet)",
                                "The earlier time (when the meeting was moved)")),
    ("conversation_type", Text("Samtaletypen", "The conversation type")),
    ("variant", Text("Samtaletypevarianten", "The conversation type variant")),
    ("holding_form", Text("Afholdelsesformen", "The holding form")),
    ("address", Text("Mødestedets adresse", "The meeting place's address")),
    ("room.name", Text("Mødelokalet", "The meeting room")),
    ("caseworkers", Text("Vejlederne", "The caseworkers")),
    ("team.name", Text("Teamets navn", "The team's name")),
    ("team.email", Text("Teamets e-mail", "The team's e-mail")),
    ("team.phone", Text("Teamets telefon", "The team's phone")),
    ("cancel_reason", Text("Begrundelsen for aflysningen", "The reason for the cancellation")),
    ("letter_text", Text("Indkaldelsesskabelonens tekst til brevet", "The call-in template's text for the letter")),
    ("letter_date", Text("Brevets dato", "The letter's date")),
    ("withdrawn", Text("Sand, når en indkaldelse er trukket tilbage (til {% if withdrawn %})",
                       "True when a call-in was withdrawn (for {% if withdrawn %})")),
)

# What a template may read: the context's names, and of its objects these attributes.
ATTRIBUTES: dict[str, frozenset[str]] = {
    "citizen": frozenset({"name"}),
    "booking": frozenset({"id", "starts_at", "ends_at", "duration_minutes", "description"}),
    "callin": frozenset({"id", "duration_minutes", "description"}),
    "team": frozenset({"name", "email", "phone", "address", "postal_code", "city"}),
    "room": frozenset({"name", "address", "postal_code", "city"}),
}
NAMES = frozenset({field.split(".")[0] for field, _text in MERGE_FIELDS} | set(ATTRIBUTES)
                  | {"activity", "sender_address", "citizen_address"})


def unknown_fields(source: str) -> list[str]:
    """The merge fields `source` reads that a letter does not have, in the order written.

    `source` must parse (the caller checks the syntax first); names the template sets itself
    (`{% set %}`, a loop's variable) are its own.
    """
    tree = SandboxedEnvironment().parse(source or "")
    found: list[str] = []
    undeclared = meta.find_undeclared_variables(tree)
    for node in tree.find_all(nodes.Name):
        if node.ctx == "load" and node.name in undeclared and node.name not in NAMES:
            found.append(node.name)
    for node in tree.find_all(nodes.Getattr):
        if isinstance(node.node, nodes.Name) and node.node.name in ATTRIBUTES \
                and node.attr not in ATTRIBUTES[node.node.name]:
            found.append(f"{node.node.name}.{node.attr}")
    return list(dict.fromkeys(found))


def check_merge_fields(source: str, *, field: str) -> None:
    """Refuse a template that reads a merge field letters do not have (R-8.4)."""
    unknown = unknown_fields(source)
    if unknown:
        raise DomainError.of("letter_unknown_field", field=field, code="letter_unknown_field",
                             name=unknown[0])


def sample_context(team: object | None, *, now: datetime) -> dict[str, object]:
    """Made-up data for a preview: no real citizen's name or meeting is shown."""
    from webapp.messaging.letters import danish_datetime

    starts = (now + timedelta(days=7)).replace(hour=10, minute=0, second=0, microsecond=0)
    starts += timedelta(days=(7 - starts.weekday()) % 7 if starts.weekday() >= 5 else 0)  # a working day
    sample_team = team if team is not None else SimpleNamespace(
        name="Jobparate", email="jobparate@jobcenter.dk", phone="87 13 00 00", address="Værkmestergade 2B",
        postal_code="8000", city="Aarhus C")
    booking = SimpleNamespace(id=1234, starts_at=danish_datetime(starts),
                              ends_at=danish_datetime(starts + timedelta(minutes=45)),
                              duration_minutes=45, description="Opfølgning på jobplan")
    return {
        "citizen": SimpleNamespace(name="Jens Eksempel Hansen"), "booking": booking,
        "callin": booking, "address": "Værkmestergade 2B, 8000 Aarhus C", "team": sample_team,
        "room": SimpleNamespace(name="Mødelokale 1", address="Værkmestergade 2B", postal_code="8000",
                                city="Aarhus C"),
        "conversation_type": "Jobsamtale", "variant": "Første samtale", "holding_form": "Fremmøde",
        "caseworkers": "Anna Holm", "activity": "call_in", "cancel_reason": "",
        "withdrawn": False, "letter_text": "Medbring dit CV.",
        "letter_date": format_datetime(now, "d. MMMM y", locale="da"),
        "sender_address": "Værkmestergade 2B, 8000 Aarhus C", "citizen_address": "Eksempelvej 1, 8000 Aarhus C",
        "previous_starts_at": danish_datetime(starts - timedelta(days=2)),
    }

