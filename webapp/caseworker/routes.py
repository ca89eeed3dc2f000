"""Views of the workspace: parse, check role and job centre, call a service, commit."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from typing import Any

from flask import (Response, abort, flash, jsonify, redirect, render_template,
                   request, url_for)
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from webapp.auth.tenancy import get_scoped_or_404, own_job_centre_id, roles_required
from webapp.caseworker.blueprint import bp
from webapp.caseworker import calendar as cal
from webapp.clock import now_local, today_local
from webapp.domain import bounds
from webapp.domain import export as export_file
from webapp.domain.errors import DomainError
from webapp.extensions import db
from webapp.language import error_text
from webapp.models import (AuditEvent, Booking, BookingStatus,
                           CallInTemplate, Caseworker, Citizen, DeadlineMode, Distribution, Letter,
                           MeetingForm, Role, Team)
from webapp.storage import audit
from webapp.admin.labels import enum_label, field_label
from webapp.booking.history import booking_history, citizens_named
from webapp.calendar.rooms import team_rooms
from webapp.calendar.team_week import team_week
from webapp.messaging import ics as calendar_ics
from webapp.callins import calling as callins
from webapp.callins import worklist
from webapp.caseworker.waiting import workspace
from webapp.callins import moves
from webapp.callins.form_choices import callin_choices
from webapp.administration.teams import active_members, teams_by_name
from webapp.citizens import service as citizen_service
from webapp.messaging import letters

STAFF = (Role.CASEWORKER, Role.ADMINISTRATOR)


def _own_caseworker() -> Caseworker | None:
    cw_id = getattr(current_user, "caseworker_id", None)
    if cw_id is None:
        return None
    caseworker = db.session.get(Caseworker, cw_id)
    if caseworker is None or caseworker.job_centre_id != own_job_centre_id():
        return None
    return caseworker


def _my_teams() -> list[Team]:
    """The caseworker's own teams; an administrator sees every team of the job centre."""
    caseworker = _own_caseworker()
    if current_user.role == Role.CASEWORKER:
        return sorted(caseworker.teams, key=lambda t: t.name) if caseworker else []
    return teams_by_name(own_job_centre_id())


def _members(team_ids: list[int]) -> list[Caseworker]:
    return active_members(team_ids)


# ---------------------------------------------------------------------------
# Calendar
# ---------------------------------------------------------------------------

def _calendar_subject() -> tuple[str, Caseworker | Team]:
    """Whose calendar: ?caseworker=, ?team=, else the user's own, else their first team."""
    teams = _my_teams()
    team_ids = [t.id for t in teams]
    if request.args.get("team"):
        team = get_scoped_or_404(Team, request.args.get("team", type=int))
        if team.id not in team_ids:
            abort(404)
        return "team", team
    if request.args.get("caseworker"):
        caseworker = get_scoped_or_404(Caseworker, request.args.get("caseworker", type=int))
        own = _own_caseworker()
        if current_user.role == Role.CASEWORKER and caseworker != own and \
                caseworker not in _members(team_ids):
            abort(404)
        return "caseworker", caseworker
    own = _own_caseworker()
    if own is not None:
        return "caseworker", own
    if teams:
        return "team", teams[0]
    abort(404)


@bp.get("/")
@roles_required(*STAFF)
def calendar() -> str | Response:
    subject_arg = request.args.get("subject")
    if subject_arg is not None:
        # The toolbar's one select ("team-3", "caseworker-7") and its "Vis" button.
        kind, _sep, raw_id = subject_arg.partition("-")
        if kind not in ("team", "caseworker") or _whole_number(raw_id) is None:
            abort(404)
        args = {kind: raw_id} | {k: v for k, v in request.args.items() if k in ("date", "view")}
        return redirect(url_for("workspace.calendar", **args))
    if not (request.args.get("team") or request.args.get("caseworker")) \
            and _own_caseworker() is None and not _my_teams():
        # A login not (yet) tied to a caseworker in a team: say so, not a bare 404.
        return render_template("caseworker/no_calendar.html")
    kind, subject = _calendar_subject()
    teams = _my_teams()
    initial = bounds.day_or(request.args.get("date"), today_local())
    own = _own_caseworker()
    feed_url = None
    if own is not None and own.ics_token:
        feed_url = url_for("workspace.ics_feed", token=own.ics_token, _external=True)
    grid = None
    if kind == "team":
        # the team's week as a column per caseworker, drawn on the server.
        grid = team_week(subject, _members([subject.id]), initial, request.args.get("view", "week"))
    return render_template("caseworker/calendar.html", kind=kind, subject=subject, teams=teams,
                           caseworkers=_members([t.id for t in teams]), initial=initial,
                           own=own, feed_url=feed_url, grid=grid)


