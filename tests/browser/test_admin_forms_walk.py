"""R-8.4 in the browser: a letter template with its merge fields, refusal and preview; a date
picker; messages that name the item; a template's caseworker list that follows its team."""

from __future__ import annotations

import re

from playwright.sync_api import expect
from sqlalchemy import select

from tests.browser.conftest import screenshot
from tests.browser.language import assert_danish
from tests.factories import PASSWORD
from webapp.extensions import db
from webapp.models import LetterTemplate, Role


def _log_in(page, live_server: str, user) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{live_server}/admin/")
    page.get_by_label("Brugernavn").fill(user.username)
    page.get_by_label("Adgangskode").fill(PASSWORD)
    page.get_by_role("button", name="Log ind").click()
    page.wait_for_url(re.compile(r"/admin/"))


def _press(page, button) -> None:  # type: ignore[no-untyped-def]
    with page.expect_navigation():
        button.click()


def test_letter_template_merge_fields_refusal_preview_and_named_messages_R_8_4(
        live_server, page, reference_data, create_job_centre, create_user):
    job_centre = create_job_centre("Jobcenter Aarhus")
    admin = create_user(Role.ADMINISTRATOR, job_centre, name="Anne Administrator")
    page.on("dialog", lambda dialog: dialog.accept())
    _log_in(page, live_server, admin)

    page.goto(f"{live_server}/admin/lettertemplate/new/")
    merge_fields = page.locator("aside.merge-fields")
    expect(merge_fields).to_contain_text("{{ citizen.name }}")
    expect(merge_fields).to_contain_text("Samtalens tidspunkt")
    page.fill("#name", "Indkaldelse til jobsamtale")
    page.fill("#subject", "Indkaldelse til {{ conversation_type|lower }}")
    page.fill("#body", "Kære {{ borger.navn }}\n\nDu er indkaldt {{ booking.starts_at }}.")
    _press(page, page.locator("form.admin-form input[type=submit][value='Gem']"))
    expect(page.locator(".invalid-feedback")).to_contain_text("Flettefeltet »borger« findes ikke i breve.")
    assert db.session.scalar(select(LetterTemplate)) is None
    screenshot(page, "admin-letter-template-unknown-field")

    page.fill("#body", "Kære {{ citizen.name }}\n\nDu er indkaldt {{ booking.starts_at }}.\n\n"
                       "Mødested: {{ address }}.")
    _press(page, page.get_by_role("button", name="Forhåndsvis med eksempeldata"))
    preview = page.frame_locator("iframe[title='Forhåndsvisning af brevet']")
    expect(preview.locator("body")).to_contain_text("Kære Jens Eksempel Hansen")
    expect(page.get_by_role("heading", name="Forhåndsvisning: Indkaldelse til jobsamtale")).to_be_visible()
    screenshot(page, "admin-letter-template-preview")

    _press(page, page.locator("form.admin-form input[type=submit][value='Gem']"))
    page.wait_for_url(f"{live_server}/admin/lettertemplate/")
    expect(page.locator(".alert-success")).to_contain_text("Brevskabelon »Indkaldelse til jobsamtale« er oprettet.")
    screenshot(page, "admin-letter-template-saved")

    # Deleting asks about the template by name; the answer names it too.
    questions: list[str] = []
    page.on("dialog", lambda dialog: questions.append(dialog.message))
    _press(page, page.locator("form.icon button").first)
    assert questions == ["Slet brevskabelon »Indkaldelse til jobsamtale«?"]
    expect(page.locator(".alert-success")).to_contain_text("Brevskabelon »Indkaldelse til jobsamtale« er slettet.")
    assert_danish(page)


def test_closure_days_have_a_date_picker_R_8_4(live_server, page, reference_data, create_job_centre,
                                                create_user):
    admin = create_user(Role.ADMINISTRATOR, create_job_centre("Jobcenter Aarhus"))
    _log_in(page, live_server, admin)
    page.goto(f"{live_server}/admin/localclosureday/new/")
    for name in ("#first_day", "#last_day"):
        assert page.get_attribute(name, "type") == "date"
        assert page.get_attribute(name, "placeholder") is None
        assert page.input_value(name) == ""
    page.fill("#first_day", "2027-03-04")
    assert page.input_value("#first_day") == "2027-03-04"
    screenshot(page, "admin-closure-date-picker")


def test_a_templates_caseworker_list_follows_its_team_R_8_4(live_server, page, create_job_centre,
                                                            create_user, create_caseworker):
    job_centre = create_job_centre()
    root, child = sorted(job_centre.teams, key=lambda t: t.parent_id is not None)
    anna = create_caseworker(job_centre, teams=[child], name="Anna Holm")
    bo = create_caseworker(job_centre, teams=[root], name="Bo Kjærsgaard")
    admin = create_user(Role.ADMINISTRATOR, job_centre)
    _log_in(page, live_server, admin)
    page.goto(f"{live_server}/admin/callintemplate/new/")
    anna_option = page.locator(f"#caseworkers option[value='{anna.id}']")
    bo_option = page.locator(f"#caseworkers option[value='{bo.id}']")
    # The root team is chosen first: only its caseworker may be picked.
    assert page.input_value("#team") == str(root.id)
    expect(anna_option).to_be_disabled()
    expect(bo_option).to_be_enabled()
    page.select_option("#team", str(child.id), force=True)
    page.evaluate("() => window.jQuery('#team').trigger('change')")
    expect(bo_option).to_be_disabled()
    expect(anna_option).to_be_enabled()
