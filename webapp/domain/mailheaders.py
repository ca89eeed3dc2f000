"""Text that becomes an e-mail header: no line breaks or control characters (R-7.5)."""

from __future__ import annotations

import unicodedata

from webapp.domain.errors import DomainError

# Control characters (CR, LF, TAB, NUL, ESC, NEL …) and the Unicode line and paragraph
# separators: any of them can end a header line in some mail program and start a new header.
_BREAKING = ("Cc", "Zl", "Zp")


def has_control_characters(text: str) -> bool:
    return any(unicodedata.category(ch) in _BREAKING for ch in text)


def check_header_text(text: str, *, field: str, label_da: str, label_en: str) -> str:
    """`text` unchanged, or a DomainError naming the field when it holds a line break or control character."""
    if has_control_characters(text or ""):
        raise DomainError(f"{label_da} må ikke indeholde linjeskift eller styretegn.",
                          f"{label_en} may not contain line breaks or control characters.",
                          field=field, code="header_control_characters")
    return text


def clean_header_text(text: str) -> str:
    """One line: every run of line breaks and control characters becomes one space."""
    parts: list[str] = []
    for ch in text or "":
        if unicodedata.category(ch) not in _BREAKING:
            parts.append(ch)
        elif not parts or parts[-1] != " ":
            parts.append(" ")
    return "".join(parts).strip()