@bp.get("/events")
@roles_required(*STAFF)
def events() -> Response:
    kind, subject = _calendar_subject()
    first = bounds.day_or(request.args.get("start"), today_local())
    last = bounds.day_or(request.args.get("end"), first + timedelta(days=7)) - timedelta(days=1)
    if last < first or (last - first).days > cal.MAX_DAYS:
        abort(400)
    if kind == "team":
        members = [cw.id for cw in _members([subject.id])]
        return jsonify(cal.team_events(subject, members, first, last))
    return jsonify(cal.caseworker_events(subject, first, last))


# ---------------------------------------------------------------------------
# Bookings
# ---------------------------------------------------------------------------

def _booking(booking_id: int) -> Booking:
    booking = get_scoped_or_404(Booking, booking_id)
    if booking.status == BookingStatus.RESERVED:
        abort(404)
    return booking


@bp.get("/bookings/<int:booking_id>")
@roles_required(*STAFF)
def booking_detail(booking_id: int) -> str:
    booking = _booking(booking_id)
    audit.record(AuditEvent.BOOKING_DETAILS_VIEWED, actor=current_user, booking_id=booking.id,
                 job_centre_id=booking.job_centre_id)
    # §1.9: the meeting's revision history, for the audit trail's readers (administrators of
    # the job centre the booking is scoped to). A citizen it names is a citizen seen: audited.
    history = booking_history(booking) if current_user.can_administer else None
    for citizen in citizens_named(history or []):
        audit.record(AuditEvent.BOOKING_DETAILS_VIEWED, actor=current_user, booking_id=booking.id,
                     citizen_id=citizen.id, job_centre_id=booking.job_centre_id,
                     details="Revisionsspor vist")
    db.session.commit()
    now = now_local()
    proposals = (moves.move_proposals(booking, now=now)
                 if booking.status == BookingStatus.BOOKED and booking.starts_at > now else [])
    team_caseworkers = moves.team_caseworkers(booking.team_id)
    names = {cw.id: cw.name for cw in team_caseworkers} | {
        cw.id: cw.name for cw in booking.caseworkers}
    return render_template("caseworker/booking.html", booking=booking, proposals=proposals,
                           names=names, team_caseworkers=team_caseworkers,
                           team_rooms=team_rooms(booking.team_id),
                           letters=letters.letters_of(booking.id),
                           address=letters.meeting_address(booking), now=now,
                           history=history, event_label=enum_label, field_label=field_label)


def _parse_datetime(raw: str | None, field: str) -> datetime:
    """A moment from a form; a year outside 1900–2100 is refused like a typing error (R-7.4)."""
    try:
        moment = datetime.fromisoformat((raw or "").strip()).replace(second=0, microsecond=0,
                                                                     tzinfo=None)
    except ValueError:
        raise DomainError.of("datetime_format", field=field, code="datetime_format") from None
    bounds.check_date(moment, "Tidspunkt", "Time", field=field)
    return moment


