"""Conversation types, holding forms, contact groups, variants and letters (R-1.6 to R-1.8)."""

from __future__ import annotations

from sqlalchemy import Column, ForeignKey, String, Table, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.models.base import Model, TenantMixin
from webapp.models.enums import LetterActivity, MeetingForm, enum_type
from webapp.models.organisation import Team


class ConversationType(Model):
    """The central list, read-only for job centres (R-1.6.1)."""

    __tablename__ = "conversation_types"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[int] = mapped_column(unique=True)
    name: Mapped[str] = mapped_column(String(120))

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class HoldingForm(Model):
    """In person, telephone, video, letter (R-1.6.2)."""

    __tablename__ = "holding_forms"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(120))

    def __str__(self) -> str:
        return self.name


class ContactGroup(Model):
    """Target groups of citizens (R-1.6.2)."""

    __tablename__ = "contact_groups"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(120))

    def __str__(self) -> str:
        return self.name


variant_types = Table(
    "variant_types", Model.metadata,
    Column("variant_id", ForeignKey("variants.id", ondelete="CASCADE"), primary_key=True),
    Column("conversation_type_id", ForeignKey("conversation_types.id", ondelete="RESTRICT"),
           primary_key=True),
)

variant_teams = Table(
    "variant_teams", Model.metadata,
    Column("variant_id", ForeignKey("variants.id", ondelete="CASCADE"), primary_key=True),
    Column("team_id", ForeignKey("teams.id", ondelete="CASCADE"), primary_key=True),
)


class Variant(TenantMixin, Model):
    """A job centre's variant of one or more conversation types (R-1.7.1)."""

    __tablename__ = "variants"
    __table_args__ = (UniqueConstraint("job_centre_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    description: Mapped[str | None] = mapped_column(Text)

    conversation_types: Mapped[list[ConversationType]] = relationship(secondary=variant_types)
    teams: Mapped[list[Team]] = relationship(secondary=variant_teams)
    letter_rules: Mapped[list[LetterRule]] = relationship(
        back_populates="variant", cascade="all, delete-orphan")

    def __str__(self) -> str:
        return self.name


class LetterTemplate(TenantMixin, Model):
    """A Jinja letter rendered to PDF (§1.8)."""

    __tablename__ = "letter_templates"
    __table_args__ = (UniqueConstraint("job_centre_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)

    def __str__(self) -> str:
        return self.name


class LetterRule(Model):
    """Which letter a variant sends for an activity; None filters mean "all" (R-1.7.2)."""

    __tablename__ = "letter_rules"

    id: Mapped[int] = mapped_column(primary_key=True)
    variant_id: Mapped[int] = mapped_column(ForeignKey("variants.id", ondelete="CASCADE"), index=True)
    conversation_type_id: Mapped[int] = mapped_column(
        ForeignKey("conversation_types.id", ondelete="RESTRICT"))
    activity: Mapped[LetterActivity] = mapped_column(enum_type(LetterActivity))
    letter_template_id: Mapped[int] = mapped_column(
        ForeignKey("letter_templates.id", ondelete="RESTRICT"))
    contact_group_id: Mapped[int | None] = mapped_column(
        ForeignKey("contact_groups.id", ondelete="RESTRICT"))
    holding_form_id: Mapped[int | None] = mapped_column(
        ForeignKey("holding_forms.id", ondelete="RESTRICT"))
    meeting_form: Mapped[MeetingForm | None] = mapped_column(enum_type(MeetingForm))

    variant: Mapped[Variant] = relationship(back_populates="letter_rules")
    conversation_type: Mapped[ConversationType] = relationship()
    letter_template: Mapped[LetterTemplate] = relationship()
    contact_group: Mapped[ContactGroup | None] = relationship()
    holding_form: Mapped[HoldingForm | None] = relationship()

    @property
    def specificity(self) -> int:
        """How many filters are set; the most specific matching rule wins."""
        return sum(x is not None for x in
                   (self.contact_group_id, self.holding_form_id, self.meeting_form))
