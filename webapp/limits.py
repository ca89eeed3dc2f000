"""Request size caps that hold for chunked bodies too, and a JSON depth cap (R-7.4)."""

from __future__ import annotations

import json
import re
from typing import IO, Any

from flask import Flask, current_app, jsonify, render_template, request
from flask.json.provider import DefaultJSONProvider
from flask.wrappers import Request
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.utils import cached_property
from werkzeug.wsgi import LimitedStream

from webapp.domain.errors import DomainError
from webapp.messages import texts

# The API and the inbound endpoint take small JSON messages; everything else is a form.
SMALL_BODY_PREFIXES = ("/api/", "/integration/")
JSON_PREFIXES = SMALL_BODY_PREFIXES

# A string (with its escapes) or one bracket: brackets inside strings do not nest.
_JSON_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]', re.S)


class JsonTooDeep(DomainError):
    """Not a ValueError on purpose: `get_json(silent=True)` must not swallow it into None."""

    code = "json_too_deep"


def json_depth_error(limit: int) -> JsonTooDeep:
    return JsonTooDeep.of("json_too_deep", limit=limit)


def json_depth_limit(app: Flask | None = None) -> int:
    """PLANNER_MAX_JSON_DEPTH of `app`, else of the running app."""
    return int((app or current_app).config["PLANNER_MAX_JSON_DEPTH"])


def check_json_depth(text: str | bytes, limit: int) -> None:
    """Raise JsonTooDeep if arrays and objects nest deeper than `limit`, before any parsing.

    Python's parser recurses once per level, so 100,000 levels end in a RecursionError (a 500).
    """
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    if text.count("[") + text.count("{") <= limit:
        return
    depth = 0
    for token in _JSON_TOKEN.finditer(text):
        bracket = token.group()
        if bracket in "[{":
            depth += 1
            if depth > limit:
                raise json_depth_error(limit)
        elif bracket in "]}":
            depth -= 1


class DepthLimitedJSONProvider(DefaultJSONProvider):
    """`request.get_json()` refuses JSON nested deeper than PLANNER_MAX_JSON_DEPTH."""

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        # Its own app's setting: it also parses outside a request (a test client's answers).
        check_json_depth(s, json_depth_limit(self._app))
        return json.loads(s, **kwargs)


class _StrictMaxStream(LimitedStream):
    """A chunked body read to the cap. Werkzeug's LimitedStream refuses a read past its maximum
    but `readall()` (behind `get_data()` and form parsing) stops quietly at it and hands on the
    body cut short; this one looks one byte further and refuses instead."""

    def __init__(self, stream: IO[bytes], limit: int) -> None:
        super().__init__(stream, limit, is_max=True)
        self._source = stream

    def readall(self) -> bytes:
        data = super().readall()
        if self.is_exhausted and self._source.read(1):
            raise RequestEntityTooLarge()
        return data


class CappedRequest(Request):
    """The app-wide MAX_CONTENT_LENGTH, narrowed to PLANNER_MAX_API_REQUEST_BYTES under /api and
    /integration. Werkzeug applies the cap to what is read, so it holds for chunked bodies too."""

    @property  # type: ignore[override]
    def max_content_length(self) -> int | None:
        limit = Request.max_content_length.fget(self)  # type: ignore[attr-defined]
        if self._max_content_length is None and current_app and self.path.startswith(SMALL_BODY_PREFIXES):
            small = int(current_app.config["PLANNER_MAX_API_REQUEST_BYTES"])
            limit = small if limit is None else min(limit, small)
        return limit

    @max_content_length.setter
    def max_content_length(self, value: int | None) -> None:
        self._max_content_length = value

    @cached_property
    def stream(self) -> IO[bytes]:
        limit = self.max_content_length
        if limit is not None and self.content_length is None and "wsgi.input_terminated" in self.environ:
            return _StrictMaxStream(self.environ["wsgi.input"], limit)
        return Request.stream.fget(self)  # type: ignore[attr-defined]


def too_large_body() -> dict[str, Any]:
    text = texts("too_large", kib=(request.max_content_length or 0) // 1024)
    return {"code": "too_large", "field": None, "message_da": text.da, "message_en": text.en}


def too_large(error: RequestEntityTooLarge):  # type: ignore[no-untyped-def]
    """413 as JSON in both languages for the API and the inbound endpoint, a Danish page elsewhere."""
    if request.path.startswith(JSON_PREFIXES):
        return jsonify(too_large_body()), 413
    return render_template("errors/413.html", limit_kib=(request.max_content_length or 0) // 1024), 413


def refuse_declared_oversize() -> None:
    """A body whose Content-Length is over the cap is refused before authentication or reading."""
    limit = request.max_content_length
    if limit is not None and request.content_length is not None and request.content_length > limit:
        raise RequestEntityTooLarge()


def init_limits(app: Flask) -> None:
    app.request_class = CappedRequest
    app.json = DepthLimitedJSONProvider(app)
    # Flask's own settings enforce the caps: the whole body, and a form's text fields in memory.
    if app.config.get("MAX_CONTENT_LENGTH") is None:
        app.config["MAX_CONTENT_LENGTH"] = int(app.config["PLANNER_MAX_REQUEST_BYTES"])
    app.config["MAX_FORM_MEMORY_SIZE"] = int(app.config["PLANNER_MAX_FORM_BYTES"])
    app.register_error_handler(RequestEntityTooLarge, too_large)
    # First of all before-request functions, so nothing reads a body that is over the cap.
    app.before_request_funcs.setdefault(None, []).insert(0, refuse_declared_oversize)
