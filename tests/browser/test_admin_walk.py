"""A new administrator sets up a job centre in headless Chromium, in the manual's order (SPEC §1).

Screenshots of every screen go to PLANNER_SCREENSHOT_DIR (docs/screenshots when refreshed).
"""

from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy import select

from tests.browser.conftest import screenshot
from tests.factories import PASSWORD
from webapp.extensions import db
from webapp.models import (Booking, Caseworker, CallInTemplate, LetterTemplate, LocalClosureDay,
                           Role, Room, Team, Variant)


def _team(name: str) -> Team:
    db.session.expire_all()
    return db.session.scalar(select(Team).where(Team.name == name))


def _press(page, button) -> None:
    """Click a link or a button that posts, and wait for the page that answers."""
    with page.expect_navigation():
        button.click()


def _save(page) -> None:
    _press(page, page.locator("form.admin-form input[type=submit][value='Gem']"))


def _choose(page, selector: str, value: str | list[str] | None = None, *, label: str | None = None) -> None:
    """Pick in a Select2 list: the real <select> is hidden behind the widget."""
    if label is not None:
        page.select_option(selector, label=label, force=True)
    else:
        page.select_option(selector, value, force=True)
    page.evaluate("sel => window.jQuery(sel).trigger('change')", selector)


def _wait_for_list(page, endpoint: str) -> None:
    """After saving, the list page (not the form, whose address also starts with the endpoint)."""
    page.wait_for_url(re.compile(rf"/admin/{endpoint}/(\?[^/]*)?$"))


def _tab(page, name: str) -> None:
    page.get_by_role("tab", name=name).click()
    page.wait_for_selector(".tab-pane.active.show", state="visible")


