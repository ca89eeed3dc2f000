"""The administration module: Flask-Admin, Danish, menu in the manual's order (SPEC §1)."""

from __future__ import annotations

from flask import Flask
from flask_admin import Admin
from flask_admin.theme import Bootstrap4Theme

from webapp import models as m
from webapp.admin import views as v
from webapp.admin.base import PlannerIndexView

SUPPORT = "Support"
OVERVIEW = "Oversigt"


def init_admin(app: Flask) -> Admin:
    admin = Admin(
        app, name="Samtaleplanlægning",
        index_view=PlannerIndexView(name="Forside", url="/admin"),
        theme=Bootstrap4Theme(base_template="admin/planner_base.html", fluid=True),
    )
    # The left menu of SPEC §1, in that order.
    admin.add_view(v.CaseworkerView(m.Caseworker, name="Vejledere", endpoint="caseworker"))
    admin.add_view(v.CompetenceView(m.Competence, name="Kompetencer", endpoint="competence"))
    admin.add_view(v.TeamView(m.Team, name="Teams", endpoint="team"))
    admin.add_view(v.LocalClosureDayView(m.LocalClosureDay, name="Lokale lukkedage",
                                         endpoint="localclosureday"))
    admin.add_view(v.RoomView(m.Room, name="Mødelokaler", endpoint="room"))
    admin.add_view(v.CallInTemplateView(m.CallInTemplate, name="Indkaldelsesskabeloner",
                                        endpoint="callintemplate"))
    admin.add_view(v.ConversationTypeView(m.ConversationType, name="Samtaletyper",
                                          endpoint="conversationtype"))
    admin.add_view(v.VariantView(m.Variant, name="Samtaletypevarianter", endpoint="variant"))
    admin.add_view(v.LetterTemplateView(m.LetterTemplate, name="Brevmodul", endpoint="lettertemplate"))
    admin.add_view(v.AuditTrailView(m.AuditEntry, name="Revisionsspor", endpoint="audit"))
    admin.add_view(v.SystemLogView(m.SystemLogEntry, name="Systemlog", endpoint="systemlog"))
    admin.add_view(v.InboundLogView(m.InboundMessage, name="WSRM-log", endpoint="inbound"))
    admin.add_view(v.AboutView(name="Om", endpoint="about"))

    admin.add_view(v.OnlineOfferView(m.OnlineOffer, name="Online tilbud", endpoint="offer",
                                     category=OVERVIEW))
    admin.add_view(v.CallInView(m.CallIn, name="Afventerliste", endpoint="callin", category=OVERVIEW))
    admin.add_view(v.BookingView(m.Booking, name="Samtaler", endpoint="booking", category=OVERVIEW))
    admin.add_view(v.CitizenView(m.Citizen, name="Borgere", endpoint="citizen", category=OVERVIEW))

    admin.add_view(v.JobCentreView(m.JobCentre, name="Jobcentre", endpoint="jobcentre",
                                   category=SUPPORT))
    admin.add_view(v.NationalClosureDayView(m.NationalClosureDay, name="Nationale lukkedage",
                                            endpoint="nationalclosureday", category=SUPPORT))
    admin.add_view(v.UserView(m.User, name="Brugere", endpoint="user", category=SUPPORT))
    admin.add_view(v.HoldingFormView(m.HoldingForm, name="Afholdelsesformer",
                                     endpoint="holdingform", category=SUPPORT))
    admin.add_view(v.ContactGroupView(m.ContactGroup, name="Kontaktgrupper",
                                      endpoint="contactgroup", category=SUPPORT))
    return admin
