"""Portal pages: thin views over `webapp.selfbooking.reservations` (R-4.2 – R-4.9)."""

from __future__ import annotations

import logging
from datetime import date, datetime, timedelta
from functools import wraps
from typing import Any

from flask import abort, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from webapp.ratelimit import booking_limit, citizen_key, limiter, login_limit
from webapp.auth.forms import CitizenLoginForm
from webapp.auth.sessions import begin_login_attempt, start_session
from webapp.clock import now_local
from webapp.domain import bounds
from webapp.domain.cpr import normalise_cpr
from webapp.domain.errors import DomainError
from webapp.extensions import db
from webapp.models import MeetingForm, OnlineOffer
from webapp.portal.blueprint import bp
from webapp.portal.authn import authenticator
from webapp.portal.helpers import citizen, map_link, message
from webapp.selfbooking import deadlines
from webapp.administration import login_throttle
from webapp.selfbooking import offers
from webapp.messaging import ics, receipts
from webapp.messaging.letters import meeting_address
from webapp.selfbooking import reservations as selfbooking
from webapp.selfbooking import meetings as meeting_service
from webapp.selfbooking import slots as slot_service

log = logging.getLogger(__name__)


def citizen_required(view: Any) -> Any:
    @wraps(view)
    @login_required
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if getattr(current_user, "role", None) != "citizen":
            return redirect(url_for("auth.index"))
        return view(*args, **kwargs)
    return wrapped


@bp.errorhandler(429)
def too_many(error: Any) -> tuple[str, int]:
    return render_template("portal/error.html", title=_("Too many attempts"),
                           text=_("Too many attempts. Please wait a minute and try again.")), 429


# ---------------------------------------------------------------------------
# Log in (demo: CPR + code; pluggable) and home
# ---------------------------------------------------------------------------

@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(login_limit, methods=["POST"])
def login() -> str | Response:
    form = CitizenLoginForm()
    if form.validate_on_submit():
        try:
            cpr = normalise_cpr(form.cpr.data)
        except DomainError as error:
            form.cpr.errors.append(message(error))  # type: ignore[attr-defined]
        else:
            # The CPR number goes into the failure count only as a keyed hash.
            account, locked = begin_login_attempt("citizen", cpr)
            if locked is not None:
                flash(message(locked), "error")
                return render_template("portal/login.html", form=form), 429
            found = authenticator().authenticate(cpr, form.code.data or "")
            if found is not None:
                login_throttle.succeeded(account)
                start_session(found)
                db.session.commit()
                return redirect(url_for("portal.home"))
            flash(_("Wrong CPR number or code."), "error")
    return render_template("portal/login.html", form=form)


@bp.get("/")
@citizen_required
def home() -> str:
    me = citizen()
    now = now_local()
    meetings = selfbooking.live_bookings_of(me, now)
    return render_template("portal/home.html", meetings=meetings, now=now,
                           deadlines=deadlines.open_deadlines(me),
                           offer_count=len(offers.offers_for_citizen(me, now.date())))


# ---------------------------------------------------------------------------
# Offers and slots
# ---------------------------------------------------------------------------

@bp.get("/offers")
@citizen_required
def offer_list() -> str:
    me = citizen()
    today = now_local().date()
    found = offers.offers_for_citizen(me, today)
    return render_template("portal/offers.html", offers=found, today=today, window=offers.window,
                           contact=None if found else meeting_service.contact_for_citizen(me))


def _offer_or_404(offer_id: int) -> OnlineOffer:
    try:
        return offers.offer_for_citizen(offer_id, citizen(), now_local().date())
    except DomainError:
        abort(404)


def _week_of(raw: str | None, default: date) -> date:
    try:
        day = date.fromisoformat(raw) if raw else default
    except ValueError:
        day = default
    if not bounds.within_years(day):
        day = default
    return day - timedelta(days=day.weekday())


def _day_arg(raw: str | None) -> date | None:
    try:
        day = date.fromisoformat(raw) if raw else None
    except ValueError:
        return None
    return day if day is not None and bounds.within_years(day) else None


