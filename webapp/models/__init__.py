"""The data model: one module per aggregate, all imported here for Alembic."""

from webapp.models.api import ApiClient
from webapp.models.audit import AuditEntry, InboundMessage, SchedulerHeartbeat, SystemLogEntry
from webapp.models.bookings import (Booking, BookingCaseworker, BookingParticipant, CallIn,
                                    Citizen, SelfBookingDeadline, callin_caseworkers)
from webapp.models.caseworkers import (Absence, Break, BusyTime, Caseworker, Competence, TeamMembership,
                                       WorkingTime, caseworker_competences)
from webapp.models.closures import LocalClosureDay, NationalClosureDay
from webapp.models.enums import (AbsenceKind, AuditEvent, BookingOrigin, BookingStatus, CallInStatus,
                                 DeadlineMode, DeadlineStatus, Distribution, LetterActivity,
                                 LogLevel, MeetingForm, MembershipState, OutboxStatus, Role,
                                 SyncMode)
from webapp.models.messages import Letter, OutboxAttachment, OutboxMessage
from webapp.models.offers import OnlineOffer, offer_caseworkers, offer_contact_groups
from webapp.models.organisation import JobCentre, Team
from webapp.models.reference import (ContactGroup, ConversationType, HoldingForm, LetterRule,
                                     LetterTemplate, Variant, variant_teams, variant_types)
from webapp.models.rooms import Room, room_teams
from webapp.models.templates import CallInTemplate, template_caseworkers, template_contact_groups
from webapp.models.users import User

__all__ = [
    "Absence", "AbsenceKind", "ApiClient", "AuditEntry", "AuditEvent", "Booking", "BookingCaseworker", "BookingOrigin",
    "BookingParticipant", "BookingStatus", "Break", "BusyTime", "CallIn", "CallInStatus",
    "CallInTemplate", "Caseworker", "Citizen", "Competence", "ContactGroup",
    "ConversationType", "DeadlineMode", "DeadlineStatus", "Distribution", "HoldingForm",
    "InboundMessage", "JobCentre", "Letter", "LetterActivity", "LetterRule", "LetterTemplate",
    "LocalClosureDay", "LogLevel", "MeetingForm", "MembershipState", "NationalClosureDay",
    "OnlineOffer", "OutboxAttachment", "OutboxMessage", "OutboxStatus", "Role", "Room",
    "SchedulerHeartbeat", "SelfBookingDeadline", "SyncMode", "SystemLogEntry", "Team", "TeamMembership", "User",
    "Variant", "WorkingTime", "callin_caseworkers", "caseworker_competences",
    "offer_caseworkers", "offer_contact_groups", "room_teams", "template_caseworkers",
    "template_contact_groups", "variant_teams", "variant_types",
]
