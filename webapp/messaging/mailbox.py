"""A development mailbox: a local SMTP catcher that keeps each message as a file, and the
reader the mail viewer shows them with (issue 19: `make run` shows letters and invitations).

Only `flask dev` starts the catcher, on 127.0.0.1; production refuses a mailbox (R-7.1).
Messages are `.eml` files named `<UTC time>-<counter>.eml`, newest first in the viewer.
"""

from __future__ import annotations

import itertools
import os
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

NAME = re.compile(r"\A\d{8}T\d{6}\d{6}-\d{1,9}\.eml\Z")
LISTED = 200  # the viewer lists the newest messages only
_counter = itertools.count(1)
TZ = ZoneInfo("Europe/Copenhagen")


@dataclass(frozen=True)
class Attachment:
    index: int
    filename: str
    content_type: str
    size: int


@dataclass(frozen=True)
class StoredMessage:
    name: str
    subject: str
    sender: str
    recipients: str
    date: str
    text: str = ""
    attachments: list[Attachment] = field(default_factory=list)


class MailboxHandler:
    """aiosmtpd handler: writes every message it accepts into `directory`."""

    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 (aiosmtpd's name)
        store(self.directory, envelope.original_content or envelope.content)
        return "250 Message accepted for delivery"


def store(directory: Path, content: bytes) -> Path:
    """Write one message atomically (a reader never sees half a file)."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")
    path = Path(directory) / f"{stamp}-{next(_counter)}.eml"
    partial = path.with_suffix(".part")
    partial.write_bytes(content)
    os.replace(partial, path)
    return path


def start_catcher(directory: Path, *, port: int = 8025) -> Any:
    """An SMTP server on 127.0.0.1 that keeps what it receives in `directory`; call `.stop()`."""
    from aiosmtpd.controller import Controller

    controller = Controller(MailboxHandler(directory), hostname="127.0.0.1", port=port)
    controller.start()
    return controller


def _parse(path: Path) -> EmailMessage:
    return message_from_bytes(path.read_bytes(), policy=policy.default)  # type: ignore[return-value]


def _path(directory: Path, name: str) -> Path | None:
    """The message's file, or None for a name that is not one of ours (no path tricks)."""
    if not NAME.match(name):
        return None
    path = Path(directory) / name
    return path if path.is_file() else None


def _attachments(message: EmailMessage) -> list[Attachment]:
    return [Attachment(index, part.get_filename() or f"del-{index}", part.get_content_type(),
                       len(part.get_payload(decode=True) or b""))
            for index, part in enumerate(message.iter_attachments())]


def _local_date(header: Any) -> str:
    try:
        return parsedate_to_datetime(str(header)).astimezone(TZ).strftime("%d.%m.%Y %H:%M:%S")
    except (TypeError, ValueError):
        return str(header or "")


def _summary(path: Path, message: EmailMessage, *, body: bool) -> StoredMessage:
    text = ""
    if body:
        part = message.get_body(preferencelist=("plain", "html"))
        text = part.get_content() if part is not None else ""
    return StoredMessage(name=path.name, subject=str(message.get("Subject", "")),
                         sender=str(message.get("From", "")), recipients=str(message.get("To", "")),
                         date=_local_date(message.get("Date")), text=text,
                         attachments=_attachments(message))


def messages(directory: Path) -> list[StoredMessage]:
    """The newest messages first, without their bodies."""
    if not Path(directory).is_dir():
        return []
    names = sorted((p.name for p in Path(directory).iterdir() if NAME.match(p.name)), reverse=True)
    return [_summary(path, _parse(path), body=False)
            for path in (Path(directory) / name for name in names[:LISTED])]


def message(directory: Path, name: str) -> StoredMessage | None:
    path = _path(directory, name)
    return None if path is None else _summary(path, _parse(path), body=True)


def attachment(directory: Path, name: str, index: int) -> tuple[Attachment, bytes] | None:
    path = _path(directory, name)
    if path is None:
        return None
    parts = list(_parse(path).iter_attachments())
    if not 0 <= index < len(parts):
        return None
    part = parts[index]
    content = part.get_payload(decode=True) or b""
    return Attachment(index, part.get_filename() or f"del-{index}", part.get_content_type(),
                      len(content)), content
