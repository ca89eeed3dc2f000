"""Loading national reference data: types, forms, groups, closure days (R-1.3.1, R-1.6)."""

from __future__ import annotations

from sqlalchemy import select

from webapp.administration.reference_data import CONTACT_GROUPS, CONVERSATION_TYPES, HOLDING_FORMS
from webapp.domain.closure_days import national_closure_days
from webapp.extensions import db
from webapp.models import ContactGroup, ConversationType, HoldingForm, NationalClosureDay


def seed_reference_data() -> int:
    """Insert the missing central rows; existing rows are left as they are. Returns added."""
    added = 0
    known_types = set(db.session.scalars(select(ConversationType.code)))
    for ref in CONVERSATION_TYPES:
        if ref.code not in known_types:
            db.session.add(ConversationType(code=ref.code, name=ref.name_da))
            added += 1
    for model, refs in ((HoldingForm, HOLDING_FORMS), (ContactGroup, CONTACT_GROUPS)):
        known = set(db.session.scalars(select(model.code)))
        for ref in refs:
            if ref.code not in known:
                db.session.add(model(code=ref.code, name=ref.name_da))
                added += 1
    db.session.flush()
    return added


def seed_national_closure_days(first_year: int, last_year: int,
                               include_may_first: bool = False) -> list[NationalClosureDay]:
    """Add the national closure days of the years that are not there yet (idempotent)."""
    existing = set(db.session.scalars(select(NationalClosureDay.day)))
    added = []
    for day, name in national_closure_days(first_year, last_year, include_may_first):
        if day not in existing:
            row = NationalClosureDay(day=day, name=name)
            db.session.add(row)
            added.append(row)
            existing.add(day)
    db.session.flush()
    return added
