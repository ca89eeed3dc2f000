"""Call-in templates (R-1.5.x), conversation types (R-1.6.1) and variants with letters (R-1.7.x)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from tests.factories import login
from tests.web.admin_support import field_errors, post
from webapp.extensions import db
from webapp.models import (AuditEntry, CallInTemplate, ContactGroup, ConversationType, HoldingForm,
                           LetterActivity, LetterRule, LetterTemplate, MeetingForm, Role, Team,
                           Variant)


@pytest.fixture
def admin(reference_data, create_job_centre, create_user):
    job_centre = create_job_centre("Jobcenter Aarhus", root_team="Aarhus Jobcenter",
                                   child_team="Ungeindsatsen")
    return create_user(Role.ADMINISTRATOR, job_centre)


def _team(name: str) -> Team:
    return db.session.scalar(select(Team).where(Team.name == name))


def _type(code: int) -> ConversationType:
    return db.session.scalar(select(ConversationType).where(ConversationType.code == code))


def _form(code: str) -> HoldingForm:
    return db.session.scalar(select(HoldingForm).where(HoldingForm.code == code))


@pytest.fixture
def team_setup(admin, create_caseworker, create_room, create_team):
    team = _team("Ungeindsatsen")
    other = create_team(admin.job_centre, parent=_team("Aarhus Jobcenter"), name="Sygedagpenge")
    inside = create_caseworker(admin.job_centre, teams=[team], name="Anna Holm")
    outside = create_caseworker(admin.job_centre, teams=[other], name="Bo Kjærsgaard")
    room = create_room(admin.job_centre, name="Lokale Unge", capacity=10)
    room.teams.append(team)
    foreign_room = create_room(admin.job_centre, name="Lokale Syg")
    foreign_room.teams.append(other)
    db.session.commit()
    return {"team": team, "inside": inside, "outside": outside, "room": room,
            "foreign_room": foreign_room}


def _template(setup: dict, **changes: object) -> dict:
    data = {"name": "Jobsamtale unge", "conversation_type": _type(7).id, "variant": "__None",
            "meeting_form": "individual", "holding_form": _form("in_person").id,
            "team": setup["team"].id, "room": setup["room"].id, "caseworkers": [setup["inside"].id],
            "duration_minutes": "45", "reporting_minutes": "15", "deadline_mode": "days_after_creation",
            "deadline_days": "14", "distribution": "automatic", "earliest_after_days": "3",
            "description": "Samtale om job", "message_to_caseworkers": "Husk CV",
            "letter_text": "Velkommen", "accept_cancellation": "y", "accept_rebooking": "y",
            "rebooking_until_days": "2", "citizen_chooses_caseworker": "",
            "first_meeting_date": "2030-04-01", "fixed_end_date": "2030-06-30",
            "rolling_end_weeks": "4", "visible_from": "2030-03-20", "contact_groups": []}
    return data | changes


def test_r_1_5_1_r_1_5_2_r_1_5_3_template_with_all_three_tabs(client, admin, team_setup):
    login(client, admin)
    form = client.get("/admin/callintemplate/new/").get_data(as_text=True)
    for tab in ("Detaljer", "Beskeder", "Online booking"):
        assert f">{tab}</a>" in form
    assert ">Fællesmøde</option>" in form and ">Fordel samtaler automatisk</option>" in form
    assert ">Frist for afholdelse N dage efter oprettelse</option>" in form
    assert post(client, "/admin/callintemplate/new/", _template(team_setup))[0] == 302
    template = db.session.scalar(select(CallInTemplate))
    assert (template.deadline_days, template.earliest_after_days, template.duration_minutes) == (14, 3, 45)
    assert template.caseworkers == [team_setup["inside"]] and template.room == team_setup["room"]


def test_r_1_5_2_r_1_5_3_settings_that_do_not_apply_are_cleared(client, admin, team_setup):
    login(client, admin)
    assert post(client, "/admin/callintemplate/new/",
                _template(team_setup, deadline_mode="fall_date", deadline_days="10",
                          distribution="fixed_time", earliest_after_days="5"))[0] == 302
    template = db.session.scalar(select(CallInTemplate))
    assert (template.deadline_days, template.earliest_after_days) == (None, None)


def test_r_1_5_caseworker_and_room_options_follow_the_team(client, admin, team_setup):
    login(client, admin)
    data = client.get(f"/admin/callintemplate/team-options/?team_id={team_setup['team'].id}").get_json()
    assert data == {"caseworkers": [team_setup["inside"].id], "rooms": [team_setup["room"].id]}


BAD_TEMPLATE_INPUT = [
    ("caseworkers", lambda s: {"caseworkers": [s["inside"].id, s["outside"].id]},
     "Bo Kjærsgaard hører ikke til teamet »Ungeindsatsen«"),
    ("room", lambda s: {"room": s["foreign_room"].id}, "Mødelokalet »Lokale Syg« er ikke knyttet til teamet"),
    ("deadline_days", lambda s: {"deadline_days": ""}, "Angiv antal dage (N) for fristen"),
    ("deadline_days", lambda s: {"deadline_mode": "days_before_fall_date", "deadline_days": "0"},
     "Angiv antal dage (N) for fristen: mindst 1"),
    ("earliest_after_days", lambda s: {"earliest_after_days": ""}, "Ved automatisk fordeling skal tidligste samtaledato angives"),
    ("duration_minutes", lambda s: {"duration_minutes": "0"}, "Standardvarigheden skal være mellem 1 og 480 minutter"),
    ("reporting_minutes", lambda s: {"reporting_minutes": "-5"}, "Tid til rapportering skal være mellem 0 og 240 minutter"),
    ("fixed_end_date", lambda s: {"fixed_end_date": "2030-03-31"}, "Den faste slutdato (31.03.2030) ligger før første mødedato (01.04.2030)"),
    ("rolling_end_weeks", lambda s: {"rolling_end_weeks": "0"}, "Løbende slutdato angives i hele uger: mindst 1"),
    ("name", lambda s: {"name": "Findes"}, "Der findes allerede en skabelon med navnet »Findes«"),
    ("meeting_form", lambda s: {"meeting_form": "gruppe"}, "Vælg en af mulighederne"),
]


@pytest.mark.parametrize(("field", "changes", "message"), BAD_TEMPLATE_INPUT,
                         ids=[f"{f}-{i}" for i, (f, _c, _m) in enumerate(BAD_TEMPLATE_INPUT)])
def test_r_1_5_x_bad_template_input_is_refused_on_the_field(client, admin, team_setup, field, changes,
                                                           message):
    """R-1.5.1-R-1.5.3: dependencies between the fields; Danish message on the field, nothing saved."""
    db.session.add(CallInTemplate(job_centre=admin.job_centre, name="Findes", team=team_setup["team"],
                                  conversation_type=_type(4), deadline_days=7,
                                  holding_form=db.session.scalars(select(HoldingForm)).first()))
    db.session.commit()
    login(client, admin)
    status, page = post(client, "/admin/callintemplate/new/", _template(team_setup, **changes(team_setup)))
    assert status == 200
    errors = field_errors(page, field)
    assert any(message in e for e in errors), errors
    assert db.session.scalar(select(func.count(CallInTemplate.id))) == 1
    assert not db.session.scalar(select(func.count(AuditEntry.id)))


def test_r_1_6_1_conversation_types_are_the_central_eleven_and_read_only(client, admin):
    login(client, admin)
    page = client.get("/admin/conversationtype/").get_data(as_text=True)
    for name in ("Opfølgningssamtale", "Fælles jobsamtale med dagpengemodtager", "Rådighedssamtale"):
        assert name in page
    assert "/admin/conversationtype/new/" not in page and "/admin/conversationtype/edit/" not in page
    assert client.post("/admin/conversationtype/delete/", data={"id": _type(7).id}).status_code == 302
    assert db.session.scalar(select(func.count(ConversationType.id))) == 11


# --- variants and letter rules ----------------------------------------------------------

@pytest.fixture
def letters(admin):
    made = [LetterTemplate(job_centre=admin.job_centre, name=n, subject=n, body="Kære {{ borger }}")
            for n in ("Standardbrev", "Brev til dagpengemodtagere", "Brev telefon dagpenge")]
    db.session.add_all(made)
    db.session.commit()
    return made


def _variant(**changes: object) -> dict:
    data = {"name": "Unge 18-25", "description": "Variant for unge",
            "conversation_types": [_type(7).id, _type(10).id], "teams": [_team("Ungeindsatsen").id]}
    return data | changes


def _rule(index: int, letter: LetterTemplate, *, ctype: int = 7, activity: str = "call_in",
          group: ContactGroup | None = None, form: HoldingForm | None = None,
          meeting: str = "") -> dict:
    prefix = f"letter_rules-{index}-"
    return {prefix + "conversation_type": _type(ctype).id, prefix + "activity": activity,
            prefix + "letter_template": letter.id,
            prefix + "contact_group": group.id if group else "__None",
            prefix + "holding_form": form.id if form else "__None", prefix + "meeting_form": meeting}


def test_r_1_7_1_r_1_7_2_variant_with_types_teams_and_letter_rules_most_specific_wins(client, admin,
                                                                                        letters):
    from webapp.messaging.letters import matching_rule
    login(client, admin)
    form = client.get("/admin/variant/new/").get_data(as_text=True)
    for tab in ("Detaljer", "Breve", "Teams"):
        assert f">{tab}</a>" in form
    dagpenge = db.session.scalar(select(ContactGroup).where(ContactGroup.code == "unemployment_benefit"))
    phone = _form("phone")
    standard, group_letter, phone_letter = letters
    data = _variant() | _rule(0, standard) | _rule(1, group_letter, group=dagpenge) | \
        _rule(2, phone_letter, group=dagpenge, form=phone, meeting="individual")
    assert post(client, "/admin/variant/new/", data)[0] == 302
    variant = db.session.scalar(select(Variant))
    assert len(variant.letter_rules) == 3 and [t.name for t in variant.teams] == ["Ungeindsatsen"]

    class Booking:  # the fields matching_rule reads
        variant_id, conversation_type_id = variant.id, _type(7).id
        holding_form_id, meeting_form = phone.id, MeetingForm.INDIVIDUAL

    class Citizen:
        contact_group_id = dagpenge.id

    assert matching_rule(Booking, Citizen, LetterActivity.CALL_IN).letter_template == phone_letter
    Booking.holding_form_id = db.session.scalar(select(HoldingForm.id).where(HoldingForm.id != phone.id))
    assert matching_rule(Booking, Citizen, LetterActivity.CALL_IN).letter_template == group_letter
    Citizen.contact_group_id = None
    assert matching_rule(Booking, Citizen, LetterActivity.CALL_IN).letter_template == standard
    assert matching_rule(Booking, Citizen, LetterActivity.MOVE) is None


BAD_VARIANT_INPUT = [
    ("conversation_types", {"conversation_types": []}, "Vælg en eller flere samtaletyper"),
    ("name", {"name": "Findes"}, "Der findes allerede en variant med navnet »Findes«"),
    ("letter_rules", "foreign_type", "hører til en samtaletype, som varianten ikke er knyttet til"),
    ("letter_rules", "duplicate", "To brevregler har de samme filtre"),
]


@pytest.mark.parametrize(("field", "changes", "message"), BAD_VARIANT_INPUT,
                         ids=[f"{f}-{i}" for i, (f, _c, _m) in enumerate(BAD_VARIANT_INPUT)])
def test_r_1_7_x_bad_variant_input_is_refused(client, admin, letters, field, changes, message):
    db.session.add(Variant(job_centre=admin.job_centre, name="Findes"))
    db.session.commit()
    login(client, admin)
    if changes == "foreign_type":
        data = _variant() | _rule(0, letters[0], ctype=4)
    elif changes == "duplicate":
        data = _variant() | _rule(0, letters[0]) | _rule(1, letters[1])
    else:
        data = _variant(**changes)
    status, page = post(client, "/admin/variant/new/", data)
    assert status == 200
    errors = field_errors(page, field)
    assert any(message in e for e in errors), errors
    assert db.session.scalar(select(func.count(Variant.id))) == 1
    assert not db.session.scalar(select(func.count(LetterRule.id)))


@pytest.mark.parametrize(("field", "value", "message"), [
    ("body", "Kære {{ borger.navn }", "Skabelonen har en fejl i linje 1"),
    ("subject", "{% if %}", "Skabelonen har en fejl i linje 1"),
    ("name", "Standardbrev", "Der findes allerede en brevskabelon med navnet »Standardbrev«"),
])
def test_letter_module_refuses_templates_that_do_not_parse(client, admin, letters, field, value, message):
    """§1.8: a letter template is Jinja; one that does not parse is refused on its field."""
    login(client, admin)
    data = {"name": "Nyt brev", "subject": "Indkaldelse", "body": "Kære {{ citizen.name }}"} | {field: value}
    status, page = post(client, "/admin/lettertemplate/new/", data)
    assert status == 200
    assert any(message in e for e in field_errors(page, field)), field_errors(page, field)
    assert db.session.scalar(select(func.count(LetterTemplate.id))) == 3
