"""Staff users with a role and a job centre (R-0.1); session versions and failed logins (R-7.3);
set-password links (R-6.3)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from flask_login import UserMixin
from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Index, String, true
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates
from werkzeug.security import check_password_hash, generate_password_hash

from webapp.models.base import Model, created_at_column
from webapp.models.enums import Role, enum_type
from webapp.models.organisation import JobCentre

if TYPE_CHECKING:
    from webapp.models.caseworkers import Caseworker


class SessionVersionMixin:
    """Logins that can be ended on the server (R-7.3).

    The version is part of the id Flask-Login keeps in the session cookie; the user loader
    refuses a cookie whose version is not the current one. Raising it ends every session of
    the principal, including copies of the cookie kept after logging out.
    """

    session_version: Mapped[int] = mapped_column(default=0, server_default="0")

    def end_sessions(self) -> None:
        self.session_version = (self.session_version or 0) + 1


class User(SessionVersionMixin, UserMixin, Model):
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
    # Where the set-password link is sent; an OpenID Connect login may match it.
    email: Mapped[str | None] = mapped_column(String(254))
    # The subject ("sub") of the user's account at the job centre's identity provider, for an
    # OpenID Connect login matched by it (PLANNER_OIDC_STAFF_MATCH=sub, R-6.3).
    oidc_subject: Mapped[str | None] = mapped_column(String(255), unique=True)
    # A one-time set-password link: only the SHA-256 of its token is kept, so a copy of
    # the database cannot be used to set anyone's password.
    password_link_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    password_link_expires_at: Mapped[datetime | None] = mapped_column()
    created_at: Mapped[datetime] = created_at_column()

    job_centre: Mapped[JobCentre | None] = relationship()
    # The caseworker whose calendar and teams the login opens in the workspace.
    caseworker: Mapped[Caseworker | None] = relationship()

    def get_id(self) -> str:
        return f"user:{self.id}:{self.session_version}"

    @property
    def is_active(self) -> bool:  # Flask-Login refuses disabled users
        return self.is_enabled

    def set_password(self, password: str) -> None:
        self.end_sessions()  # a new password logs out whoever knew the old one
        self.password_hash = generate_password_hash(password)

    @validates("is_enabled")
    def _disabling_ends_sessions(self, key: str, enabled: bool) -> bool:
        # Every way of disabling (admin form, code) passes here; without the bump, enabling
        # the user again would revive the cookies from before.
        if not enabled:
            self.end_sessions()
        return enabled

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


class LoginFailure(Model):
    """One failed (or still running) login, for throttling across worker processes (R-7.3).

    Keys are keyed hashes (HMAC with the secret key) of the account name and of the client
    address, so neither a CPR number nor an address is stored in clear.
    """

    __tablename__ = "login_failures"
    __table_args__ = (
        Index("ix_login_failures_account", "account_key", "failed_at"),
        Index("ix_login_failures_address", "address_key", "failed_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    account_key: Mapped[str] = mapped_column(String(64))
    address_key: Mapped[str] = mapped_column(String(64))
    failed_at: Mapped[datetime] = mapped_column(index=True)