def _slot_page(slots: list[slot_service.Slot], start: date, span: tuple[date, date] | None
               ) -> dict[str, Any]:
    """One week of days with the count of free times, and the chosen day's times (R-8.6).

    Day first, then time: the strip shows the week's days as links (a GET parameter, so no
    script is needed), the form only the chosen day's times with the action right under them.
    """
    chosen = _day_arg(request.args.get("day"))
    week_start = _week_of(chosen.isoformat() if chosen else request.args.get("week"),
                          slots[0].starts_at.date() if slots else start)
    if span is not None:
        week_start = max(week_start, span[0] - timedelta(days=span[0].weekday()))
    week_end = week_start + timedelta(days=6)
    by_day: dict[date, list[slot_service.Slot]] = {}
    for slot in slots:
        if week_start <= slot.starts_at.date() <= week_end:
            by_day.setdefault(slot.starts_at.date(), []).append(slot)
    if chosen not in by_day:
        chosen = next(iter(by_day), None)
    # Monday to Friday always, a weekend day only when it has times.
    strip = [(day, len(by_day.get(day, [])))
             for day in (week_start + timedelta(days=n) for n in range(7))
             if day.weekday() < 5 or day in by_day]
    later = next((s for s in slots if s.starts_at.date() > week_end), None)
    earlier = next((s for s in reversed(slots) if s.starts_at.date() < week_start), None)
    return {"days": by_day, "strip": strip, "chosen_day": chosen,
            "chosen_slots": by_day.get(chosen, []) if chosen else [],
            "week_start": week_start, "week_end": week_end,
            "week_number": week_start.isocalendar()[1],
            "next_week": (week_end + timedelta(days=1)).isoformat() if later else None,
            "previous_week": (week_start - timedelta(days=7)).isoformat() if earlier else None,
            "next_free": later.starts_at if later and not by_day else None,
            "next_free_week": later.starts_at.date().isoformat() if later and not by_day else None}


@bp.get("/offers/<int:offer_id>")
@citizen_required
def offer_detail(offer_id: int) -> str:
    offer = _offer_or_404(offer_id)
    now = now_local()
    caseworker_id = request.args.get("caseworker", type=int)
    if not offer.citizen_chooses_caseworker:
        caseworker_id = None
    slots = slot_service.list_slots(offer, now=now, caseworker_id=caseworker_id)
    span = offers.window(offer, now.date())
    existing = selfbooking.live_bookings_of(citizen(), now, offer_id=offer.id)
    return render_template(
        "portal/offer.html", offer=offer, caseworker_id=caseworker_id, existing=existing,
        caseworkers=sorted(offer.caseworkers, key=lambda c: c.name), span=span,
        group=offer.meeting_form == MeetingForm.GROUP, **_slot_page(slots, now.date(), span))


def _choice_from_form() -> dict[str, Any]:
    session_id = request.form.get("session_id", type=int)
    raw = request.form.get("slot", "")
    starts_at = None
    if raw.startswith("s") and raw[1:].isdigit():
        session_id = int(raw[1:])
    elif raw:
        try:
            starts_at = datetime.fromisoformat(raw)
        except ValueError:
            starts_at = None
    if starts_at is None and session_id is None:
        raise DomainError("Vælg en tid.", "Choose a time.", field="slot", code="slot_missing")
    return {"starts_at": starts_at, "session_id": session_id,
            "caseworker_id": request.form.get("caseworker_id", type=int) or None}


@bp.post("/offers/<int:offer_id>/reserve")
@citizen_required
@limiter.limit(booking_limit, key_func=citizen_key)
def reserve(offer_id: int) -> Response:
    offer = _offer_or_404(offer_id)
    me = citizen()
    now = now_local()
    try:
        choice = _choice_from_form()
        reservation = selfbooking.reserve(me, offer, now=now, **choice)
    except DomainError as error:
        db.session.rollback()
        flash(message(error), "error")
        return redirect(url_for("portal.offer_detail", offer_id=offer_id,
                                week=request.form.get("week") or None,
                                day=request.form.get("day") or None,
                                caseworker=request.form.get("caseworker_id") or None))
    db.session.commit()
    return redirect(url_for("portal.reservation", reservation_id=reservation.id))


@bp.get("/reservations/<reservation_id>")
@citizen_required
def reservation(reservation_id: str) -> str | Response:
    now = now_local()
    try:
        held = selfbooking.find_reservation(citizen(), reservation_id, now)
    except DomainError as error:
        flash(message(error), "error")
        return redirect(url_for("portal.offer_list"))
    return render_template("portal/reservation.html", reservation=held, booking=held.booking,
                           now=now, place=receipts.meeting_place(held.booking))


@bp.post("/reservations/<reservation_id>/confirm")
@citizen_required
@limiter.limit(booking_limit, key_func=citizen_key)
def confirm(reservation_id: str) -> Response:
    me = citizen()
    now = now_local()
    try:
        booking = selfbooking.confirm(me, reservation_id, now=now)
    except DomainError as error:
        db.session.rollback()
        flash(message(error), "error")
        return redirect(url_for("portal.offer_list"))
    booking_id = booking.id
    db.session.commit()
    flash(_("Your meeting is booked. A receipt is on its way to your e-mail."), "success")
    return redirect(url_for("portal.meeting", booking_id=booking_id))


