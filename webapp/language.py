"""The user's language, chosen in one place: pages, forms, errors and Babel all ask here."""

from __future__ import annotations

from flask import has_request_context, session
from flask_babel import get_locale

from webapp.domain.errors import DomainError

LANGUAGES = ("da", "en")
DEFAULT = "da"


def supported(code: object) -> str | None:
    """`code` if it names a language we speak, else None."""
    return code if isinstance(code, str) and code in LANGUAGES else None


def chosen_language() -> str | None:
    """The language the user chose in this session (the switch, or their profile at login)."""
    return supported(session.get("lang")) if has_request_context() else None


def choose_language(code: object) -> None:
    """Keep `code` as the session's language if we speak it."""
    if supported(code):
        session["lang"] = code


def select_locale() -> str:
    """Babel's locale selector: the language chosen in the session, else Danish."""
    return chosen_language() or DEFAULT


def current_language() -> str:
    """"da" or "en": the language text is rendered in now.

    Babel's locale, so it follows the session's choice (`select_locale`) and a `force_locale`.
    """
    locale = get_locale()
    return "en" if locale is not None and locale.language == "en" else DEFAULT


def error_text(error: DomainError) -> str:
    """The message of a domain error in the user's language."""
    return error.message(current_language())
