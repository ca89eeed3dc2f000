"""Hypothesis fuzzing of the admin forms, the portal and the inbound endpoint: never a 5xx (R-7.4, R-7.6).

As schemathesis fuzzes the API (test_api_fuzz.py), these tests post hostile values to every
admin model form (found through the app's Flask-Admin instance, as support and as a job
centre's administrator), to the bulk delete, to the portal's pages and to the inbound endpoint.
The checks: no server error, no raw database text in the answer, a refused form saves nothing,
and the inbound endpoint answers in JSON. The app runs as in production here: an unexpected
exception becomes the 500 page, and the exception is kept for the failure's message.
"""

from __future__ import annotations

import json
import os
import re
import urllib.parse
from collections.abc import Callable, Iterator
from datetime import date, datetime, time, timedelta
from html.parser import HTMLParser
from typing import Any

import pytest
from flask import Flask, got_request_exception
from flask.testing import FlaskClient
from flask_admin.contrib.sqla import ModelView
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from tests.factories import login
from webapp.administration.api_clients import issue_client
from webapp.clock import now_local
from webapp.extensions import db
from webapp.models import (ApiClient, AuditEntry, CallInTemplate, Competence, ConversationType,
                           HoldingForm, LetterTemplate, LocalClosureDay, MeetingForm,
                           NationalClosureDay, Role, Variant)
from webapp.selfbooking import reservations as selfbooking
from webapp.selfbooking import slots as slot_service

# Kept small for CI (the admin forms are the slow part); PLANNER_FUZZ_SCALE=20 digs deeper.
SCALE = int(os.environ.get("PLANNER_FUZZ_SCALE", "1"))


def fuzz_settings(examples: int) -> settings:
    return settings(max_examples=examples * SCALE, deadline=None, database=None,
                    phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))


FORM_SETTINGS = fuzz_settings(4)
SETTINGS = fuzz_settings(25)

RAW_SQL_MARKS = ("INSERT INTO", "UPDATE ", "[parameters:", "[SQL:", "psycopg", "sqlite3.",
                 "sqlalche.me")

# Values no form expects; each is posted to every field in turn and mixed in at random.
NASTY = ["", "x" * 10_000, "a\x00b", "\ud800", "\r\nBcc: x@example.com", str(2**70), "-1", "²",
         "31.12.9999", "01.01.0001"]
HOSTILE = NASTY + [
    "\x00", " ", "\x01\x07\x1b\x7f\x9f", "a\udfffb", "\ufeff\u202e", "😀" * 3, "١٢٣", "½",
    str(10**12), "0", "-0", "1.5", "1e309", "NaN", "inf", "0x10", "1_000",
    "9999-12-31", "0001-01-01", "32.13.2027", "29.02.2027", "2027-02-30", "31/12/2027",
    "24:00", "99:99", "23:59:60", "-01:00", "2027-03-28T02:30", "T",
    "'; DROP TABLE teams; --", "1 OR 1=1", "<script>alert(1)</script>", '"><img src=x>',
    "{{ 7*7 }}", "%s%n%x", "../../etc/passwd", "file:///etc/passwd", "http://127.0.0.1:22/",
    "__None", "None", "null", "true", "on", "y",
]


def _bytes(value: str) -> bytes:
    # A lone surrogate cannot be UTF-8; sent as the bytes a broken client would send.
    return value.encode("utf-8", "surrogatepass")


def form_body(pairs: list[tuple[str, str]]) -> bytes:
    return urllib.parse.urlencode([(_bytes(k), _bytes(v)) for k, v in pairs]).encode()


def post_form(client: FlaskClient, url: str, pairs: list[tuple[str, str]]) -> Any:
    return client.post(url, data=form_body(pairs), content_type="application/x-www-form-urlencoded")


# --- the app as in production: exceptions become 500 pages ------------------------

@pytest.fixture
def errors(app: Flask) -> Iterator[list[BaseException]]:
    """The exceptions behind 500 answers, for the failure's message."""
    caught: list[BaseException] = []

    def keep(sender: Any, exception: BaseException, **extra: Any) -> None:
        caught.append(exception)

    app.config["PROPAGATE_EXCEPTIONS"] = False
    got_request_exception.connect(keep, app)
    yield caught
    got_request_exception.disconnect(keep, app)


