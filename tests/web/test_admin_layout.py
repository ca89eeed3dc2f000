"""The admin's pages as documents: language, landmarks, one h1, named row checkboxes, tab markup,
and empty lists that say what belongs in them (R-8.2, R-8.4)."""

from __future__ import annotations

import re

import pytest
from flask_babel import refresh
from flask_admin.model import BaseModelView

from tests.factories import login
from webapp.admin.empty_lists import EMPTY_LISTS
from webapp.models import Role


@pytest.fixture
def admin(reference_data, create_job_centre, create_user):
    return create_user(Role.ADMINISTRATOR, create_job_centre("Jobcenter Aarhus"))


def test_every_admin_list_has_its_own_empty_sentence_R_8_4(app):
    """R-8.4: each model view of the admin has its own words for an empty list (a view added later
    without them fails here, instead of saying "Nothing here yet")."""
    (admin_app,) = app.extensions["admin"]
    endpoints = {view.endpoint for view in admin_app._views if isinstance(view, BaseModelView)}
    assert endpoints - EMPTY_LISTS.keys() == set()


def test_empty_list_says_what_belongs_there_and_links_the_form_R_8_4(client, admin):
    """R-8.4: an empty list of caseworkers says so in Danish with a link to create the first one,
    not Flask-Admin's "Der er ingen poster i tabellen."."""
    login(client, admin)
    html = client.get("/admin/caseworker/").get_data(as_text=True)
    assert "Der er ingen poster i tabellen." not in html
    empty = html[html.index('id="empty-list"'):]
    empty = empty[:empty.index("</div>")]
    assert "Ingen vejledere endnu." in empty
    assert re.search(r'<a href="/admin/caseworker/new/[^"]*">Opret den første vejleder.</a>', empty)


def test_empty_read_only_list_has_no_create_link_R_8_4(client, admin):
    """R-8.4: a list no one fills by hand (bookings) says it is empty, without a form to go to."""
    login(client, admin)
    html = client.get("/admin/booking/").get_data(as_text=True)
    empty = html[html.index('id="empty-list"'):]
    empty = empty[:empty.index("</div>")]
    assert "Ingen samtaler booket endnu." in empty
    assert "<a " not in empty


def test_list_emptied_by_a_search_says_nothing_matches_R_8_4(client, admin, create_caseworker):
    """R-8.4: rows exist, the search matches none: the list says that, not "no caseworkers yet"."""
    create_caseworker(admin.job_centre, name="Anna Andersen")
    login(client, admin)
    html = client.get("/admin/caseworker/?search=Zacharias").get_data(as_text=True)
    assert "Intet passer til søgningen eller filtrene." in html
    assert "Ingen vejledere endnu." not in html


@pytest.mark.parametrize("path", ["/admin/", "/admin/caseworker/", "/admin/caseworker/new/",
                                  "/admin/room/new/", "/admin/audit/"])
def test_admin_page_has_language_landmarks_and_one_h1_R_8_2(client, admin, path):
    """R-8.2: <html lang="da">, a header, a navigation and a main landmark, and exactly one h1."""
    login(client, admin)
    response = client.get(path, follow_redirects=True)  # /admin/ opens on Vejledere (§1)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert re.search(r'<html lang="da">', html)
    assert html.count("<header") == 1 and html.count("<main") == 1
    assert len(re.findall(r"<nav [^>]*aria-label=\"Administrationsmenu\"", html)) == 1
    assert len(re.findall(r"<h1[ >]", html)) == 1


def test_row_checkboxes_have_a_name_not_only_a_title_R_8_2(client, admin, create_caseworker):
    """R-8.2 (axe-core label-title-only): the select-all and each row's checkbox have an aria-label."""
    create_caseworker(admin.job_centre, name="Anna Andersen")
    login(client, admin)
    html = client.get("/admin/caseworker/").get_data(as_text=True)
    boxes = re.findall(r'<input type="checkbox" name="row(?:id|toggle)"[^>]*>', html, re.S)
    assert len(boxes) == 2
    assert all("aria-label=" in box for box in boxes)


def test_form_tabs_follow_the_aria_tab_pattern_R_8_2(client, admin):
    """R-8.2 (axe-core aria-required-children/parent): the tablist's items are presentation, each
    tab controls its panel and says whether it is selected."""
    login(client, admin)
    html = client.get("/admin/caseworker/new/").get_data(as_text=True)
    tablist = re.search(r'<ul class="nav nav-tabs planner-form-tabs[^"]*" role="tablist">(.*?)</ul>', html, re.S)
    assert tablist
    items = re.findall(r"<li [^>]*>", tablist.group(1))
    assert items and all('role="presentation"' in item for item in items)
    tabs = re.findall(r'<a [^>]*role="tab"[^>]*>', tablist.group(1))
    assert len(tabs) == len(items)
    assert all('aria-controls="tab-' in tab and "aria-selected=" in tab for tab in tabs)
    assert sum('aria-selected="true"' in tab for tab in tabs) == 1


def test_tab_with_errors_says_so_in_words_R_8_2(client, admin):
    """R-8.2: the red "!" on a tab with errors is hidden from screen readers, which hear
    "(har fejl)" in the tab's name instead of an exclamation mark."""
    login(client, admin)
    html = client.post("/admin/caseworker/new/", data={"email": "", "name": ""}).get_data(as_text=True)
    tab = re.search(r'<a [^>]*role="tab"[^>]*>Kontaktinfo(.*?)</a>', html, re.S)
    assert tab, "the contact tab"
    assert '<span class="badge badge-danger" aria-hidden="true">!</span>' in tab.group(1)
    assert '<span class="sr-only"> (har fejl)</span>' in tab.group(1)


def test_admin_page_in_english_says_lang_en_R_8_2(client, admin):
    """R-8.2 (axe-core html-has-lang/valid-lang): the admin's <html> names the language shown."""
    login(client, admin)
    client.post("/lang/en?next=/admin/")
    refresh()
    html = client.get("/admin/caseworker/").get_data(as_text=True)
    assert '<html lang="en">' in html
    assert "No caseworkers yet." in html