def test_r_1_new_administrator_sets_up_the_job_centre(live_server, page, reference_data,
                                                      create_job_centre, create_user, create_team,
                                                      create_caseworker, create_booking):
    """R-1.1.1, R-1.1.2, R-1.1.3, R-1.2.1, R-1.2.4-R-1.2.6, R-1.3.2, R-1.3.4, R-1.4.1, R-1.4.2,
    R-1.5.x, R-1.7.1, R-1.7.2, R-1.2.8, R-1.2.9: the set-up walk of the manual, then rebooking;
    the live city (§1.1, §1.4) and one closure day for two teams (§1.3)."""
    job_centre = create_job_centre("Jobcenter Aarhus", root_team="Aarhus Jobcenter",
                                   child_team="Aarhus Jobcenter")
    admin = create_user(Role.ADMINISTRATOR, job_centre, name="Anne Administrator")
    db.session.add(LetterTemplate(job_centre=job_centre, name="Indkaldelsesbrev", subject="Indkaldelse",
                                  body="Du er indkaldt til {{ samtale }}."))
    db.session.commit()
    page.on("dialog", lambda dialog: dialog.accept())
    page.set_default_timeout(15000)

    # Log in.
    page.goto(f"{live_server}/admin/")
    page.get_by_label("Brugernavn").fill(admin.username)
    page.get_by_label("Adgangskode").fill(PASSWORD)
    page.get_by_role("button", name="Log ind").click()
    page.wait_for_url(f"{live_server}/admin/caseworker/")

    # 1.1 Teams: the default structure has one name twice and must be renamed first.
    _press(page, page.locator("#admin-menu").get_by_role("link", name="Teams"))
    assert "To niveauer i teamstrukturen hedder »Aarhus Jobcenter«" in page.inner_text(".alert-warning")
    screenshot(page, "admin-teams-rename-first")
    child = db.session.scalar(select(Team).where(Team.pending_rename))
    _press(page, page.locator(f'a[href*="/admin/team/edit/?id={child.id}"]').first)
    page.fill("#description", "Forsøg uden at omdøbe")
    _save(page)
    assert "Omdøb teamet »Aarhus Jobcenter«" in page.inner_text(".invalid-feedback")
    screenshot(page, "admin-team-rename-error")
    page.fill("#name", "Jobparate")
    page.fill("#description", "")
    _save(page)
    _wait_for_list(page, "team")
    assert "To niveauer" not in page.content()

    # A sub-team, first with a lower-case house letter and a postal code to look up.
    _press(page, page.get_by_role("link", name="Opret", exact=True))
    page.fill("#name", "Unge under 30")
    _choose(page, "#parent", str(_team("Jobparate").id))
    page.fill("#address", "Værkmestergade 2b")
    # §1.1: the city appears while the postal code is typed, before saving.
    page.fill("#postal_code", "0001")
    page.wait_for_function("() => document.getElementById('postal_code-lookup').textContent.includes('findes ikke')")
    assert page.input_value("#city") == ""
    page.fill("#postal_code", "8000")
    page.wait_for_function("() => document.getElementById('city').value === 'Aarhus C'")
    assert page.inner_text("#postal_code-lookup") == ""
    page.fill("#email", "unge@aarhus.dk")
    screenshot(page, "admin-team-live-city")
    _save(page)
    assert "Husnummerets bogstav skal være stort: skriv »Værkmestergade 2B«." in page.inner_text(
        ".invalid-feedback")
    screenshot(page, "admin-team-form-error")
    page.fill("#address", "Værkmestergade 2B")
    _save(page)
    _wait_for_list(page, "team")
    sub = _team("Unge under 30")
    assert sub.city == "Aarhus C" and sub.parent.name == "Jobparate"
    nodes = page.locator(".planner-tree-node").all_inner_texts()
    assert nodes == ["Aarhus Jobcenter", "Jobparate", "Unge under 30"]
    # §1.1: each node of the tree has its edit action.
    assert page.get_by_role("link", name="Redigér team »Unge under 30«").count() == 1
    screenshot(page, "admin-team-tree")

    # 1.2 Caseworker by e-mail look-up in the directory.
    _press(page, page.locator("#admin-menu").get_by_role("link", name="Vejledere"))
    _press(page, page.get_by_role("link", name="Opret", exact=True))
    page.fill("#email", "anna.holm@demo-jobcenter.dk")
    _press(page, page.get_by_role("button", name="Hent data"))
    assert page.input_value("#name") == "Anna Skovgaard Holm"
    assert page.input_value("#rid") == "09000137"
    screenshot(page, "admin-caseworker-contact")
    _tab(page, "Teams")
    page.get_by_label("Jobparate").check()
    page.get_by_label("Unge under 30").check()
    screenshot(page, "admin-caseworker-teams")
    _tab(page, "Arbejdstid")
    page.fill("#working_time-0-start", "08:00")
    page.fill("#working_time-0-end", "15:00")
    _press(page, page.get_by_role("button", name="Kopier mandag til alle hverdage"))
    _tab(page, "Arbejdstid")
    assert page.input_value("#working_time-4-start") == "08:00"
    assert page.input_value("#working_time-4-end") == "15:00"
    screenshot(page, "admin-caseworker-working-time")
    _tab(page, "Pauser")
    page.locator('select[name="breaks-0-weekday"]').select_option("0")
    page.fill('input[name="breaks-0-start"]', "12:00")
    page.fill('input[name="breaks-0-end"]', "12:30")
    page.select_option("#copy_breaks_day", "0")
    _press(page, page.get_by_role("button", name="Kopier til de andre dage"))
    _tab(page, "Pauser")
    assert page.locator('input[name$="-start"][value="12:00"]').count() == 5
    screenshot(page, "admin-caseworker-breaks")
    _tab(page, "Kalendersynk")
    screenshot(page, "admin-caseworker-sync")
    _save(page)
    _wait_for_list(page, "caseworker")
    db.session.expire_all()
    anna = db.session.scalar(select(Caseworker).where(Caseworker.email == "anna.holm@demo-jobcenter.dk"))
    assert sorted(t.name for t in anna.teams) == ["Jobparate", "Unge under 30"]
    assert len(anna.breaks) == 5 and anna.working_times[4].start_time.hour == 8
    screenshot(page, "admin-caseworkers")

    # 1.4 Meeting room.
    _press(page, page.locator("#admin-menu").get_by_role("link", name="Mødelokaler"))
    _press(page, page.get_by_role("link", name="Opret", exact=True))
    page.fill("#name", "Mødelokale 2.14")
    page.fill("#capacity", "12")
    page.check("#accepts_overbooking")
    page.fill("#overbooking_seats", "2")
    page.fill("#address", "Værkmestergade 2B")
    page.fill("#postal_code", "8000")
    page.wait_for_function("() => document.getElementById('city').value === 'Aarhus C'")  # §1.4
    screenshot(page, "admin-room-details")
    _tab(page, "Teams")
    page.get_by_label("Unge under 30").check()
    _save(page)
    _wait_for_list(page, "room")
    room = db.session.scalar(select(Room).where(Room.name == "Mødelokale 2.14"))
    assert room.seats == 14 and room.city == "Aarhus C"
    screenshot(page, "admin-room-list")

    # 1.3 One local closure day for two teams ("til et eller flere teams"), visible on their
    # calendars and not on the team above them.
    sickness = create_team(job_centre, parent=_team("Aarhus Jobcenter"), name="Sygedagpenge")
    _press(page, page.locator("#admin-menu").get_by_role("link", name="Lokale lukkedage"))
    _press(page, page.get_by_role("link", name="Opret", exact=True))
    page.get_by_label("Unge under 30").check()
    page.get_by_label("Sygedagpenge").check()
    page.fill("#name", "Personaledag")
    page.fill("#first_day", "2027-03-04")
    page.fill("#last_day", "2027-03-04")
    screenshot(page, "admin-closure-form")
    _save(page)
    _wait_for_list(page, "localclosureday")
    assert sorted(t.name for t in db.session.scalar(select(LocalClosureDay)).teams) == [
        "Sygedagpenge", "Unge under 30"]
    row = page.locator("table.model-list tbody tr").filter(has_text="Personaledag")
    assert sorted(row.locator("a[href*='teamcalendar']").all_inner_texts()) == ["Sygedagpenge", "Unge under 30"]
    screenshot(page, "admin-closure-list")
    page.goto(f"{live_server}/admin/teamcalendar/?team_id={sickness.id}&month=2027-03")
    assert "closed" in page.locator('td[data-date="2027-03-04"]').get_attribute("class")
    page.goto(f"{live_server}/admin/teamcalendar/?team_id={_team('Jobparate').id}&month=2027-03")
    assert "closed" not in page.locator('td[data-date="2027-03-04"]').get_attribute("class")
    page.goto(f"{live_server}/admin/teamcalendar/?team_id={sub.id}&month=2027-03")
    cell = page.locator('td[data-date="2027-03-04"]')
    assert "closed" in cell.get_attribute("class") and "Personaledag" in cell.inner_text()
    assert "closed" not in page.locator('td[data-date="2027-03-03"]').get_attribute("class")
    screenshot(page, "admin-team-calendar")
    # Why is Anna not free that day? The closure day of her team.
    _choose(page, "#why", f"caseworker-{anna.id}")
    page.fill("#at", "2027-03-04T10:00")
    _press(page, page.get_by_role("button", name="Forklar"))
    answer = page.locator("#why-answer").inner_text()
    assert "Tiden er ikke ledig" in answer
    assert "04.03.2027 er lukkedag for teamet Unge under 30: Personaledag." in answer
    screenshot(page, "admin-team-calendar-why")

    # 1.5 Call-in template.
    _press(page, page.locator("#admin-menu").get_by_role("link", name="Indkaldelsesskabeloner"))
    _press(page, page.get_by_role("link", name="Opret", exact=True))
    page.fill("#name", "Jobsamtale unge")
    _choose(page, "#conversation_type", label="7 Jobsamtale")
    _choose(page, "#holding_form", label="Personligt fremmøde")
    _choose(page, "#team", str(sub.id))
    _choose(page, "#room", str(room.id))
    _choose(page, "#caseworkers", [str(anna.id)])
    page.fill("#duration_minutes", "45")
    page.fill("#deadline_days", "14")
    page.fill("#earliest_after_days", "3")
    screenshot(page, "admin-template-details")
    _tab(page, "Beskeder")
    page.fill("#description", "Samtale om job og uddannelse")
    page.fill("#message_to_caseworkers", "Læs CV'et før samtalen")
    screenshot(page, "admin-template-messages")
    _tab(page, "Online booking")
    page.fill("#rolling_end_weeks", "4")
    screenshot(page, "admin-template-online")
    _save(page)
    _wait_for_list(page, "callintemplate")
    template = db.session.scalar(select(CallInTemplate))
    assert template.caseworkers == [anna] and template.earliest_after_days == 3

    # 1.7 Variant with a letter rule.
    _press(page, page.locator("#admin-menu").get_by_role("link", name="Samtaletypevarianter"))
    _press(page, page.get_by_role("link", name="Opret", exact=True))
    page.fill("#name", "Unge 18-30")
    _choose(page, "#conversation_types", label="7 Jobsamtale")
    screenshot(page, "admin-variant-details")
    _tab(page, "Breve")
    page.locator(".inline-field .btn, .inline-field a.btn, .inline-field button").filter(
        has_text="Tilføj").first.click()
    _choose(page, "#letter_rules-0-conversation_type", label="7 Jobsamtale")
    _choose(page, "#letter_rules-0-activity", "call_in")
    _choose(page, "#letter_rules-0-letter_template", label="Indkaldelsesbrev")
    screenshot(page, "admin-variant-letters")
    _tab(page, "Teams")
    page.get_by_label("Unge under 30").check()
    _save(page)
    _wait_for_list(page, "variant")
    variant = db.session.scalar(select(Variant))
    assert len(variant.letter_rules) == 1 and variant.teams == [sub]
    screenshot(page, "admin-variants")

    # 1.2.8 Anna leaves "Unge under 30", which has future meetings; a colleague takes one.
    colleague = create_caseworker(job_centre, teams=[sub], name="Bo Kjærsgaard")
    kept = create_booking([db.session.get(Caseworker, anna.id)], datetime(2027, 3, 2, 9), team_id=sub.id)
    manual = create_booking([db.session.get(Caseworker, anna.id)], datetime(2027, 3, 2, 10), team_id=sub.id)
    create_booking([colleague], datetime(2027, 3, 2, 10), team_id=sub.id)
    page.goto(f"{live_server}/admin/caseworker/edit/?id={anna.id}")
    _tab(page, "Teams")
    page.get_by_label("Unge under 30").uncheck()
    _save(page)
    page.wait_for_url(re.compile(r"/remove-team/"))
    assert "har 2 kommende samtaler for teamet Unge under 30" in page.content()
    screenshot(page, "admin-caseworker-remove-team")
    _press(page, page.get_by_role("button", name="Fortsæt til ombooking"))
    page.wait_for_url(re.compile(r"/rebook/"))
    options = page.locator(f'select[name="booking-{kept.id}"] option').all_inner_texts()
    assert options == ["Bo Kjærsgaard", "Håndter manuelt"]
    screenshot(page, "admin-caseworker-rebook")
    _press(page, page.get_by_role("button", name="Ombook og fjern fra teamet"))
    page.wait_for_selector("#rebooked")
    assert "Bo Kjærsgaard" in page.inner_text("#rebooked")
    assert f"nr. {manual.id}" in page.inner_text("#manual")
    screenshot(page, "admin-caseworker-rebooked")
    db.session.expire_all()
    assert [c.name for c in db.session.get(Booking, kept.id).caseworkers] == ["Bo Kjærsgaard"]

    # The audit trail shows what was done, searchable.
    _press(page, page.locator("#admin-menu").get_by_role("link", name="Revisionsspor"))
    page.wait_for_url(re.compile(r"/admin/audit/"))
    assert page.locator("td.col-event").filter(has_text="Sagsbehandler tilknyttet booking").count() >= 1
    screenshot(page, "admin-audit")
    page.goto(f"{live_server}/admin/audit/?flt0_0={kept.id}")
    assert page.locator("td.col-booking_id").all_inner_texts() and all(
        text.strip() == str(kept.id) for text in page.locator("td.col-booking_id").all_inner_texts())
    screenshot(page, "admin-audit-search")
    _press(page, page.locator("#admin-menu").get_by_role("link", name="Om"))
    page.wait_for_url(re.compile(r"/admin/about/"))
    assert "Version" in page.inner_text("#about")
    screenshot(page, "admin-about")