def check_answer(response: Any, errors: list[BaseException], what: str, sent: Any = "") -> None:
    """No 5xx and no raw database text (R-7.4); the message names the cause first, then what was sent."""
    body = response.get_data(as_text=True)
    if response.status_code >= 500:
        cause = repr(errors[-1])[:400] if errors else body[:400]
        raise AssertionError(f"{what}: {response.status_code}: {cause}\n    sent: {sent!r}"[:1400])
    for mark in RAW_SQL_MARKS:
        if mark in body:
            at = body.find(mark)
            raise AssertionError(f"{what}: raw SQL {mark!r} shown: {body[max(0, at - 200):at + 200]!r}"
                                 f"\n    sent: {sent!r}"[:1400])


# --- a world with a row of every editable model in two job centres ----------------------

@pytest.fixture
def world(app, reference_data, create_job_centre, create_user, create_caseworker, create_room,
          create_citizen, create_offer) -> dict[str, Any]:
    def centre_rows(name: str) -> dict[str, Any]:
        centre = create_job_centre(name)
        team = next(t for t in centre.teams if t.parent_id is not None)
        caseworker = create_caseworker(centre, teams=[team])
        room = create_room(centre, capacity=4)
        meeting = dict(job_centre=centre, team=team,
                       conversation_type=db.session.scalars(select(ConversationType)).first(),
                       holding_form=db.session.scalars(select(HoldingForm)).first(),
                       meeting_form=MeetingForm.INDIVIDUAL)
        rows = [CallInTemplate(name="Skabelon", deadline_days=14, **meeting),
                Variant(job_centre=centre, name="Variant"),
                LetterTemplate(job_centre=centre, name="Brev", subject="Emne", body="Tekst"),
                LocalClosureDay(job_centre=centre, teams=[team], name="Lukket",
                                first_day=date(2030, 7, 1), last_day=date(2030, 7, 2)),
                Competence(job_centre=centre, name="Sprog")]
        db.session.add_all(rows)
        db.session.commit()
        offer = create_offer([caseworker], citizen_chooses_caseworker=True)
        citizen = create_citizen(centre)
        return {"centre": centre, "team": team, "caseworker": caseworker, "room": room,
                "offer": offer, "citizen": citizen, "rows": rows}

    own, other = centre_rows("Jobcenter Fuzz"), centre_rows("Jobcenter Andet")
    db.session.add(NationalClosureDay(day=date(2030, 6, 5), name="Grundlovsdag"))
    db.session.commit()
    own["support"] = create_user(Role.SUPPORT)
    own["admin"] = create_user(Role.ADMINISTRATOR, own["centre"])
    # Ids of the other job centre's rows: a form of this one must refuse them, never fail.
    foreign = [other[k].id for k in ("team", "caseworker", "room", "offer", "citizen")]
    foreign += [row.id for row in other["rows"]] + [other["centre"].id]
    return {"own": own, "other": other, "foreign_ids": sorted({str(i) for i in foreign})}


# --- reading a form from its page ------------------------------------------------------

class FormFields(HTMLParser):
    """The fields of the page's admin form: name -> (kind, default values, offered values)."""

    def __init__(self, form_marker: str) -> None:
        super().__init__(convert_charrefs=True)
        self.form_marker = form_marker
        self.fields: dict[str, dict[str, Any]] = {}
        self._in_form = False
        self._select: str | None = None
        self._textarea: str | None = None

    def _field(self, name: str, kind: str) -> dict[str, Any]:
        return self.fields.setdefault(name, {"kind": kind, "default": [], "options": []})

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self._in_form = self.form_marker in " ".join(a.values())
            return
        name = a.get("name")
        if not self._in_form:
            return
        if tag == "input" and name and name != "csrf_token":
            kind = a.get("type", "text").lower()
            field = self._field(name, kind)
            if kind in ("checkbox", "radio"):
                field["options"].append(a.get("value", "y"))
                if "checked" in a:
                    field["default"].append(a.get("value", "y"))
            elif kind != "submit":
                field["default"] = [a.get("value", "")]
        elif tag == "select" and name:
            self._select = name
            self._field(name, "select-multiple" if "multiple" in a else "select")
        elif tag == "option" and self._select:
            field = self.fields[self._select]
            field["options"].append(a.get("value", ""))
            if "selected" in a:
                field["default"].append(a.get("value", ""))
        elif tag == "textarea" and name:
            self._textarea = name
            self._field(name, "textarea")["default"] = [""]
        elif tag == "button" and name:
            self._field(name, "submit")

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._in_form = False
        elif tag == "select":
            field = self.fields.get(self._select or "")
            if field and not field["default"] and field["kind"] == "select" and field["options"]:
                field["default"] = [field["options"][0]]
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data: str) -> None:
        if self._textarea:
            self.fields[self._textarea]["default"] = [self.fields[self._textarea]["default"][0] + data]