@bp.post("/bookings/<int:booking_id>/move")
@roles_required(*STAFF)
def move(booking_id: int) -> Response:
    """R-6.5: another time, caseworker or room; a refused move changes nothing and sends nothing."""
    booking = _booking(booking_id)
    try:
        proposal = request.form.get("proposal", "")
        if proposal and proposal != "custom":
            raw_start, _sep, raw_cw = proposal.partition("|")
            starts_at = _parse_datetime(raw_start, "proposal")
            caseworker_id = _whole_number(raw_cw) if raw_cw else None
            if raw_cw and caseworker_id is None:
                raise DomainError("Vælg et af forslagene.", "Choose one of the proposals.",
                                  field="proposal", code="proposal_format")
        else:
            raw_start = (request.form.get("starts_at") or "").strip()
            starts_at = _parse_datetime(raw_start, "starts_at") if raw_start else booking.starts_at
            caseworker_id = _int("caseworker_id")
        room_id = _room_choice(booking)
        moves.move_by_job_centre(booking, starts_at=starts_at, caseworker_id=caseworker_id,
                                 room_id=room_id, now=now_local(), actor=current_user)
        db.session.commit()
    except DomainError as error:
        db.session.rollback()
        flash(error_text(error), "error")
        return redirect(url_for("workspace.booking_detail", booking_id=booking_id))
    flash(_("The meeting has been moved to %(when)s.",
            when=booking.starts_at.strftime("%d.%m.%Y %H:%M")
            + (f", {booking.room.name}" if booking.room else "")), "success")
    return redirect(url_for("workspace.booking_detail", booking_id=booking.id))


def _room_choice(booking: Booking) -> Any:
    """The room field: absent keeps the room, "none" is no room, else a room's id."""
    raw = (request.form.get("room_id") or "").strip()
    if not raw:
        return moves.KEEP_ROOM
    if raw == "none":
        return None
    value = _whole_number(raw)
    if value is None:
        raise DomainError.of("room_not_in_team", field="room_id", code="room_not_in_team")
    return value


@bp.post("/bookings/<int:booking_id>/cancel")
@roles_required(*STAFF)
def cancel(booking_id: int) -> Response | str:
    """R-6.5: the first press asks for confirmation; only the confirmed one cancels and writes."""
    booking = _booking(booking_id)
    try:
        reason = moves.check_cancel_reason(request.form.get("reason", ""))
        if booking.status != BookingStatus.BOOKED:
            raise DomainError.of("already_cancelled", code="already_cancelled")
        if request.form.get("confirmed") != "1":
            # The question names the citizens: a look at the meeting, audited as one.
            audit.record(AuditEvent.BOOKING_DETAILS_VIEWED, actor=current_user,
                         booking_id=booking.id, job_centre_id=booking.job_centre_id,
                         details="Aflysning: bekræftelse vist")
            db.session.commit()
            return render_template("caseworker/cancel_confirm.html", booking=booking,
                                   reason=reason)
        moves.cancel_by_job_centre(booking, reason=reason, now=now_local(), actor=current_user)
        db.session.commit()
    except DomainError as error:
        db.session.rollback()
        flash(error_text(error), "error")
        return redirect(url_for("workspace.booking_detail", booking_id=booking_id))
    flash(_("The meeting has been cancelled. The citizen gets a letter."), "success")
    return redirect(url_for("workspace.booking_detail", booking_id=booking_id))


@bp.get("/bookings/<int:booking_id>/letters/<int:letter_id>")
@roles_required(*STAFF)
def letter_pdf(booking_id: int, letter_id: int) -> Response:
    booking = _booking(booking_id)
    letter = db.session.get(Letter, letter_id)
    if letter is None or letter.booking_id != booking.id:
        abort(404)
    audit.record(AuditEvent.BOOKING_DETAILS_VIEWED, actor=current_user, booking_id=booking.id,
                 citizen_id=letter.citizen_id, job_centre_id=booking.job_centre_id,
                 details=f"Brev hentet: {letter.filename}")
    pdf = letters.render_pdf(letter)  # rendered after its change's commit, now if not yet
    db.session.commit()
    response = Response(pdf, mimetype="application/pdf")
    # the letter opens in the browser's PDF viewer; saving it is one click from there.
    response.headers["Content-Disposition"] = f'inline; filename="{letter.filename}"'
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/citizens", methods=["GET", "POST"])
@roles_required(*STAFF)
def citizen_search() -> str:
    """R-6.1: find citizens by CPR number or name. A POST, so a CPR number is never in a URL;
    each search is one audit entry, without what was typed."""
    found: list[Citizen] | None = None
    error = None
    if request.method == "POST":
        job_centre_id = own_job_centre_id()
        try:
            found = citizen_service.find_citizens(job_centre_id, request.form.get("query", ""),
                                                  today=today_local())
        except DomainError as exc:
            error = error_text(exc)
        else:
            audit.record(AuditEvent.CITIZEN_CARD_VIEWED, actor=current_user,
                         job_centre_id=job_centre_id,
                         citizen_id=found[0].id if len(found) == 1 else None,
                         details=f"Borgersøgning: {len(found)} fundet")
            db.session.commit()
    return render_template("caseworker/citizen_search.html", found=found, error=error)


