"""Systems allowed to call the planner: citizen portals (R-4.10) and the case system (R-1.11.1)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, String, UniqueConstraint, true
from sqlalchemy.orm import Mapped, mapped_column

from webapp.models.base import Model, TenantMixin, created_at_column


class ApiClient(TenantMixin, Model):
    """An external citizen portal: a bearer token, stored as its SHA-256 only.

    The portal authenticates the citizen itself (MitID) and names them in the
    `X-Citizen-CPR` header; the token limits it to one job centre's citizens.
    """

    __tablename__ = "api_clients"
    __table_args__ = (
        UniqueConstraint("job_centre_id", "name"),
        CheckConstraint("purpose IN ('citizen_portal', 'case_system')", name="purpose"),
    )

    CITIZEN_PORTAL = "citizen_portal"
    CASE_SYSTEM = "case_system"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # The first characters of the token, so an administrator can tell tokens apart.
    token_prefix: Mapped[str] = mapped_column(String(12))
    # What the token may do: act for citizens, or send appointments from the case system.
    purpose: Mapped[str] = mapped_column(String(20), default="citizen_portal",
                                         server_default="citizen_portal")
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    created_at: Mapped[datetime] = created_at_column()

    def __str__(self) -> str:
        return self.name
