"""Call-in templates: every field and the rules between them (R-1.5.x)."""

from __future__ import annotations

from sqlalchemy import func, select

from webapp.calendar.rooms import check_room_for_team
from webapp.domain.errors import DomainError
from webapp.extensions import db
from webapp.models import (CallInTemplate, DeadlineMode, Distribution, MembershipState,
                           TeamMembership)


def _int_range(value: int | None, low: int, high: int, field: str, da: str, en: str) -> None:
    if value is None or not low <= value <= high:
        raise DomainError(f"{da} skal være mellem {low} og {high} minutter.",
                          f"{en} must be between {low} and {high} minutes.", field=field,
                          code="out_of_range")


def validate_template(template: CallInTemplate) -> None:
    template.name = (template.name or "").strip()
    if not template.name:
        raise DomainError("Skriv skabelonens navn.", "Enter the template's name.", field="name")
    if db.session.scalar(select(CallInTemplate.id).where(
            CallInTemplate.job_centre_id == template.job_centre_id,
            func.lower(CallInTemplate.name) == template.name.lower(),
            CallInTemplate.id != (template.id or 0))):
        raise DomainError(f"Der findes allerede en skabelon med navnet »{template.name}«.",
                          f"A template named '{template.name}' already exists.", field="name",
                          code="duplicate_name")
    for field, message in (("conversation_type", "conversation_type_missing"),
                           ("holding_form", "holding_form_missing"), ("team", "team_missing")):
        if getattr(template, field) is None:
            raise DomainError.of(message, field=field)
    if template.variant is not None and template.conversation_type not in template.variant.conversation_types:
        raise DomainError(
            f"Varianten »{template.variant.name}« er ikke knyttet til samtaletypen "
            f"»{template.conversation_type.name}«.",
            f"The variant '{template.variant.name}' is not linked to the conversation type "
            f"'{template.conversation_type.name}'.", field="variant", code="variant_type")
    # Caseworkers are chosen among the team's own (R-1.5 Details tab).
    members = set(db.session.scalars(select(TeamMembership.caseworker_id).where(
        TeamMembership.team_id == template.team.id, TeamMembership.state == MembershipState.ACTIVE)))
    outsiders = [cw.name for cw in template.caseworkers if cw.id not in members]
    if outsiders:
        raise DomainError(
            f"{', '.join(outsiders)} hører ikke til teamet »{template.team.name}«. Vælg blandt teamets vejledere.",
            f"{', '.join(outsiders)} do not belong to the team '{template.team.name}'. Choose "
            "among the team's caseworkers.", field="caseworkers", code="caseworker_not_in_team")
    check_room_for_team(template.team, template.room, field="room")
    _int_range(template.duration_minutes, 1, 480, "duration_minutes", "Standardvarigheden",
               "The standard duration")
    if template.reporting_minutes is None:
        template.reporting_minutes = 0
    _int_range(template.reporting_minutes, 0, 240, "reporting_minutes",
               "Tid til rapportering", "Time for reporting")
    # deadline settings.
    mode = DeadlineMode(template.deadline_mode) if template.deadline_mode else None
    if mode is None:
        raise DomainError("Vælg en indstilling for frist for afholdelse.",
                          "Choose a deadline setting.", field="deadline_mode")
    if mode == DeadlineMode.FALL_DATE:
        template.deadline_days = None
    elif template.deadline_days is None or template.deadline_days < 1:
        raise DomainError("Angiv antal dage (N) for fristen: mindst 1.",
                          "Enter the number of days (N) for the deadline: at least 1.",
                          field="deadline_days", code="deadline_days")
    # distribution.
    distribution = Distribution(template.distribution) if template.distribution else None
    if distribution is None:
        raise DomainError("Vælg fordeling i kalender.", "Choose the calendar distribution.",
                          field="distribution")
    if distribution == Distribution.AUTOMATIC:
        if template.earliest_after_days is None or template.earliest_after_days < 0:
            raise DomainError(
                "Ved automatisk fordeling skal tidligste samtaledato angives: antal dage efter "
                "indkaldelsen oprettes (0 eller flere).",
                "Automatic distribution needs the earliest conversation date: days after the "
                "call-in is created (0 or more).", field="earliest_after_days",
                code="earliest_after_days")
    else:
        template.earliest_after_days = None
    # Online booking tab.
    if template.rebooking_until_days is None:
        template.rebooking_until_days = 0
    if template.rebooking_until_days < 0:
        raise DomainError("Antal dage før mødet kan ikke være negativt.",
                          "The days before the meeting cannot be negative.",
                          field="rebooking_until_days")
    if template.rolling_end_weeks is not None and template.rolling_end_weeks < 1:
        raise DomainError("Løbende slutdato angives i hele uger: mindst 1.",
                          "The rolling end date is whole weeks: at least 1.",
                          field="rolling_end_weeks")
    if (template.fixed_end_date and template.first_meeting_date
            and template.fixed_end_date < template.first_meeting_date):
        raise DomainError(
            f"Den faste slutdato ({template.fixed_end_date:%d.%m.%Y}) ligger før første mødedato "
            f"({template.first_meeting_date:%d.%m.%Y}).",
            f"The fixed end date ({template.fixed_end_date:%d.%m.%Y}) is before the first "
            f"meeting date ({template.first_meeting_date:%d.%m.%Y}).", field="fixed_end_date",
            code="date_range")
    if template.visible_from and template.fixed_end_date and template.visible_from > template.fixed_end_date:
        raise DomainError("Tilbuddet kan ikke åbne for booking efter den faste slutdato.",
                          "The offer cannot open for booking after its fixed end date.",
                          field="visible_from", code="date_range")