@bp.get("/citizens/<int:citizen_id>")
@roles_required(*STAFF)
def citizen_card(citizen_id: int) -> str:
    """R-6.1: the citizen's page; each opening is one audit entry."""
    citizen = get_scoped_or_404(Citizen, citizen_id)
    audit.record(AuditEvent.CITIZEN_CARD_VIEWED, actor=current_user, citizen_id=citizen.id,
                 job_centre_id=citizen.job_centre_id)
    db.session.commit()
    return render_template("caseworker/citizen.html",
                           overview=citizen_service.citizen_overview(citizen))


# ---------------------------------------------------------------------------
# Call-ins
# ---------------------------------------------------------------------------

def _choices() -> dict[str, Any]:
    return callin_choices(own_job_centre_id())


def _whole_number(raw: str) -> int | None:
    """A whole number the database's integer holds, or None (R-7.4).

    ASCII digits only: str.isdigit() also takes "²", which int() refuses, and other scripts'
    digits, which no one types into these fields.
    """
    if not re.fullmatch(r"-?[0-9]{1,10}", raw):
        return None
    value = int(raw)
    return value if bounds.INT_MIN <= value <= bounds.INT_MAX else None


def _int(name: str) -> int | None:
    raw = (request.form.get(name) or "").strip()
    if not raw:
        return None
    value = _whole_number(raw)
    if value is None:
        raise DomainError.of("not_a_number", field=name, code="not_a_number")
    return value


def _day(name: str) -> date | None:
    raw = (request.form.get(name) or "").strip()
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise DomainError("Skriv en dato som åååå-mm-dd.", "Enter a date as yyyy-mm-dd.",
                          field=name, code="date_format") from None


def _form_input(cpr_text: str, errors: list[DomainError]) -> callins.CallInInput:
    """The form as a `CallInInput`; a field that does not parse is left empty and its message
    added to `errors`, so every field's message shows at once (R-8.5)."""
    def field(parse: Any, *args: Any, default: Any = None) -> Any:
        try:
            return parse(*args)
        except DomainError as error:
            errors.append(error)
            return default

    def choice(enum_cls: Any, name: str, default: Any) -> Any:
        try:
            return enum_cls(request.form.get(name) or default)
        except ValueError:
            errors.append(DomainError("Ugyldigt valg.", "Invalid choice.", field=name))
            return enum_cls(default)

    raw_start = (request.form.get("starts_at") or "").strip()
    return callins.CallInInput(
        job_centre_id=own_job_centre_id(), cprs=callins.parse_cprs(cpr_text),
        template_id=field(_int, "template_id"),
        conversation_type_id=field(_int, "conversation_type_id"),
        variant_id=field(_int, "variant_id"),
        meeting_form=choice(MeetingForm, "meeting_form", MeetingForm.INDIVIDUAL),
        holding_form_id=field(_int, "holding_form_id"), team_id=field(_int, "team_id"),
        room_id=field(_int, "room_id"),
        caseworker_ids=[v for v in map(_whole_number, request.form.getlist("caseworker_ids"))
                        if v is not None],
        duration_minutes=field(_int, "duration_minutes"),
        reporting_minutes=field(_int, "reporting_minutes") or 0,
        deadline_mode=choice(DeadlineMode, "deadline_mode", DeadlineMode.DAYS_AFTER_CREATION),
        deadline_days=field(_int, "deadline_days"),
        distribution=choice(Distribution, "distribution", Distribution.AUTOMATIC),
        earliest_date=field(_day, "earliest_date"), deadline_date=field(_day, "deadline_date"),
        fall_date=field(_day, "fall_date"),
        starts_at=field(_parse_datetime, raw_start, "starts_at") if raw_start else None,
        description=(request.form.get("description") or "").strip() or None,
        message_to_caseworkers=(request.form.get("message_to_caseworkers") or "").strip() or None,
        more_sessions=request.form.get("more_sessions") == "1")


