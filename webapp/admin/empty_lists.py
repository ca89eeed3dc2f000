"""What an empty admin list says instead of "There are no items in the table." (R-8.4).

By the view's endpoint: a sentence on what belongs in the list and, where the list is made by
hand, the words of the link to the form that makes the first row.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l


@dataclass(frozen=True)
class EmptyList:
    text: object
    create_text: object | None = None


EMPTY_LISTS: dict[str, EmptyList] = {
    "caseworker": EmptyList(_l("No caseworkers yet."), _l("Create the first caseworker.")),
    "absence": EmptyList(_l("No absence registered."), _l("Register an absence.")),
    "competence": EmptyList(_l("No competences yet."), _l("Create the first competence.")),
    "team": EmptyList(_l("No teams yet."), _l("Create the first team.")),
    "localclosureday": EmptyList(_l("No local closure days yet."), _l("Create the first local closure day.")),
    "room": EmptyList(_l("No meeting rooms yet."), _l("Create the first meeting room.")),
    "callintemplate": EmptyList(_l("No call-in templates yet."), _l("Create the first call-in template.")),
    "conversationtype": EmptyList(_l("No conversation types yet."), _l("Create the first conversation type.")),
    "variant": EmptyList(_l("No conversation type variants yet."), _l("Create the first variant.")),
    "lettertemplate": EmptyList(_l("No letter templates yet."), _l("Create the first letter template.")),
    "audit": EmptyList(_l("The audit trail has no entries yet.")),
    "systemlog": EmptyList(_l("The system log is empty.")),
    "inbound": EmptyList(_l("No inbound messages yet.")),
    "offer": EmptyList(_l("No online offers yet."), _l("Create the first online offer.")),
    "callin": EmptyList(_l("No citizen is waiting to be called in.")),
    "booking": EmptyList(_l("No meetings booked yet.")),
    "deadline": EmptyList(_l("No self-booking deadlines.")),
    "outbox": EmptyList(_l("The outbox is empty.")),
    "citizen": EmptyList(_l("No citizens yet: they come with call-ins and self-booking.")),
    "jobcentre": EmptyList(_l("No job centres yet."), _l("Create the first job centre.")),
    "nationalclosureday": EmptyList(_l("No national closure days yet."),
                                    _l("Create the first national closure day.")),
    "user": EmptyList(_l("No users yet."), _l("Create the first user.")),
    "holdingform": EmptyList(_l("No holding forms yet."), _l("Create the first holding form.")),
    "contactgroup": EmptyList(_l("No contact groups yet."), _l("Create the first contact group.")),
}

# A list a search or a filter has emptied: its rows exist, the choice matches none.
NO_MATCH = EmptyList(_l("Nothing matches the search or the filters."))
# A view added later without its own sentence.
DEFAULT = EmptyList(_l("Nothing here yet."), _l("Create the first one."))


def empty_list(endpoint: str, *, narrowed: bool = False) -> EmptyList:
    """The words of an empty list of the view `endpoint`; `narrowed` when a search or filter applies."""
    return NO_MATCH if narrowed else EMPTY_LISTS.get(endpoint, DEFAULT)