@bp.post("/reservations/<reservation_id>/release")
@citizen_required
def release(reservation_id: str) -> Response:
    try:
        selfbooking.release(citizen(), reservation_id, now=now_local())
        db.session.commit()
    except DomainError:
        db.session.rollback()
    flash(_("The time was released."), "info")
    return redirect(url_for("portal.offer_list"))


# ---------------------------------------------------------------------------
# My meetings, cancel and rebook
# ---------------------------------------------------------------------------

def _own(booking_id: int):  # type: ignore[no-untyped-def]
    """The citizen's meeting; for one she rebooked into another, her way to that one (R-8.1)."""
    try:
        return meeting_service.booking_for_citizen(citizen(), booking_id)
    except DomainError:
        moved = meeting_service.moved_to(citizen(), booking_id)
        if moved is None:
            abort(404)
        flash(_("Your meeting no. %(old)s has moved: it is now meeting no. %(new)s.",
                old=booking_id, new=moved.id), "info")
        abort(redirect(url_for("portal.meeting", booking_id=moved.id)))


@bp.get("/meetings/<int:booking_id>")
@citizen_required
def meeting(booking_id: int) -> str:
    booking = _own(booking_id)
    meeting_service.see_booking(citizen(), booking)
    now = now_local()
    can_cancel = meeting_service.can_cancel(booking, now)
    can_rebook = meeting_service.can_rebook(booking, now)
    html = render_template("portal/meeting.html", booking=booking, now=now,
                           place=receipts.meeting_place(booking),
                           map_url=map_link(meeting_address(booking)),
                           can_cancel=can_cancel, can_rebook=can_rebook,
                           contact=None if can_cancel and can_rebook
                           else meeting_service.contact_of_team(booking.team))
    db.session.commit()
    return html


@bp.get("/meetings/<int:booking_id>/calendar.ics")
@citizen_required
def meeting_calendar(booking_id: int) -> Response:
    """R-8.6: "add to calendar": the citizen's own meeting as an .ics file; a read, so audited."""
    booking = _own(booking_id)
    meeting_service.see_booking(citizen(), booking)
    body = ics.for_citizen(booking, receipts.meeting_place(booking), now=now_local())
    db.session.commit()
    response = make_response(body)
    response.headers["Content-Type"] = "text/calendar; charset=utf-8"
    response.headers["Content-Disposition"] = f'attachment; filename="samtale-{booking_id}.ics"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.route("/meetings/<int:booking_id>/cancel", methods=["GET", "POST"])
@citizen_required
@limiter.limit(booking_limit, key_func=citizen_key, methods=["POST"])
def cancel(booking_id: int) -> str | Response:
    booking = _own(booking_id)
    now = now_local()
    if request.method == "POST":
        try:
            booking = meeting_service.cancel(citizen(), booking, now=now,
                                         reason=request.form.get("reason", "")[:500])
        except DomainError as error:
            db.session.rollback()
            flash(message(error), "error")
            return redirect(url_for("portal.meeting", booking_id=booking_id))
        db.session.commit()
        flash(_("You have cancelled the meeting. A receipt is on its way to your e-mail."), "success")
        return redirect(url_for("portal.home"))
    return render_template("portal/cancel.html", booking=booking, now=now,
                           place=receipts.meeting_place(booking),
                           allowed=meeting_service.can_cancel(booking, now))


@bp.route("/meetings/<int:booking_id>/rebook", methods=["GET", "POST"])
@citizen_required
@limiter.limit(booking_limit, key_func=citizen_key, methods=["POST"])
def rebook(booking_id: int) -> str | Response:
    booking = _own(booking_id)
    me = citizen()
    now = now_local()
    if request.method == "POST":
        try:
            choice = _choice_from_form()
            booking = meeting_service.rebook(me, booking, now=now, **choice)
        except DomainError as error:
            db.session.rollback()
            flash(message(error), "error")
            return redirect(url_for("portal.rebook", booking_id=booking_id,
                                    week=request.form.get("week") or None,
                                    day=request.form.get("day") or None))
        new_id = booking.id
        db.session.commit()
        flash(_("Your meeting has been moved. A receipt is on its way to your e-mail."), "success")
        return redirect(url_for("portal.meeting", booking_id=new_id))
    try:
        slots = meeting_service.rebook_slots(me, booking, now=now)
    except DomainError as error:
        flash(message(error), "error")
        return redirect(url_for("portal.meeting", booking_id=booking_id))
    offer = db.session.get(OnlineOffer, booking.offer_id)
    span = offers.window(offer, now.date()) if offer else None
    return render_template("portal/rebook.html", booking=booking, offer=offer, now=now,
                           group=booking.meeting_form == MeetingForm.GROUP,
                           **_slot_page(slots, now.date(), span))
