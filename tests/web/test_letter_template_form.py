"""R-8.4: the letter template form lists its merge fields, previews the letter with sample data
and refuses an unknown merge field with a clear Danish message."""

from __future__ import annotations

import html
import re

import pytest
from sqlalchemy import func, select

from tests.factories import login
from tests.web.admin_support import field_errors, post
from webapp.extensions import db
from webapp.messaging.merge_fields import MERGE_FIELDS, unknown_fields
from webapp.models import LetterTemplate, Role


@pytest.fixture
def admin(reference_data, create_job_centre, create_user):
    return create_user(Role.ADMINISTRATOR, create_job_centre("Jobcenter Aarhus"), name="Anne Admin")


def test_the_form_lists_the_merge_fields_beside_the_text_R_8_4(client, admin):
    login(client, admin)
    page = client.get("/admin/lettertemplate/new/").get_data(as_text=True)
    aside = page[page.index('<aside class="col-lg-4 merge-fields"'):]
    aside = aside[:aside.index("</aside>")]
    for name, text in MERGE_FIELDS:
        assert f"<code>{{{{ {name} }}}}</code>" in html.unescape(aside)
        assert html.escape(text.da, quote=False) in aside or text.da in html.unescape(aside)
    assert "Flettefelter" in aside


@pytest.mark.parametrize(("field", "value", "name"), [
    ("body", "Kære {{ borger.navn }}", "borger"),
    ("body", "Kære {{ citizen.cpr }}", "citizen.cpr"),
    ("subject", "Indkaldelse {{ booking.start }}", "booking.start"),
    ("body", "{% if withdrawn %}{{ samtale }}{% endif %}", "samtale"),
])
def test_an_unknown_merge_field_is_refused_on_save_R_8_4(client, admin, field, value, name):
    login(client, admin)
    data = {"name": "Nyt brev", "subject": "Indkaldelse", "body": "Kære {{ citizen.name }}"} | {field: value}
    status, page = post(client, "/admin/lettertemplate/new/", data)
    assert status == 200
    assert f"Flettefeltet »{name}« findes ikke i breve." in " ".join(field_errors(page, field))
    assert db.session.scalar(select(func.count(LetterTemplate.id))) == 0


def test_known_merge_fields_loops_and_sets_are_accepted_R_8_4(client, admin):
    body = ("Kære {{ citizen.name }}\n{% set tid = booking.starts_at %}Tid: {{ tid }}, {{ address }}.\n"
            "{% for x in [1] %}{{ x }}{% endfor %}{% if withdrawn %}Trukket tilbage{% endif %}\n"
            "{{ team.name }} {{ team.phone }} {{ conversation_type|lower }}")
    assert unknown_fields(body) == []
    login(client, admin)
    client.post("/admin/lettertemplate/new/", data={"name": "Nyt brev", "subject": "Om {{ conversation_type }}",
                                                    "body": body})
    assert db.session.scalar(select(func.count(LetterTemplate.id))) == 1


def test_the_preview_renders_the_letter_with_sample_data_and_saves_nothing_R_8_4(client, admin):
    login(client, admin)
    response = client.post("/admin/lettertemplate/new/", data={
        "name": "Nyt brev", "subject": "Indkaldelse til {{ conversation_type|lower }}",
        "body": "Kære {{ citizen.name }}\n\nDu er indkaldt {{ booking.starts_at }}.", "preview": "1"})
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Forhåndsvisning: Indkaldelse til jobsamtale" in page
    frame = html.unescape(re.search(r'srcdoc="([^"]*)"', page).group(1))
    assert "Kære Jens Eksempel Hansen" in frame and " kl. 10.00" in frame
    assert 'sandbox="allow-same-origin"' in page  # no scripts in the letter
    assert db.session.scalar(select(func.count(LetterTemplate.id))) == 0


def test_the_preview_shows_an_unknown_field_on_its_field_R_8_4(client, admin):
    login(client, admin)
    status, page = post(client, "/admin/lettertemplate/new/", {
        "name": "Nyt brev", "subject": "Indkaldelse", "body": "Kære {{ borger }}", "preview": "1"})
    assert status == 200
    assert "Flettefeltet »borger« findes ikke i breve." in " ".join(field_errors(page, "body"))
    assert "srcdoc" not in page


def test_the_preview_of_a_saved_template_keeps_it_unchanged_R_8_4(client, admin):
    template = LetterTemplate(job_centre=admin.job_centre, name="Brev", subject="Emne", body="Kære {{ citizen.name }}")
    db.session.add(template)
    db.session.commit()
    login(client, admin)
    response = client.post(f"/admin/lettertemplate/edit/?id={template.id}", data={
        "name": "Brev", "subject": "Nyt emne", "body": "Hej {{ citizen.name }}", "preview": "1"})
    assert response.status_code == 200 and "Forhåndsvisning: Nyt emne" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(LetterTemplate, template.id).subject == "Emne"


@pytest.mark.parametrize("day", range(1, 8))
def test_the_sample_meeting_is_on_a_working_day_R_8_4(day):
    from datetime import datetime

    from webapp.messaging.merge_fields import sample_context
    starts = sample_context(None, now=datetime(2026, 12, day, 9))["booking"].starts_at
    assert starts.weekday() < 5
