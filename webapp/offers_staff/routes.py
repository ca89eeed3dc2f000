"""Offer from a template, the job centre's offers, and deadlines: thin views over the services."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from werkzeug.wrappers import Response

from webapp.auth.tenancy import get_scoped_or_404, roles_required, scoped, staff_job_centre_id
from webapp.citizens.service import citizen_for_cpr
from webapp.clock import now_local
from webapp.domain.cpr import normalise_cpr
from webapp.domain.errors import DomainError
from webapp.extensions import db
from webapp.language import error_text
from webapp.models import (AuditEvent, CallInTemplate, ContactGroup, ConversationType,
                           OnlineOffer, Role)
from webapp.offers_staff.blueprint import bp
from webapp.storage import audit
from webapp.selfbooking import deadlines
from webapp.selfbooking import offers
from webapp.selfbooking import reservations as selfbooking
from webapp.selfbooking import slots as slot_service

STAFF = (Role.CASEWORKER, Role.ADMINISTRATOR, Role.SUPPORT)


def _day(name: str) -> date | None:
    raw = (request.form.get(name) or "").strip()
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise DomainError("Skriv datoen som ÅÅÅÅ-MM-DD.", "Write the date as YYYY-MM-DD.",
                          field=name, code="date_invalid") from None


def _int(name: str) -> int | None:
    raw = (request.form.get(name) or "").strip()
    if not raw:
        return None
    if not raw.isdigit() or len(raw) > 6:
        raise DomainError.of("not_a_number", field=name, code="number_invalid")
    return int(raw)


@bp.get("/offers")
@roles_required(*STAFF)
def offer_list() -> str:
    today = now_local().date()
    rows = db.session.scalars(scoped(OnlineOffer).order_by(OnlineOffer.name)).all()
    return render_template("offers_staff/offers.html", offers=rows, today=today,
                           window=offers.window, visible=offers.is_visible)


@bp.get("/offers/<int:offer_id>")
@roles_required(*STAFF)
def offer_detail(offer_id: int) -> str:
    if not selfbooking.valid_id(offer_id):
        abort(404)
    offer = get_scoped_or_404(OnlineOffer, offer_id)
    now = now_local()
    slots = slot_service.list_slots(offer, now=now)
    return render_template("offers_staff/offer.html", offer=offer, now=now, slots=slots[:200],
                           slot_count=len(slots), span=offers.window(offer, now.date()))


_OFFER_FIELDS = frozenset({"name", "fixed_end_date", "rolling_end_weeks", "min_age", "postal_codes"})


@bp.route("/offers/new", methods=["GET", "POST"])
@roles_required(*STAFF)
def offer_new() -> str | Response:
    """R-4.1, R-1.5.4: a new offer pre-filled from a template; every field is editable after."""
    templates = db.session.scalars(scoped(CallInTemplate).order_by(CallInTemplate.name)).all()
    groups = db.session.scalars(select(ContactGroup).order_by(ContactGroup.name)).all()
    template = None
    template_id = request.values.get("template_id", type=int)
    if template_id:
        if not selfbooking.valid_id(template_id):
            abort(404)
        template = get_scoped_or_404(CallInTemplate, template_id)
    errors: dict[str, str] = {}
    if request.method == "POST" and template is not None:
        try:
            overrides: dict[str, Any] = {
                "first_meeting_date": _day("first_meeting_date"),
                "fixed_end_date": _day("fixed_end_date"),
                "rolling_end_weeks": _int("rolling_end_weeks"),
                "visible_from": _day("visible_from"),
                "active": request.form.get("active") == "on",
                "min_age": _int("min_age"), "max_age": _int("max_age"),
                "postal_codes": (request.form.get("postal_codes") or "").strip()[:200] or None,
            }
            offer = offers.offer_from_template(
                template, name=request.form.get("name", ""), actor=current_user,
                contact_group_ids=[int(g) for g in request.form.getlist("contact_groups")
                                   if g.isdigit()],
                **overrides)
        except DomainError as error:
            db.session.rollback()
            # An error of a field the page does not show (the template's room, R-1.4.2) is the form's.
            errors[error.field if error.field in _OFFER_FIELDS else "form"] = error_text(error)
        else:
            db.session.commit()
            flash(_("The offer %(name)s was created.", name=offer.name), "success")
            return redirect(url_for("offers_staff.offer_detail", offer_id=offer.id))
    return render_template("offers_staff/offer_new.html", templates=templates, template=template,
                           groups=groups, errors=errors, form=request.form)


@bp.get("/deadlines")
@roles_required(*STAFF)
def deadline_list() -> str:
    """R-4.8: deadlines that passed without a booking, for the caseworker to follow up."""
    today = now_local().date()
    rows = deadlines.passed_unfulfilled(staff_job_centre_id(), today)
    return render_template("offers_staff/deadlines.html", deadlines=rows, today=today)


@bp.route("/deadlines/new", methods=["GET", "POST"])
@roles_required(Role.CASEWORKER, Role.ADMINISTRATOR)
def deadline_new() -> str | Response:
    types = db.session.scalars(select(ConversationType).order_by(ConversationType.code)).all()
    errors: dict[str, str] = {}
    if request.method == "POST":
        job_centre_id = staff_job_centre_id()
        try:
            try:
                cpr = normalise_cpr(request.form.get("cpr", ""))
            except DomainError as error:
                raise DomainError(error.message_da, error.message_en, field="cpr",
                                  code=error.code) from None
            citizen = citizen_for_cpr(job_centre_id, cpr)  # from the register on first use
            audit.record(AuditEvent.CITIZEN_CARD_VIEWED, actor=current_user, citizen_id=citizen.id,
                         job_centre_id=citizen.job_centre_id, details="Selvbookingsfrist")
            deadline = deadlines.create_deadline(
                citizen, _int("conversation_type_id") or 0, _day("deadline_date"),  # type: ignore[arg-type]
                today=now_local().date(), actor=current_user)
        except DomainError as error:
            db.session.rollback()
            errors[error.field or "form"] = error_text(error)
        else:
            db.session.commit()
            flash(_("The deadline was given to %(name)s.", name=deadline.citizen.name), "success")
            return redirect(url_for("offers_staff.deadline_list"))
    return render_template("offers_staff/deadline_new.html", types=types, errors=errors,
                           form=request.form)
