"""The administration module: Flask-Admin, Danish, menu in the manual's order (SPEC §1)."""

from __future__ import annotations

from pathlib import Path

from flask import Flask
from flask_admin import Admin
from flask_admin import babel as admin_babel
from flask_admin.helpers import get_current_view
from flask_babel import lazy_gettext as _l
from flask_admin.theme import Bootstrap4Theme

from webapp import models as m
from webapp.admin import views as v
from webapp.admin.absences import AbsenceView
from webapp.admin.base import PlannerIndexView
from webapp.admin.planning import PlanningView
from webapp.admin.room_calendar import RoomCalendarView
from webapp.admin.users import UserView

SUPPORT = _l("Support")
OVERVIEW = _l("Overview")


class _OwnCatalogLast(type(admin_babel.domain)):
    """Flask-Admin's message domain with our catalog merged last. Flask-Babel merges a domain's
    catalogs in the order of its directories, each overriding the ones before; Flask-Admin lists
    ours first, so its bundled Danish ("Oprette", "Post blev gemt.") won over our corrections."""

    @property
    def translation_directories(self) -> list[str]:
        view = get_current_view()
        own = view.admin.translations_path if view is not None else None
        bundled = [d for d in super().translation_directories if d != own]
        return bundled + [own] if own else bundled


# Flask-Admin's gettext functions are bound to this one instance, so its class is swapped.
if type(admin_babel.domain) is not _OwnCatalogLast:
    admin_babel.domain.__class__ = _OwnCatalogLast


def init_admin(app: Flask) -> Admin:
    admin = Admin(
        app, name=_l("Conversation planner"),
        index_view=PlannerIndexView(name=_l("Home"), url="/admin"),
        theme=Bootstrap4Theme(base_template="admin/planner_base.html", fluid=True),
        # Fills the gaps of Flask-Admin's Danish catalog (domain "admin").
        translations_path=str(Path(__file__).resolve().parent.parent / "translations"),
    )
    # The left menu of SPEC §1, in that order.
    admin.add_view(v.CaseworkerView(m.Caseworker, name=_l("Caseworkers"), endpoint="caseworker"))
    admin.add_view(AbsenceView(m.Absence, name=_l("Absence"), endpoint="absence"))
    admin.add_view(v.CompetenceView(m.Competence, name=_l("Competences"), endpoint="competence"))
    admin.add_view(v.TeamView(m.Team, name=_l("Teams"), endpoint="team"))
    admin.add_view(v.LocalClosureDayView(m.LocalClosureDay, name=_l("Local closure days"),
                                         endpoint="localclosureday"))
    admin.add_view(v.RoomView(m.Room, name=_l("Meeting rooms"), endpoint="room"))
    admin.add_view(v.CallInTemplateView(m.CallInTemplate, name=_l("Call-in templates"),
                                        endpoint="callintemplate"))
    admin.add_view(v.ConversationTypeView(m.ConversationType, name=_l("Conversation types"),
                                          endpoint="conversationtype"))
    admin.add_view(v.VariantView(m.Variant, name=_l("Conversation type variants"), endpoint="variant"))
    admin.add_view(v.LetterTemplateView(m.LetterTemplate, name=_l("Letter module"), endpoint="lettertemplate"))
    admin.add_view(v.AuditTrailView(m.AuditEntry, name=_l("Audit trail"), endpoint="audit"))
    admin.add_view(v.SystemLogView(m.SystemLogEntry, name=_l("System log"), endpoint="systemlog"))
    admin.add_view(v.InboundLogView(m.InboundMessage, name=_l("Inbound log (WSRM)"), endpoint="inbound"))
    admin.add_view(v.AboutView(name=_l("About"), endpoint="about"))
    # Reached from the team and closure-day lists, not from the menu.
    admin.add_view(v.TeamCalendarView(name=_l("Team calendar"), endpoint="teamcalendar"))
    admin.add_view(RoomCalendarView(name=_l("Room calendar"), endpoint="roomcalendar"))

    admin.add_view(v.OnlineOfferView(m.OnlineOffer, name=_l("Online offers"), endpoint="offer",
                                     category=OVERVIEW))
    admin.add_view(v.CallInView(m.CallIn, name=_l("Waiting list"), endpoint="callin", category=OVERVIEW))
    admin.add_view(PlanningView(name=_l("Planning"), endpoint="planning", category=OVERVIEW))
    admin.add_view(v.BookingView(m.Booking, name=_l("Bookings"), endpoint="booking", category=OVERVIEW))
    admin.add_view(v.SelfBookingDeadlineView(m.SelfBookingDeadline, name=_l("Self-booking deadlines"),
                                             endpoint="deadline", category=OVERVIEW))
    admin.add_view(v.OutboxView(m.OutboxMessage, name=_l("Outbox"), endpoint="outbox",
                                category=OVERVIEW))
    admin.add_view(v.CitizenView(m.Citizen, name=_l("Citizens"), endpoint="citizen", category=OVERVIEW))

    admin.add_view(v.JobCentreView(m.JobCentre, name=_l("Job centres"), endpoint="jobcentre",
                                   category=SUPPORT))
    admin.add_view(v.NationalClosureDayView(m.NationalClosureDay, name=_l("National closure days"),
                                            endpoint="nationalclosureday", category=SUPPORT))
    # Administrators manage their own job centre's logins, support everyone's.
    admin.add_view(UserView(m.User, name=_l("Users"), endpoint="user", category=SUPPORT))
    admin.add_view(v.HoldingFormView(m.HoldingForm, name=_l("Holding forms"),
                                     endpoint="holdingform", category=SUPPORT))
    admin.add_view(v.ContactGroupView(m.ContactGroup, name=_l("Contact groups"),
                                      endpoint="contactgroup", category=SUPPORT))
    return admin
