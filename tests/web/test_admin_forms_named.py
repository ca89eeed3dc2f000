"""R-8.4: admin date fields are date pickers; save messages and delete questions name the item."""

from __future__ import annotations

import json
import re

import pytest
from sqlalchemy import select

from tests.factories import login
from tests.web.admin_support import flashes, post
from webapp.extensions import db
from webapp.models import LetterTemplate, LocalClosureDay, Role


@pytest.fixture
def admin(reference_data, create_job_centre, create_user):
    return create_user(Role.ADMINISTRATOR, create_job_centre("Jobcenter Aarhus"), name="Anne Admin")


def test_admin_date_fields_are_date_pickers_without_an_example_value_R_8_4(client, admin):
    login(client, admin)
    page = client.get("/admin/localclosureday/new/").get_data(as_text=True)
    for name in ("first_day", "last_day"):
        tag = re.search(rf'<input[^>]*id="{name}"[^>]*>', page).group(0)
        assert 'type="date"' in tag and "placeholder" not in tag and "31.12.2027" not in tag


@pytest.mark.parametrize("typed", ["2027-03-04", "04.03.2027"])
def test_a_date_picker_sends_iso_and_a_typed_danish_date_is_read_too_R_8_4(client, admin, typed):
    login(client, admin)
    team = admin.job_centre.teams[0] if admin.job_centre.teams else None
    data = {"name": "Personaledag", "first_day": typed, "last_day": typed}
    if team is not None:
        data["teams"] = str(team.id)
    status, _page = post(client, "/admin/localclosureday/new/", data)
    assert status == 302
    day = db.session.scalar(select(LocalClosureDay))
    assert day.first_day.isoformat() == "2027-03-04"
    # A form shown again (here refused for its missing name) gives the picker ISO, as it wants.
    status, again = post(client, "/admin/localclosureday/new/", data | {"name": ""})
    assert status == 200
    assert re.search(r'<input[^>]*id="first_day"[^>]*value="2027-03-04"', again) or \
        re.search(r'<input[^>]*value="2027-03-04"[^>]*id="first_day"', again)


def _said(client, url: str) -> str:
    return " ".join(flashes(client.get(url).get_data(as_text=True)))


def test_save_and_delete_messages_name_the_item_R_8_4(client, admin):
    login(client, admin)
    body = "Kære {{ citizen.name }}"
    assert post(client, "/admin/lettertemplate/new/", {"name": "Indkaldelse", "subject": "S", "body": body})[0] == 302
    assert "Brevskabelon »Indkaldelse« er oprettet." in _said(client, "/admin/lettertemplate/")
    template = db.session.scalar(select(LetterTemplate))
    assert post(client, f"/admin/lettertemplate/edit/?id={template.id}",
                {"name": "Indkaldelse 2", "subject": "S", "body": body})[0] == 302
    listing = client.get("/admin/lettertemplate/").get_data(as_text=True)
    assert "Brevskabelon »Indkaldelse 2« er gemt." in " ".join(flashes(listing))
    question = json.loads(re.search(r"safeConfirm\((.*?)\);'", listing).group(1))
    assert question == "Slet brevskabelon »Indkaldelse 2«?"
    client.post("/admin/lettertemplate/delete/", data={"id": template.id})
    assert "Brevskabelon »Indkaldelse 2« er slettet." in _said(client, "/admin/lettertemplate/")


def test_a_refused_save_keeps_its_own_message_R_8_4(client, admin):
    login(client, admin)
    status, page = post(client, "/admin/lettertemplate/new/", {"name": "", "subject": "S", "body": "x"})
    assert status == 200 and "er oprettet" not in page
