"""Base admin views: role checks, job-centre scoping and the audit of every change."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, request, url_for
from flask_admin import AdminIndexView, BaseView, expose
from flask_admin.contrib.sqla import ModelView
from flask_login import current_user
from sqlalchemy import select
from wtforms import ValidationError

from webapp.admin.labels import COLUMN_TYPE_FORMATTERS
from webapp.auth.tenancy import staff_job_centre_id
from webapp.domain.errors import DomainError
from webapp.extensions import db
from webapp.models import AuditEvent, JobCentre
from webapp.services import audit

LABELS = {
    "name": "Navn", "job_centre": "Jobcenter", "parent": "Overordnet team", "address": "Adresse",
    "postal_code": "Postnummer", "city": "By", "email": "E-mail", "phone": "Telefon",
    "description": "Beskrivelse", "initials": "Initialer", "rid": "RID", "guid": "GUID",
    "can_be_assigned_callins": "Kan tilknyttes indkaldelser", "sync_mode": "Kalendersynk",
    "team": "Team", "teams": "Teams", "first_day": "Fra dato", "last_day": "Til dato",
    "day": "Dato", "capacity": "Maks. kapacitet", "accepts_overbooking": "Accepter overbooking",
    "overbooking_seats": "Ekstra pladser", "usable_for_callins": "Kan bruges til indkaldelser",
    "comment": "Kommentar", "resource_type": "Ressourcetype", "code": "Kode",
    "conversation_type": "Samtaletype", "conversation_types": "Samtaletyper",
    "variant": "Variant", "meeting_form": "Mødeform", "holding_form": "Afholdelsesform",
    "room": "Mødelokale", "duration_minutes": "Standardvarighed (min.)",
    "reporting_minutes": "Afsæt tid til rapportering (min.)", "deadline_mode": "Frist for afholdelse",
    "distribution": "Kalenderfordeling", "subject": "Emne", "body": "Brevtekst",
    "occurred_at": "Tidspunkt", "event": "Hændelse", "user_name": "Bruger",
    "booking_id": "Samtalenummer", "citizen_id": "Borger", "caseworker_id": "Vejleder",
    "object_type": "Objekt", "object_id": "Id", "before": "Før", "after": "Efter",
    "details": "Detaljer", "level": "Niveau", "category": "Kategori", "message": "Besked",
    "figures": "Tal", "received_at": "Modtaget", "external_id": "Ekstern id", "raw": "Indhold",
    "outcome": "Udfald", "detail": "Detalje", "username": "Brugernavn", "role": "Rolle",
    "municipality": "Kommune", "starts_at": "Start", "ends_at": "Slut", "status": "Status",
    "origin": "Oprindelse", "earliest_date": "Tidligste dato", "deadline_date": "Frist",
    "citizen": "Borger", "masked_cpr": "CPR", "contact_group": "Kontaktgruppe",
    "active": "Aktiv", "unplaced_reason": "Årsag", "caseworkers": "Vejledere",
    "recipient": "Modtager", "kind": "Art", "attempts": "Forsøg", "sent_at": "Sendt",
    "created_at": "Oprettet", "is_enabled": "Aktiv", "sync_modes": "Synk-muligheder",
    "pending_rename": "Skal omdøbes", "seats": "Pladser",
}


def _login_redirect() -> Any:
    return redirect(url_for("auth.login", next=request.full_path))


class AccessMixin:
    """Administrators of a job centre and support; `support_only` narrows to support."""

    support_only = False

    def is_accessible(self) -> bool:
        if not current_user.is_authenticated or not getattr(current_user, "can_administer", False):
            return False
        return current_user.is_support or not self.support_only

    def inaccessible_callback(self, name: str, **kwargs: Any) -> Any:
        if not current_user.is_authenticated:
            return _login_redirect()
        abort(403)


class PlannerIndexView(AccessMixin, AdminIndexView):
    @expose("/")
    def index(self) -> str:
        return self.render("admin/planner_index.html")


class PlannerModelView(AccessMixin, ModelView):
    """A model view scoped to the user's job centre, auditing every change."""

    column_labels = LABELS
    column_type_formatters = COLUMN_TYPE_FORMATTERS
    column_type_formatters_detail = COLUMN_TYPE_FORMATTERS
    page_size = 50
    can_view_details = True
    can_set_page_size = True
    # Set on views whose rows belong to one job centre through `job_centre_id`.
    tenant_scoped = True
    # Reference data administrators may read but only support may change.
    support_edits_only = False

    def __init__(self, model: type, **kwargs: Any) -> None:
        super().__init__(model, db, **kwargs)

    # --- permissions -------------------------------------------------------
    def _may_edit(self) -> bool:
        return not self.support_edits_only or current_user.is_support

    def is_action_allowed(self, name: str) -> bool:
        return self._may_edit() and super().is_action_allowed(name)

    # --- scoping (R-0.1) ---------------------------------------------------
    def _scope(self, query: Any) -> Any:
        job_centre_id = staff_job_centre_id()
        if self.tenant_scoped and job_centre_id is not None:
            query = query.filter(self.model.job_centre_id == job_centre_id)
        return query

    def get_query(self) -> Any:
        return self._scope(super().get_query())

    def get_count_query(self) -> Any:
        return self._scope(super().get_count_query())

    def get_one(self, id: Any) -> Any:
        obj = super().get_one(id)
        job_centre_id = staff_job_centre_id()
        if obj is None:
            abort(404)
        if self.tenant_scoped and job_centre_id is not None and obj.job_centre_id != job_centre_id:
            abort(404)
        return obj

    def _scope_form(self, form: Any) -> Any:
        """Limit every choice of a related row to the user's job centre."""
        job_centre_id = staff_job_centre_id()
        for field in form:
            query_factory = getattr(field, "query_factory", None)
            if query_factory is None or job_centre_id is None:
                continue
            related = _related_model(self.model, field.name)
            if related is None:
                continue
            if related is JobCentre:
                field.query_factory = (lambda jc=job_centre_id:
                                       db.session.scalars(select(JobCentre).where(JobCentre.id == jc)).all())
            elif hasattr(related, "job_centre_id"):
                field.query_factory = (lambda m=related, jc=job_centre_id:
                                       db.session.scalars(select(m).where(m.job_centre_id == jc)).all())
        return form

    def create_form(self, obj: Any = None) -> Any:
        return self._scope_form(super().create_form(obj))

    def edit_form(self, obj: Any = None) -> Any:
        return self._scope_form(super().edit_form(obj))

    def scaffold_form(self) -> Any:
        form_class = super().scaffold_form()
        # Administrators never choose a job centre: theirs is set on save.
        if self.tenant_scoped and hasattr(form_class, "job_centre") and not self._support_form():
            delattr(form_class, "job_centre")
        return form_class

    def _support_form(self) -> bool:
        return False

    # --- saving, with audit -----------------------------------------------
    def on_model_change(self, form: Any, model: Any, is_created: bool) -> None:
        job_centre_id = staff_job_centre_id()
        if self.tenant_scoped and hasattr(model, "job_centre_id"):
            if job_centre_id is not None:
                model.job_centre_id = job_centre_id
            elif model.job_centre_id is None and getattr(model, "job_centre", None) is None:
                raise ValidationError("Vælg et jobcenter.")
        try:
            self.apply_rules(model, is_created)
        except DomainError as error:
            raise ValidationError(error.message_da) from error
        # Read the changes before the flush, which resets attribute history.
        before, after = ({}, {}) if is_created else audit.changes(model)
        db.session.flush()
        if is_created:
            audit.record(AuditEvent.ADMIN_CREATED, actor=current_user, obj=model,
                         after=audit.snapshot(model))
        elif after:
            audit.record(AuditEvent.ADMIN_UPDATED, actor=current_user, obj=model,
                         before=before, after=after)

    def apply_rules(self, model: Any, is_created: bool) -> None:
        """Call the domain services for this model; raise DomainError to refuse."""

    def on_model_delete(self, model: Any) -> None:
        audit.record(AuditEvent.ADMIN_DELETED, actor=current_user, obj=model,
                     before=audit.snapshot(model))

    def handle_view_exception(self, exc: Exception) -> bool:
        if isinstance(exc, DomainError):
            flash(exc.message_da, "error")
            return True
        from sqlalchemy.exc import IntegrityError
        if isinstance(exc, IntegrityError):
            flash("Kunne ikke gemmes: værdien findes allerede eller bryder en regel.", "error")
            return True
        return super().handle_view_exception(exc)


class ReadOnlyModelView(PlannerModelView):
    can_create = False
    can_edit = False
    can_delete = False


class ReferenceModelView(PlannerModelView):
    """National reference data: everyone with admin access reads, support edits."""

    tenant_scoped = False
    support_edits_only = True

    @property
    def can_create(self) -> bool:  # type: ignore[override]
        return current_user.is_authenticated and current_user.is_support

    can_edit = can_create
    can_delete = can_create


class SupportModelView(PlannerModelView):
    support_only = True
    tenant_scoped = False


def _related_model(model: type, attribute: str) -> type | None:
    from sqlalchemy import inspect as sa_inspect
    relationship = sa_inspect(model).relationships.get(attribute)
    return relationship.mapper.class_ if relationship is not None else None


class PlannerBaseView(AccessMixin, BaseView):
    pass