def form_fields(page: str, form_marker: str = "admin-form") -> dict[str, dict[str, Any]]:
    """The fields of the page's form whose attributes mention `form_marker` (a class, an id, an action)."""
    parser = FormFields(form_marker)
    parser.feed(page)
    return parser.fields


def value_strategy(foreign_ids: list[str]) -> st.SearchStrategy[str]:
    return st.one_of(st.sampled_from(HOSTILE + foreign_ids + ["999999999"]),
                     st.text(max_size=40), st.integers().map(str))


def submission(fields: dict[str, dict[str, Any]], foreign_ids: list[str]
               ) -> st.SearchStrategy[list[tuple[str, str]]]:
    """Each field keeps its value from the page or gets hostile ones (several for a list);
    a button that fills the form without saving is pressed now and then."""
    hostile = value_strategy(foreign_ids)
    per_field = {}
    for name, field in fields.items():
        if field["kind"] == "submit":
            per_field[name] = st.one_of(st.just([]), st.just([""]), st.lists(hostile, max_size=1))
        else:
            per_field[name] = st.one_of(st.just(field["default"]), st.lists(hostile, max_size=3))
    return st.fixed_dictionaries(per_field).map(
        lambda chosen: [(name, value) for name, values in chosen.items() for value in values])


def each_nasty_value(fields: dict[str, dict[str, Any]], keep: tuple[str, ...] = ()
                     ) -> Iterator[list[tuple[str, str]]]:
    """Every field at once with one of the nastiest values, buttons left alone; the fields in
    `keep` keep their good value, so that the form gets past them to the others."""
    for value in NASTY:
        yield [(name, field["default"][0] if name in keep else value) for name, field in fields.items()
               if field["kind"] != "submit"]
        if keep:
            yield [(name, value) for name in keep]


# --- the admin forms ----------------------------------------------------------------

def model_views(app: Flask) -> list[ModelView]:
    return [view for view in app.extensions["admin"][0]._views if isinstance(view, ModelView)]


def row_snapshot(model: type, row_id: int | None) -> tuple[int, int, Any]:
    """How many rows the model and the audit trail have, and the edited row's values."""
    db.session.remove()
    count = db.session.scalar(select(func.count()).select_from(model))
    audits = db.session.scalar(select(func.count()).select_from(AuditEntry))
    row = None
    if row_id is not None:
        table = model.__table__
        row = db.session.execute(select(table).where(table.c.id == row_id)).mappings().one_or_none()
        row = dict(row) if row is not None else None
    db.session.remove()
    return count, audits, row


def fuzz_form(client: FlaskClient, errors: list[BaseException], view: ModelView, url: str,
              row_id: int | None, foreign_ids: list[str]) -> list[str]:
    """Post the nastiest values, then Hypothesis' mixes, to one form; the failures found."""
    page = client.get(url)
    assert page.status_code == 200, (url, page.status_code)
    fields = form_fields(page.get_data(as_text=True))
    assert fields, f"no form fields found on {url}"
    failures: list[str] = []

    def attempt(pairs: list[tuple[str, str]]) -> None:
        before = row_snapshot(view.model, row_id)
        errors.clear()
        response = post_form(client, url, pairs)
        what, sent = f"POST {url}", [(k, v[:60]) for k, v in pairs]
        check_answer(response, errors, what, sent)
        if response.status_code == 200:
            # The form came back with an error (or a button filled it): nothing was saved.
            after = row_snapshot(view.model, row_id)
            assert after == before, \
                f"{what}: a refused form changed rows: {before!r} -> {after!r}\n    sent: {sent!r}"[:1400]

    for pairs in each_nasty_value(fields):
        try:
            attempt(pairs)
        except AssertionError as error:
            failures.append(str(error)[:1500])

    @given(pairs=submission(fields, foreign_ids))
    @FORM_SETTINGS
    def run(pairs: list[tuple[str, str]]) -> None:
        attempt(pairs)

    try:
        run()
    except AssertionError as error:
        failures.append(str(error)[:1500])
    return failures