def test_r_1_5_template_form_keeps_caseworkers_when_an_older_team_answer_arrives_late(
        live_server, page, create_job_centre, create_user, create_caseworker):
    """R-1.5: the form narrows caseworkers to the chosen team's; a late answer for the team shown
    first must not undo a choice made for the team chosen since."""
    job_centre = create_job_centre()
    root, child = sorted(job_centre.teams, key=lambda t: t.parent_id is not None)
    anna = create_caseworker(job_centre, teams=[child], name="Anna Holm")
    admin = create_user(Role.ADMINISTRATOR, job_centre)
    page.goto(f"{live_server}/admin/")
    page.get_by_label("Brugernavn").fill(admin.username)
    page.get_by_label("Adgangskode").fill(PASSWORD)
    page.get_by_role("button", name="Log ind").click()
    page.wait_for_url(f"{live_server}/admin/caseworker/")

    held = []
    page.route("**/team-options/**", lambda route: held.append(route) if not held else route.continue_())
    page.goto(f"{live_server}/admin/callintemplate/new/")
    assert page.input_value("#team") == str(root.id) and len(held) == 1
    with page.expect_response(lambda r: f"team_id={child.id}" in r.url):
        _choose(page, "#team", str(child.id))
    _choose(page, "#caseworkers", [str(anna.id)])
    with page.expect_response(lambda r: f"team_id={root.id}" in r.url):
        held[0].continue_()
    page.wait_for_timeout(200)
    assert page.eval_on_selector("#caseworkers", "s => [...s.selectedOptions].map(o => o.value)") == [
        str(anna.id)]
