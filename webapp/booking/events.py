"""The booking-change event: every writer sends it, notifications, receipts and the batch listen (R-3.5)."""

from __future__ import annotations

from blinker import Namespace

signals = Namespace()
#: sent as booking_changed.send(booking, change=..., now=..., actor=..., previous=...)
#: change is one of "created", "confirmed", "moved", "cancelled", "participants".
booking_changed = signals.signal("booking-changed")