def fuzz_all_forms(client: FlaskClient, errors: list[BaseException], world: dict[str, Any]
                   ) -> tuple[set[str], list[str]]:
    fuzzed: set[str] = set()
    failures: list[str] = []
    for view in model_views(client.application):
        base = view.url
        if client.get(f"{base}/new/").status_code == 200:
            fuzzed.add(f"{view.endpoint}:create")
            failures += fuzz_form(client, errors, view, f"{base}/new/", None, world["foreign_ids"])
        listing = client.get(f"{base}/").get_data(as_text=True)
        found = re.search(rf'{re.escape(base)}/edit/\?id=(\d+)', listing)
        if found and client.get(f"{base}/edit/?id={found.group(1)}").status_code == 200:
            fuzzed.add(f"{view.endpoint}:edit")
            row_id = int(found.group(1))
            failures += fuzz_form(client, errors, view, f"{base}/edit/?id={row_id}", row_id,
                                  world["foreign_ids"])
    return fuzzed, failures


EVERY_ADMIN_FORM = {"caseworker:create", "caseworker:edit", "team:create", "team:edit",
                    "localclosureday:create", "room:create", "room:edit", "callintemplate:create",
                    "callintemplate:edit", "variant:create", "variant:edit", "lettertemplate:create",
                    "lettertemplate:edit", "offer:create", "offer:edit"}
SUPPORT_ONLY_FORMS = {"jobcentre:create", "jobcentre:edit", "user:create", "user:edit",
                      "nationalclosureday:create", "conversationtype:create", "holdingform:create",
                      "contactgroup:create"}


@pytest.mark.parametrize("role", ["support", "admin"])
def test_r_7_4_hostile_values_in_every_admin_form_give_no_server_error(client, errors, world, role):
    """R-7.4: every admin create and edit form, posted hostile values per field (empty, 10,000
    characters, NUL and control characters, lone surrogates, header injection, huge and negative
    numbers, dates of year 1 and 9999, malformed dates, SQL and HTML, other job centres' and
    missing ids, several values for one choice): never a 5xx, never raw SQL in the page, and a
    form that comes back with an error has saved nothing."""
    login(client, world["own"][role])
    fuzzed, failures = fuzz_all_forms(client, errors, world)
    expected = EVERY_ADMIN_FORM | (SUPPORT_ONLY_FORMS if role == "support" else set())
    assert expected <= fuzzed, f"forms not reached: {sorted(expected - fuzzed)}"
    assert not failures, "\n\n".join(failures)


# --- the list's bulk delete ---------------------------------------------------------

def fuzz_bulk_action(client: FlaskClient, errors: list[BaseException], url: str,
                     foreign_ids: list[str]) -> list[str]:
    """Post the list's bulk action with generated actions and row ids; the failures found."""

    @given(rowids=st.lists(st.one_of(st.sampled_from(foreign_ids + HOSTILE),
                                     st.integers(min_value=-2**40, max_value=2**40).map(str)),
                           max_size=4),
           action=st.sampled_from(["delete", "delete", "", "nonsense", "\x00"]))
    @SETTINGS
    def run(rowids: list[str], action: str) -> None:
        errors.clear()
        pairs = [("action", action)] + [("rowid", r) for r in rowids]
        check_answer(post_form(client, url, pairs), errors, f"POST {url}", pairs)

    try:
        run()
    except AssertionError as error:
        return [str(error)[:1500]]
    return []


@pytest.mark.parametrize("role", ["support", "admin"])
def test_r_7_4_bulk_delete_with_garbage_and_other_centres_row_ids_gives_no_server_error(
        client, errors, world, role):
    """R-7.4: the list's bulk action posted garbage row ids, out-of-range numbers and the other job
    centre's ids: never a 5xx, never raw SQL, and an administrator deletes nothing of another
    job centre."""
    login(client, world["own"][role])
    other = world["other"]
    theirs = {type(row): row.id for row in [other["room"], other["caseworker"], *other["rows"]]}
    failures: list[str] = []
    for view in model_views(client.application):
        theirs_here = [str(theirs[view.model])] if view.model in theirs else []
        failures += fuzz_bulk_action(client, errors, f"{view.url}/action/",
                                     theirs_here + world["foreign_ids"])
    assert not failures, "\n\n".join(failures)
    if role == "admin":
        db.session.remove()
        for model, row_id in theirs.items():
            assert db.session.get(model, row_id) is not None, f"{model.__name__} {row_id} deleted"


