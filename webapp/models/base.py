"""Shared column helpers for the models."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, String, func
from sqlalchemy.orm import Mapped, declared_attr, mapped_column, relationship

from webapp.extensions import db

if TYPE_CHECKING:
    from webapp.models.organisation import JobCentre

Model = db.Model


class TenantMixin:
    """Rows that belong to one job centre (R-0.1 tenancy is scoped on this column)."""

    job_centre_id: Mapped[int] = mapped_column(
        ForeignKey("job_centres.id", ondelete="CASCADE"), index=True)

    @declared_attr
    def job_centre(cls) -> Mapped[JobCentre]:  # noqa: F821 (resolved by the registry)
        return relationship("JobCentre")


class AddressMixin:
    address: Mapped[str | None] = mapped_column(String(200))
    postal_code: Mapped[str | None] = mapped_column(String(4))
    city: Mapped[str | None] = mapped_column(String(100))


def created_at_column() -> Mapped[datetime]:
    return mapped_column(server_default=func.current_timestamp())