def _one_per_field(errors: list[DomainError]) -> list[DomainError]:
    """The first message of each field, in order; a field's later messages follow from it."""
    seen: set[str | None] = set()
    kept = []
    for error in errors:
        if error.field is not None and error.field in seen:
            continue
        seen.add(error.field)
        kept.append(error)
    return kept


@bp.route("/callins/new", methods=["GET", "POST"])
@roles_required(*STAFF)
def new_callin() -> str | Response:
    choices = _choices()
    errors: list[DomainError] = []
    cpr_text = request.form.get("cprs", "") if request.method == "POST" else ""
    if request.method == "POST":
        data = _form_input(cpr_text, errors)
        if errors:
            # A field that did not parse: the other fields' rules are checked too, not sent.
            errors += callins.check_input(data, today=today_local())
            db.session.rollback()
        else:
            try:
                result = callins.create_callins(data, now=now_local(), actor=current_user)
                db.session.commit()
            except callins.CallInErrors as exc:
                db.session.rollback()
                errors = exc.errors
            except DomainError as exc:
                db.session.rollback()
                errors = [exc]
            else:
                if result.bookings:
                    # "1 borger indkaldt: 1 samtale booket.", each number with its own plural.
                    flash(ngettext("%(num)s citizen called in:", "%(num)s citizens called in:",
                                   len(result.callins)) + " "
                          + ngettext("%(num)s meeting booked.", "%(num)s meetings booked.",
                                     len(result.bookings)), "success")
                    first = result.bookings[0]
                    return redirect(url_for("workspace.calendar", date=first.starts_at.date().isoformat()))
                flash(ngettext("%(num)s citizen called in and placed on the waiting list.",
                               "%(num)s citizens called in and placed on the waiting list.",
                               len(result.callins)), "success")
                return redirect(url_for("workspace.waiting_list"))
    else:
        template_id = request.args.get("template", type=int)
        template = get_scoped_or_404(CallInTemplate, template_id) if template_id else None
        if template is not None:
            data = callins.from_template(template, today=today_local())
        else:
            own = _own_caseworker()
            team = (own.teams[0] if own and own.teams else None)
            data = callins.CallInInput(job_centre_id=own_job_centre_id(),
                                       team_id=team.id if team else None,
                                       caseworker_ids=[own.id] if own else [])
    errors = _one_per_field(errors)
    by_field = {e.field: error_text(e) for e in errors if e.field in CALLIN_FIELDS}
    field_errors = {name: by_field[name] for name in CALLIN_FIELDS if name in by_field}
    other_errors = [error_text(e) for e in errors if e.field not in CALLIN_FIELDS]
    return render_template("caseworker/callin_form.html", data=data, cpr_text=cpr_text,
                           errors=errors, field_errors=field_errors, other_errors=other_errors,
                           **choices), (400 if errors else 200)


#: The call-in form's fields that show their own message under them; others show at the top.
CALLIN_FIELDS = ("cprs", "conversation_type_id", "variant_id", "holding_form_id", "team_id",
                 "room_id", "caseworker_ids", "duration_minutes", "reporting_minutes",
                 "deadline_mode", "deadline_days", "distribution", "earliest_date",
                 "deadline_date", "fall_date", "starts_at", "meeting_form")


def _int_or_none(raw: str | None) -> int | None:
    return _whole_number(raw.strip()) if raw else None


# ---------------------------------------------------------------------------
# Waiting list export
# ---------------------------------------------------------------------------

# the waiting list's columns in a file, in Danish whatever the screen's language.
WAITING_EXPORT_HEADERS = ("Borger", "CPR-nummer", "Samtaletype", "Team", "Tidligste dato", "Frist",
                          "Ventet (dage)", "Prioritet", "Status", "Ikke placeret, fordi")