# --- the portal -----------------------------------------------------------------------

def _citizen_client(client: FlaskClient, cpr: str) -> None:
    response = client.post("/portal/login", data={"cpr": cpr, "code": "1234"})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]


def _quote(value: str) -> str:
    return urllib.parse.quote(_bytes(value), safe="")


def test_r_7_4_portal_login_with_hostile_values_gives_no_server_error(client, errors, world):
    """R-7.4: the citizen login posted hostile CPR numbers and codes: never a 5xx, never raw SQL."""
    failures: list[str] = []

    @given(cpr=value_strategy([world["own"]["citizen"].cpr]), code=value_strategy(["1234"]),
           extra=st.lists(st.tuples(st.sampled_from(["cpr", "code", "next"]), value_strategy([])),
                          max_size=2))
    @SETTINGS
    def run(cpr: str, code: str, extra: list[tuple[str, str]]) -> None:
        errors.clear()
        pairs = [("cpr", cpr), ("code", code), *extra]
        check_answer(post_form(client.application.test_client(), "/portal/login", pairs), errors,
                     "POST /portal/login", pairs)

    for value in NASTY:
        try:
            errors.clear()
            check_answer(post_form(client, "/portal/login", [("cpr", value), ("code", value)]), errors,
                         "POST /portal/login", value[:60])
        except AssertionError as error:
            failures.append(str(error))
    try:
        run()
    except AssertionError as error:
        failures.append(str(error))
    assert not failures, "\n\n".join(failures)


def test_r_7_4_portal_pages_with_hostile_values_give_no_server_error(client, errors, world):
    """R-7.4: a logged-in citizen's slot listing (week, caseworker), reserve, confirm, release,
    cancel and rebook, sent hostile query arguments, form values and path segments: never a 5xx,
    never raw SQL."""
    own = world["own"]
    offer, citizen = own["offer"], own["citizen"]
    now = now_local()
    booking = selfbooking.book(citizen, offer, slot_service.list_slots(offer, now=now)[0].starts_at, now=now)
    db.session.commit()
    booking_id, offer_id = booking.id, offer.id
    _citizen_client(client, citizen.cpr)
    failures: list[str] = []
    hostile = value_strategy(world["foreign_ids"] + [str(booking_id), str(offer_id)])
    slot_values = st.one_of(hostile, st.sampled_from(["s1", "s" + "9" * 30, "s-1", "2027-03-01T09:00:00",
                                                      "9999-12-31T23:59:59", "0001-01-01T00:00:00",
                                                      "2027-03-28T02:30:00", "2027-03-01T09:00:00+14:00"]))
    form_names = ["slot", "session_id", "caseworker_id", "week", "reason"]

    def send(method: str, url: str, pairs: list[tuple[str, str]]) -> None:
        errors.clear()
        if method == "GET":
            response = client.get(url + "?" + urllib.parse.urlencode([(_bytes(k), _bytes(v)) for k, v in pairs]))
        else:
            response = post_form(client, url, pairs)
        check_answer(response, errors, f"{method} {url}", pairs)

    @given(target=st.sampled_from([
        ("GET", f"/portal/offers/{offer_id}"), ("POST", f"/portal/offers/{offer_id}/reserve"),
        ("GET", f"/portal/meetings/{booking_id}/rebook"), ("POST", f"/portal/meetings/{booking_id}/rebook"),
        ("POST", f"/portal/meetings/{booking_id}/cancel"), ("GET", "/portal/reservations/{}"),
        ("POST", "/portal/reservations/{}/confirm"), ("POST", "/portal/reservations/{}/release"),
        ("GET", "/portal/offers/{}"), ("GET", "/portal/meetings/{}")]),
        segment=hostile, pairs=st.lists(st.tuples(st.sampled_from(form_names + ["caseworker"]),
                                                  slot_values), max_size=5))
    @SETTINGS
    def run(target: tuple[str, str], segment: str, pairs: list[tuple[str, str]]) -> None:
        method, url = target
        send(method, url.format(_quote(segment)), pairs)

    for value in NASTY:
        try:
            pairs = [(name, value) for name in form_names]
            send("GET", f"/portal/offers/{offer_id}", [("week", value), ("caseworker", value)])
            send("POST", f"/portal/offers/{offer_id}/reserve", pairs)
            send("POST", f"/portal/meetings/{booking_id}/rebook", pairs)
            send("GET", f"/portal/reservations/{_quote(value)}", [])
            send("POST", f"/portal/reservations/{_quote(value)}/confirm", [])
        except AssertionError as error:
            failures.append(str(error))
    try:
        run()
    except AssertionError as error:
        failures.append(str(error))
    # Last, as it ends the booking the others need.
    for value in NASTY:
        try:
            send("POST", f"/portal/meetings/{booking_id}/cancel", [("reason", value)])
        except AssertionError as error:
            failures.append(str(error))
    assert not failures, "\n\n".join(failures)


