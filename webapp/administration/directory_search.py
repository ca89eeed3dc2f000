"""A look-up by name in the national user directory (R-1.2.1, manual §1.2.1).

The manual: "Planner søger mulige match på navn for vejledere fra alle jobcentre, så der er
risiko for at du opretter en forkert vejleder": the name search only finds the e-mail
address; the caseworker is then fetched by it (`caseworkers.look_up`).
"""

from __future__ import annotations

from webapp.domain.directory import Directory, DirectoryEntry
from webapp.domain.errors import DomainError

NAME_SEARCH_LIMIT = 20


def search_by_name(directory: Directory, text: str) -> list[DirectoryEntry]:
    """R-1.2.1 (manual §1.2.1): a look-up by name, as a way to find the e-mail address. Names
    match caseworkers of every job centre, so the caller shows the warning with the matches
    and the person is then fetched by e-mail, the safe key."""
    words = (text or "").split()
    if sum(len(w) for w in words) < 2:
        raise DomainError.of("name_search_too_short", field="directory_name",
                             code="name_search_too_short")
    found = directory.search_name(" ".join(words), limit=NAME_SEARCH_LIMIT)
    if not found:
        raise DomainError.of("name_search_no_match", field="directory_name",
                             code="name_search_no_match", name=" ".join(words))
    return found
