"""Staff users with a role and a job centre (R-0.1)."""

from __future__ import annotations

from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import Boolean, CheckConstraint, ForeignKey, String, true
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from webapp.models.base import Model, created_at_column
from webapp.models.enums import Role, enum_type
from webapp.models.organisation import JobCentre


class User(UserMixin, Model):
    __tablename__ = "users"
    __table_args__ = (
        # Support is national; every other role belongs to exactly one job centre.
        CheckConstraint("role = 'support' OR job_centre_id IS NOT NULL", name="job_centre_for_role"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(120), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[Role] = mapped_column(enum_type(Role))
    job_centre_id: Mapped[int | None] = mapped_column(
        ForeignKey("job_centres.id", ondelete="CASCADE"), index=True)
    caseworker_id: Mapped[int | None] = mapped_column(
        ForeignKey("caseworkers.id", ondelete="SET NULL"))
    is_enabled: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    locale: Mapped[str | None] = mapped_column(String(5))
    created_at: Mapped[datetime] = created_at_column()

    job_centre: Mapped[JobCentre | None] = relationship()

    def get_id(self) -> str:
        return f"user:{self.id}"

    @property
    def is_active(self) -> bool:  # Flask-Login refuses disabled users
        return self.is_enabled

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password)

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    @property
    def is_support(self) -> bool:
        return self.role == Role.SUPPORT

    @property
    def can_administer(self) -> bool:
        return self.role in (Role.SUPPORT, Role.ADMINISTRATOR)

    def __str__(self) -> str:
        return self.name