# --- the inbound endpoint -------------------------------------------------------------

INBOUND = "/integration/v1/appointments"
VALID_MESSAGE = {"appointment_id": "KSS-1", "action": "create", "caseworker": {"rid": "55501"},
                 "citizen_cpr": None, "starts_at": "2099-03-02T09:00:00+01:00",
                 "ends_at": "2099-03-02T09:30:00+01:00"}

json_scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.integers(min_value=2**63),
                         st.floats(allow_nan=False, allow_infinity=False),
                         st.text(st.characters(codec=None, exclude_categories=())),
                         st.sampled_from(HOSTILE))
# min_size=1: Hypothesis takes a container that may be empty for one that does not recurse.
json_values = st.recursive(json_scalars, lambda inner: st.one_of(
    st.lists(inner, min_size=1, max_size=4),
    st.dictionaries(st.text(max_size=12), inner, min_size=1, max_size=4)), max_leaves=12)


def _mutations() -> st.SearchStrategy[Any]:
    """The valid message with one to three fields replaced, dropped or added."""
    keys = [*VALID_MESSAGE, "caseworker.rid", "caseworker.guid", "extra"]

    def mutate(changes: list[tuple[str, Any, bool]]) -> dict[str, Any]:
        message = json.loads(json.dumps(VALID_MESSAGE))
        for key, value, drop in changes:
            outer, _, inner = key.partition(".")
            target = message
            if inner:
                if not isinstance(message.get(outer), dict):
                    message[outer] = {}
                target, key = message[outer], inner
            if drop:
                target.pop(key, None)
            else:
                target[key] = value
        return message

    return st.lists(st.tuples(st.sampled_from(keys), json_values, st.booleans()),
                    min_size=1, max_size=3).map(mutate)


def _as_body(value: Any) -> bytes:
    # json.dumps keeps lone surrogates as \ud800 escapes; ensure_ascii=False sends their bytes.
    return json.dumps(value, ensure_ascii=False).encode("utf-8", "surrogatepass")


