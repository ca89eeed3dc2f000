"""Domain errors carry a Danish and an English message and a stable code."""

from __future__ import annotations

from typing import Self

from webapp.messages import texts


class DomainError(Exception):
    """A rule was broken by the input; nothing was changed.

    Views show `message_da` on the form field named by `field` (or as a flash);
    the API answers 4xx with `code` and both messages.
    """

    code = "invalid"
    http_status = 400

    def __init__(self, message_da: str, message_en: str, *, field: str | None = None,
                 code: str | None = None) -> None:
        super().__init__(message_en)
        self.message_da = message_da
        self.message_en = message_en
        self.field = field
        if code is not None:
            self.code = code

    @classmethod
    def of(cls, message: str, *, field: str | None = None, code: str | None = None,
           **params: object) -> Self:
        """The error with the catalogue's texts of `message` (webapp/messages.py)."""
        text = texts(message, **params)
        return cls(text.da, text.en, field=field, code=code)

    def message(self, language: str) -> str:
        """The message in `language`: English for "en", else Danish."""
        return self.message_en if language == "en" else self.message_da

    def as_dict(self) -> dict[str, str | None]:
        return {"code": self.code, "message_da": self.message_da,
                "message_en": self.message_en, "field": self.field}


class NotFound(DomainError):
    code = "not_found"
    http_status = 404


class Conflict(DomainError):
    """The thing asked for is taken or clashes (a lost race, an overlap)."""

    code = "conflict"
    http_status = 409