CALLIN_STATUS_WORDS = {"waiting": "Venter", "placed": "Placeret", "cancelled": "Trukket tilbage"}


@bp.get("/waiting/export.<export_type>")
@roles_required(*STAFF)
def waiting_list_export(export_type: str) -> Response:
    """R-6.11: the waiting list as CSV or Excel: the call-ins the page shows, from the same query
    and filters, CPR numbers masked as on the page, one audit entry per export. A bad filter is
    the page's Danish message, and nothing is exported or audited."""
    try:
        if export_type not in export_file.EXPORT_TYPES:
            raise export_file.EXPORT_TYPE_UNKNOWN
        job_centre_id = own_job_centre_id()
        teams = workspace._my_teams()
        filters = worklist.parse_filters(request.args)
        rows = worklist.callin_rows(job_centre_id, [t.id for t in teams], filters,
                                    today=today_local(),
                                    warning_days=worklist.deadline_warning_days())
    except DomainError as error:
        flash(error_text(error), "error")
        return redirect(url_for("workspace.waiting_list"))
    values = [(r.callin.citizen.name, r.callin.citizen.masked_cpr, r.callin.conversation_type.name,
               r.callin.team.name, r.callin.earliest_date, r.callin.deadline_date, r.days_waited,
               r.callin.priority, CALLIN_STATUS_WORDS.get(r.callin.status.value, r.callin.status.value),
               r.callin.unplaced_reason) for r in rows]
    body = export_file.render(export_type, WAITING_EXPORT_HEADERS, values, title="Afventerliste")
    shown = {"Teams": ", ".join(t.name for t in teams)} | {
        key: value for key, value in request.args.items()
        if key in ("status", "team", "caseworker", "type", "deadline_by", "min_days", "sort")}
    audit.record_export(actor=current_user, job_centre_id=job_centre_id, list_name="Afventerliste",
                        export_type=export_type, rows=len(values), filters=shown)
    db.session.commit()
    filename = f"afventerliste_{now_local():%Y-%m-%d_%H-%M}.{export_type}"
    return Response(body, mimetype=export_file.MIMETYPES[export_type],
                    headers={"Content-Disposition": f"attachment; filename={filename}"})


# ---------------------------------------------------------------------------
# Private calendar feed
# ---------------------------------------------------------------------------

@bp.post("/feed")
@roles_required(*STAFF)
def feed_issue() -> Response:
    own = _own_caseworker()
    if own is None:
        abort(404)
    calendar_ics.issue_feed_token(own)
    audit.record(AuditEvent.ADMIN_UPDATED, actor=current_user, obj=own,
                 details="Ny adresse til privat kalender-feed")
    db.session.commit()
    flash(_("A new private calendar address has been made; the old one no longer works."), "success")
    return redirect(url_for("workspace.calendar"))


@bp.post("/feed/revoke")
@roles_required(*STAFF)
def feed_revoke() -> Response:
    own = _own_caseworker()
    if own is None:
        abort(404)
    calendar_ics.revoke_feed_token(own)
    audit.record(AuditEvent.ADMIN_UPDATED, actor=current_user, obj=own,
                 details="Privat kalender-feed tilbagekaldt")
    db.session.commit()
    flash(_("The private calendar address has been revoked."), "success")
    return redirect(url_for("workspace.calendar"))


@bp.get("/feed/<token>.ics")
def ics_feed(token: str) -> Response:
    """No login: the secret address is the key (calendar programs cannot log in)."""
    caseworker = calendar_ics.caseworker_for_token(token)
    if caseworker is None:
        abort(404)
    now = now_local()
    body = calendar_ics.feed(caseworker, today=now.date(), now=now)
    response = Response(body, mimetype="text/calendar")
    response.headers["Cache-Control"] = "private, max-age=300"
    return response


@bp.after_request
def no_store(response: Response) -> Response:
    # Pages with citizens' data are never cached; the feed sets its own header.
    response.headers.setdefault("Cache-Control", "no-store")
    return response


# The waiting list, its bulk actions and editing a waiting call-in.
from webapp.caseworker import waiting  # noqa: E402,F401  (registers the views)