@pytest.mark.parametrize("kind", ["json", "mutated", "bytes"])
def test_r_7_6_inbound_endpoint_answers_any_body_in_json_without_server_error(client, errors, world,
                                                                                create_caseworker, kind):
    """R-7.6, R-7.4: the case system's endpoint, sent generated JSON (nested lists and objects,
    huge numbers, text with surrogates and NUL), the valid message with fields replaced or
    dropped, and raw bytes, under several content types: never a 5xx, and always a JSON answer."""
    own = world["own"]
    create_caseworker(own["centre"], rid="55501")
    _, token = issue_client(own["centre"], "KSS", ApiClient.CASE_SYSTEM)
    db.session.commit()
    bodies = {"json": json_values.map(_as_body), "mutated": _mutations().map(_as_body),
              "bytes": st.binary(max_size=300)}[kind]

    @given(body=bodies, content_type=st.sampled_from([
        "application/json", "application/json; charset=latin-1", "text/plain",
        "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "", "\x00/\x00"]))
    @SETTINGS
    def run(body: bytes, content_type: str) -> None:
        errors.clear()
        headers = {"Authorization": f"Bearer {token}"}
        if content_type:
            headers["Content-Type"] = content_type
        response = client.post(INBOUND, data=body, headers=headers)
        check_answer(response, errors, f"POST {INBOUND} ({content_type})", body[:300])
        assert response.is_json and isinstance(response.get_json(), dict), \
            f"POST {INBOUND} ({content_type}): {response.status_code} is no JSON object: " \
            f"{response.get_data()[:300]!r}\n    sent: {body[:300]!r}"

    failures: list[str] = []
    if kind == "bytes":
        # The nastiest bodies once each: empty, NUL, a lone surrogate's bytes, too deep, too big.
        for body in [b"", b"\x00", b"\xed\xa0\x80", b"[" * 10_000, b'{"a":' * 5_000,
                     b'"' + b"x" * 70_000 + b'"', b"\xff\xfe{}"]:
            errors.clear()
            response = client.post(INBOUND, data=body, headers={"Authorization": f"Bearer {token}",
                                                                "Content-Type": "application/json"})
            try:
                check_answer(response, errors, f"POST {INBOUND}", body[:80])
                assert response.is_json, f"POST {INBOUND}: {response.status_code} is no JSON: " \
                                         f"{response.get_data()[:200]!r}\n    sent: {body[:80]!r}"
            except AssertionError as error:
                failures.append(str(error))
    try:
        run()
    except AssertionError as error:
        failures.append(str(error))
    assert not failures, "\n\n".join(failures)


# --- the caseworker workspace ----------------------------------------------------------

def fuzz_with(attempt: Callable[[list[tuple[str, str]]], None],
              strategy: st.SearchStrategy[list[tuple[str, str]]]) -> list[str]:
    """Run `attempt` on generated submissions; the failure found, if any."""

    @given(pairs=strategy)
    @FORM_SETTINGS
    def run(pairs: list[tuple[str, str]]) -> None:
        attempt(pairs)

    try:
        run()
    except AssertionError as error:
        return [str(error)[:1500]]
    return []


def test_r_7_4_workspace_forms_with_hostile_values_give_no_server_error(client, errors, world,
                                                                        create_booking):
    """R-7.4: the workspace's call-in form, and moving and cancelling a meeting, posted hostile
    values per field (as read from the pages): never a 5xx, never raw SQL, and a call-in form
    that comes back with an error has called nobody in."""
    from webapp.models import CallIn
    own = world["own"]
    monday = now_local().date() + timedelta(days=14 - now_local().weekday())
    booking = create_booking([own["caseworker"]], datetime.combine(monday, time(10)),
                             citizens=[own["citizen"]], now=now_local())
    login(client, own["admin"])
    new_url, detail_url = "/caseworker/callins/new", f"/caseworker/bookings/{booking.id}"
    detail = client.get(detail_url).get_data(as_text=True)
    forms = {new_url: form_fields(client.get(new_url).get_data(as_text=True), "callin-form"),
             f"{detail_url}/move": form_fields(detail, f"{detail_url}/move"),
             f"{detail_url}/cancel": form_fields(detail, f"{detail_url}/cancel")}
    assert all(forms.values()), {url: list(fields) for url, fields in forms.items()}
    # A known citizen, so that the form is read past the CPR numbers to its other fields.
    forms[new_url]["cprs"]["default"] = [own["citizen"].cpr]
    failures: list[str] = []

    def attempt(url: str, pairs: list[tuple[str, str]]) -> None:
        before = row_snapshot(CallIn, None)
        errors.clear()
        response = post_form(client, url, pairs)
        check_answer(response, errors, f"POST {url}", [(k, v[:60]) for k, v in pairs])
        if response.status_code in (200, 400) and url == new_url:
            assert row_snapshot(CallIn, None) == before, f"POST {url}: a refused call-in saved rows"

    for url in (new_url, f"{detail_url}/move"):
        for pairs in each_nasty_value(forms[url], keep=("cprs",) if url == new_url else ()):
            try:
                attempt(url, pairs)
            except AssertionError as error:
                failures.append(str(error)[:1500])

        failures += fuzz_with(lambda pairs, url=url: attempt(url, pairs),
                              submission(forms[url], world["foreign_ids"]))
    for pairs in each_nasty_value(forms[f"{detail_url}/cancel"]):
        try:
            attempt(f"{detail_url}/cancel", pairs)
        except AssertionError as error:
            failures.append(str(error)[:1500])
    assert not failures, "\n\n".join(failures)
