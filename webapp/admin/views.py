"""The administration module's screens (SPEC §1), in menu order."""

from __future__ import annotations

from flask import current_app
from flask_admin import expose
from sqlalchemy import select

from webapp.admin.base import (PlannerBaseView, PlannerModelView, ReadOnlyModelView,
                               ReferenceModelView, SupportModelView)
from webapp.extensions import db
from webapp.models import SystemLogEntry


class CaseworkerView(PlannerModelView):
    column_list = ("name", "email", "initials", "rid", "guid", "can_be_assigned_callins", "sync_mode")
    column_searchable_list = ("name", "email", "initials")
    column_filters = ("can_be_assigned_callins", "sync_mode")
    form_excluded_columns = ("ics_token", "created_at", "memberships", "working_times", "breaks")


class CompetenceView(PlannerModelView):
    """In the model, not in use (R-1.2.11): reachable but not in the menu."""

    def is_visible(self) -> bool:
        return False


class TeamView(PlannerModelView):
    column_list = ("name", "parent", "postal_code", "city", "email", "phone")
    column_searchable_list = ("name",)
    column_default_sort = "name"
    form_excluded_columns = ("children", "pending_rename")


class LocalClosureDayView(PlannerModelView):
    # closure days are deleted and created again, never edited.
    can_edit = False
    column_list = ("team", "name", "first_day", "last_day")
    column_default_sort = ("first_day", True)
    form_excluded_columns = ("created_at",)


class RoomView(PlannerModelView):
    column_list = ("name", "capacity", "accepts_overbooking", "overbooking_seats", "address",
                   "postal_code", "city", "usable_for_callins")
    column_searchable_list = ("name",)


class CallInTemplateView(PlannerModelView):
    column_list = ("name", "conversation_type", "variant", "meeting_form", "team",
                   "duration_minutes", "distribution")
    column_searchable_list = ("name",)


class ConversationTypeView(ReferenceModelView):
    column_list = ("code", "name")
    column_default_sort = "code"


class VariantView(PlannerModelView):
    column_list = ("name", "conversation_types", "teams")
    column_searchable_list = ("name",)
    form_excluded_columns = ("letter_rules",)


class LetterTemplateView(PlannerModelView):
    column_list = ("name", "subject")
    column_searchable_list = ("name", "subject")


class AuditTrailView(ReadOnlyModelView):
    """Append-only (R-1.9.2): nobody creates, edits or deletes here."""

    column_list = ("occurred_at", "event", "user_name", "booking_id", "citizen_id",
                   "caseworker_id", "object_type", "object_id")
    column_default_sort = ("occurred_at", True)
    column_filters = ("booking_id", "citizen_id", "caseworker_id", "event", "occurred_at",
                      "user_name")


class SystemLogView(ReadOnlyModelView):
    column_list = ("occurred_at", "level", "category", "message")
    column_default_sort = ("occurred_at", True)
    column_filters = ("level", "category", "occurred_at")
    column_searchable_list = ("message",)


class InboundLogView(SystemLogView):
    column_list = ("received_at", "external_id", "outcome", "detail")
    column_default_sort = ("received_at", True)
    column_filters = ("outcome", "received_at", "external_id")
    column_searchable_list = ("external_id",)


class AboutView(PlannerBaseView):
    """Version, database, scheduler status and last batch run (R-1.12.1)."""

    @expose("/")
    def index(self) -> str:
        from webapp.version import __version__
        engine = db.engine
        last_run = db.session.scalar(
            select(SystemLogEntry).where(SystemLogEntry.category == "allocation")
            .order_by(SystemLogEntry.occurred_at.desc()).limit(1))
        scheduler = db.session.scalar(
            select(SystemLogEntry).where(SystemLogEntry.category == "scheduler")
            .order_by(SystemLogEntry.occurred_at.desc()).limit(1))
        return self.render("admin/about.html", version=__version__,
                           database=f"{engine.dialect.name} {engine.dialect.server_version_info or ''}",
                           last_run=last_run, scheduler=scheduler,
                           timezone=current_app.config["PLANNER_TIMEZONE"])


# --- Overview and support ------------------------------------------------------

class CitizenView(ReadOnlyModelView):
    can_view_details = False
    column_list = ("name", "masked_cpr", "contact_group", "postal_code", "city")
    column_searchable_list = ("name",)


class BookingView(ReadOnlyModelView):
    can_view_details = False
    column_list = ("id", "starts_at", "ends_at", "team", "room", "conversation_type", "status",
                   "origin")
    column_default_sort = ("starts_at", True)
    column_filters = ("status", "origin", "starts_at")


class CallInView(ReadOnlyModelView):
    can_view_details = False
    column_list = ("id", "team", "conversation_type", "earliest_date", "deadline_date", "status",
                   "unplaced_reason")
    column_filters = ("status", "deadline_date")


class OnlineOfferView(PlannerModelView):
    column_list = ("name", "team", "conversation_type", "meeting_form", "active")
    form_excluded_columns = ("out_of_slots_notified_at", "created_at")


class JobCentreView(SupportModelView):
    column_list = ("name", "municipality", "sync_modes")
    form_excluded_columns = ("teams", "created_at")


class NationalClosureDayView(SupportModelView):
    can_edit = False
    column_list = ("day", "name")
    column_default_sort = "day"


class UserView(SupportModelView):
    column_list = ("username", "name", "role", "job_centre", "is_enabled")
    form_excluded_columns = ("password_hash", "created_at")


class HoldingFormView(ReferenceModelView):
    column_list = ("code", "name")


class ContactGroupView(ReferenceModelView):
    column_list = ("code", "name")


class SelfBookingDeadlineView(ReadOnlyModelView):
    can_view_details = False
    column_list = ("citizen", "conversation_type", "deadline_date", "status")
    column_default_sort = "deadline_date"
    column_filters = ("status", "deadline_date")


class OutboxView(ReadOnlyModelView):
    """What was and will be sent; message bodies may hold personal data, so no details."""

    can_view_details = False
    column_list = ("created_at", "kind", "recipient", "subject", "status", "attempts", "sent_at")
    column_default_sort = ("created_at", True)
    column_filters = ("status", "kind")
