"""R-7.4 and R-7.6 follow-ups: refusals before the inbound service are logged, hostile list and query
arguments never give a 500."""

from __future__ import annotations

import io
from datetime import datetime

import pytest
from sqlalchemy import func, select
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from webapp.extensions import db
from webapp.models import ApiClient, Booking, InboundMessage

INBOUND = "/integration/v1/appointments"
NOW = datetime(2027, 2, 26, 12, 0)
CPR = "0101901234"


# --- every authenticated message is logged, also one refused before the service ----------

@pytest.fixture
def kss(app, reference_data, create_job_centre, create_caseworker, monkeypatch):
    """Headers of the case system of a job centre."""
    from webapp.administration.api_clients import issue_client

    monkeypatch.setattr("webapp.integration.now_local", lambda: NOW)
    centre = create_job_centre()
    create_caseworker(centre, rid="55501")
    _, token = issue_client(centre, "KSS", ApiClient.CASE_SYSTEM)
    db.session.commit()
    return {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}


class Body(io.RawIOBase):
    """A request body of `size` bytes of `fill`, made while it is read; counts what the app read."""

    def __init__(self, size: int, fill: bytes = b" ") -> None:
        self.left, self.read_bytes, self.fill = size, 0, fill

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:  # type: ignore[no-untyped-def]
        n = min(len(buffer), self.left)
        buffer[:n] = (self.fill * (n // len(self.fill) + 1))[:n]
        self.left -= n
        self.read_bytes += n
        return n


def post_stream(client, headers: dict, body: Body, content_length: int | None):
    """POST `body` as a server hands it on: chunked (no length, input terminated) or with a length."""
    environ = EnvironBuilder(path=INBOUND, method="POST", headers=headers).get_environ()
    environ["wsgi.input"] = body
    if content_length is None:
        environ.pop("CONTENT_LENGTH", None)
        environ.update({"wsgi.input_terminated": True, "HTTP_TRANSFER_ENCODING": "chunked"})
    else:
        environ["CONTENT_LENGTH"] = str(content_length)
    return client.open(Request(environ))


def logged_messages() -> list[InboundMessage]:
    db.session.rollback()
    return list(db.session.scalars(select(InboundMessage).order_by(InboundMessage.id)))


def assert_refused_json(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)[:500]
    assert response.is_json
    body = response.get_json()
    assert body["code"] == code and body["outcome"] == "rejected", body
    assert body["message_da"] and body["message_en"] and body["message_da"] != body["message_en"]
    return body


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_r_7_6_a_body_over_the_cap_is_logged_as_rejected(client, kss, chunked):
    """R-7.6: an authenticated message over the size cap is answered 413 in JSON and logged as
    rejected, saying why; a body with its Content-Length is still not read (R-7.4)."""
    size = 30 * 1024 * 1024
    body = Body(size)
    response = post_stream(client, kss, body, None if chunked else size)
    assert_refused_json(response, 413, "too_large")
    assert body.read_bytes <= (128 * 1024 if chunked else 0)
    [logged] = logged_messages()
    assert logged.outcome == "rejected" and "for stor" in logged.detail
    assert logged.job_centre_id is not None and logged.external_id is None


def test_r_7_6_a_body_over_the_cap_without_a_valid_token_is_not_logged(client, kss):
    """R-7.6 logs authenticated messages: an oversized body without a valid token stays out of the log."""
    headers = kss | {"Authorization": "Bearer wrong"}
    response = post_stream(client, headers, Body(1024 * 1024), 1024 * 1024)
    assert response.status_code == 413 and response.is_json
    assert logged_messages() == []


def _nested(depth: int) -> str:
    return "[" * depth + "]" * depth


def test_r_7_6_json_nested_too_deep_is_logged_truncated_escaped_and_masked(client, kss):
    """R-7.6: JSON nested deeper than the cap is refused 400 before it is parsed, and logged as
    rejected with its raw body as the service keeps others: CPR numbers masked, control characters
    escaped, cut to the log's length (R-7.8)."""
    raw = ('{"appointment_id": "KSS-7", "citizen_cpr": "' + CPR + '", "note": "a\\u0000b\x7f", "x": '
           + _nested(30_000) + "}")
    response = client.post(INBOUND, data=raw.encode(), headers=kss)
    body = assert_refused_json(response, 400, "json_too_deep")
    assert "32" in body["message_da"]
    [logged] = logged_messages()
    assert logged.outcome == "rejected" and "for dybt" in logged.detail
    assert CPR not in logged.raw and "010190-****" in logged.raw
    assert "\x7f" not in logged.raw and "\\x7f" in logged.raw
    assert len(logged.raw) == 20_000
    assert db.session.scalar(select(func.count(Booking.id))) == 0


def test_r_7_6_a_body_cut_short_by_the_client_is_logged_as_rejected(client, kss):
    """R-7.6: a body that ends before its Content-Length (the client went away) is a JSON 400,
    logged as rejected; never an HTML page or a 500."""
    response = post_stream(client, kss, Body(10, b"{"), 1000)
    assert_refused_json(response, 400, "incomplete_body")
    [logged] = logged_messages()
    assert logged.outcome == "rejected"


# --- hostile list arguments in every admin list --------------------------------------

RAW_SQL_MARKS = ("INSERT INTO", "SELECT ", "UPDATE ", "[SQL:", "[parameters:", "sqlalche.me", "psycopg",
                 "sqlite3", "OverflowError", "Traceback")

# Sent to the search, to every filter and to the paging arguments; a lone surrogate goes as the raw
# bytes a broken client would send.
SEARCHES = ["a\x00b", "\ud800", "x" * 10_000, "\x1b[2J", "%_\\", "'; DROP TABLE teams; --", "1 " * 3000]
FILTER_VALUES = ["a\x00b", "\ud800", "x" * 10_000, str(2**70), str(-2**70), str(2**31), "1e309", "NaN", "abc",
                 "١٢٣", "", "9999-12-31", "0001-01-01 00:00:00 to 2027-01-01 00:00:00", "2027-02-30",
                 f"1,{2**70}", "1,abc", "1," * 5000]
PAGING = {"page": [str(10**20), str(2**63), "-1", "abc"], "page_size": ["-1", str(10**20), "0"],
          "sort": ["garbage", str(10**20), "-1"], "desc": [str(10**20), "x"]}


@pytest.fixture
def errors(app):
    """The app as in production (an exception is a 500 page); the exceptions behind them, for the message."""
    from flask import got_request_exception

    caught: list[BaseException] = []

    def keep(sender, exception, **extra) -> None:  # type: ignore[no-untyped-def]
        caught.append(exception)

    app.config["PROPAGATE_EXCEPTIONS"] = False
    got_request_exception.connect(keep, app)
    yield caught
    got_request_exception.disconnect(keep, app)


@pytest.fixture
def lists_world(reference_data, create_job_centre, create_user, create_caseworker, create_room,
                create_citizen, create_booking):
    """A job centre with a row in most lists, its administrator, and support."""
    from webapp.models import Role

    centre = create_job_centre("Jobcenter Lister")
    caseworker = create_caseworker(centre)
    create_room(centre, capacity=4)
    citizen = create_citizen(centre)
    db.session.add(InboundMessage(job_centre_id=centre.id, external_id="KSS-1", raw="{}", outcome="created",
                                  detail="Oprettet.", received_at=NOW))
    db.session.commit()
    booking = create_booking([caseworker], datetime(2027, 3, 2, 9, 0), citizens=[citizen])
    return {"admin": create_user(Role.ADMINISTRATOR, centre), "support": create_user(Role.SUPPORT),
            "booking_id": booking.id, "caseworker_name": caseworker.name}


def model_views(app) -> list:
    from flask_admin.contrib.sqla import ModelView

    return [view for view in app.extensions["admin"][0]._views if isinstance(view, ModelView)]


def _query(pairs: list[tuple[str, str]]) -> str:
    import urllib.parse

    return urllib.parse.urlencode([(k, v.encode("utf-8", "surrogatepass")) for k, v in pairs])


def hostile_list_queries(view) -> list[list[tuple[str, str]]]:
    """Every hostile value in the search, in each of the view's filters and in the paging arguments."""
    queries = [[("search", value)] for value in SEARCHES]
    for key in (view._filter_args or {}):
        queries += [[(f"flt0_{key}", value)] for value in FILTER_VALUES]
    queries += [[(name, value)] for name, values in PAGING.items() for value in values]
    # All at once, and two filters at the same position.
    queries.append([(name, values[0]) for name, values in PAGING.items()] + [("search", "a\x00b")]
                   + [(f"flt{i}_{key}", str(2**70)) for i, key in enumerate(view._filter_args or {})])
    return queries


def check_page(response, errors: list[BaseException]) -> str | None:
    """What is wrong with the answer: a 5xx or raw database text (R-7.4); None if nothing."""
    page = response.get_data(as_text=True)
    if response.status_code >= 500:
        return f"{response.status_code} {type(errors[-1]).__name__ if errors else ''}: " \
               f"{str(errors[-1])[:200] if errors else page[:200]!r}"
    mark = next((m for m in RAW_SQL_MARKS if m in page), None)
    if mark is not None:
        at = page.find(mark)
        return f"raw SQL {mark!r}: {page[max(0, at - 150):at + 150]!r}"
    return None


@pytest.mark.parametrize("role", ["support", "admin"])
def test_r_7_4_hostile_list_arguments_in_every_admin_list_give_no_server_error(
        client, errors, lists_world, role):
    """R-7.4: every admin list (found through the Admin instance) sent a search with a NUL, a lone
    surrogate or 10,000 characters, filters with 2**70, non-numbers and year 9999 on integer, enum
    and date columns, page=10**20, a garbage sort and page_size=-1: never a 5xx, never raw SQL."""
    from tests.factories import login

    login(client, lists_world[role])
    failures: dict[tuple[str, str], list[str]] = {}
    listed = 0
    for view in model_views(client.application):
        if client.get(f"{view.url}/").status_code != 200:
            continue
        listed += 1
        for pairs in hostile_list_queries(view):
            errors.clear()
            failure = check_page(client.get(f"{view.url}/?{_query(pairs)}"), errors)
            if failure:
                # One line per list and kind of failure, with the arguments that caused it.
                where = (view.url, failure.split(":")[0])
                failures.setdefault(where, [failure]).append(repr([(k, v[:30]) for k, v in pairs]))
    assert listed >= (20 if role == "support" else 15), listed
    assert not failures, f"{sum(len(v) - 1 for v in failures.values())} failures:\n" + "\n".join(
        f"{url} {first[:220]}\n    {len(sent)}x: {', '.join(sent[:6])[:600]}"
        for (url, _kind), (first, *sent) in sorted(failures.items()))


def _filter_key(app, endpoint: str, filter_class: type) -> str:
    view = next(v for v in model_views(app) if v.endpoint == endpoint)
    return next(key for key, (_index, flt) in view._filter_args.items() if type(flt) is filter_class)


def _booking_rows(page: str) -> set[int]:
    import re

    return {int(found) for found in re.findall(r'<td class="col-id">\s*(\d+)\s*</td>', page)}


@pytest.mark.parametrize(("value", "message"), [
    (str(2**70), "må højst være 2147483647"),
    ("abc", "værdien kan ikke bruges som filter"),
    ("\x00", "må ikke indeholde styretegn"),
], ids=["2**70", "not-a-number", "nul"])
def test_r_7_4_a_bad_filter_value_is_flashed_in_danish_and_the_list_shown_without_it(
        client, lists_world, value, message):
    """R-7.4: a filter value the column cannot hold is named in a Danish flash and left out: the list
    shows unfiltered; a good value still filters."""
    from flask_admin.contrib.sqla.filters import IntEqualFilter

    from tests.factories import login
    from tests.web.admin_support import flashes

    login(client, lists_world["admin"])
    key, booking_id = _filter_key(client.application, "booking", IntEqualFilter), lists_world["booking_id"]
    response = client.get(f"/admin/booking/?{_query([(f'flt0_{key}', value)])}")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert any(message in f and "Listen vises uden dette filter." in f for f in flashes(page)), flashes(page)
    assert _booking_rows(page) == {booking_id}
    assert _booking_rows(client.get(f"/admin/booking/?flt0_{key}={booking_id + 1}").get_data(as_text=True)) == set()
    assert _booking_rows(client.get(f"/admin/booking/?flt0_{key}={booking_id}").get_data(as_text=True)) == {booking_id}


@pytest.mark.parametrize(("query", "message"), [
    ([("search", "a\x00b")], "»Søgning« må ikke indeholde styretegn"),
    ([("search", "x" * 10_000)], "»Søgning« må højst have 200 tegn"),
    ([("page", str(10**20))], "Sidetallet findes ikke"),
    ([("page", "-1")], "Sidetallet findes ikke"),
], ids=["search-nul", "search-10k", "page-10**20", "page-negative"])
def test_r_7_4_a_bad_search_or_page_is_flashed_in_danish_and_the_list_shown(client, lists_world, query, message):
    """R-7.4: a search with a NUL or of 10,000 characters, or a page past any list, is named in a Danish
    flash; the list's first page shows, unsearched."""
    from tests.factories import login
    from tests.web.admin_support import flashes

    login(client, lists_world["admin"])
    response = client.get(f"/admin/caseworker/?{_query(query)}")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert any(message in f for f in flashes(page)), flashes(page)
    assert lists_world["caseworker_name"] in page


# --- the inline forms of a variant's letter rules ------------------------------------

@pytest.mark.parametrize(("field", "value"), [("activity", "a\x00b"), ("activity", "x" * 5000),
                                              ("meeting_form", "garbage"), ("conversation_type", str(2**70)),
                                              ("letter_template", "")],
                         ids=["activity-nul", "activity-5000", "meeting-form", "type-2**70", "template-empty"])
def test_r_7_4_a_letter_rule_inline_form_refuses_in_danish_and_saves_nothing(client, lists_world, field, value):
    """R-7.4: the inline forms (a variant's letter rules) are the admin's base form: a bad value is
    refused with the Danish message on its field, never WTForms' English, and nothing is saved."""
    import re

    from tests.factories import login
    from webapp.models import ConversationType, LetterRule, LetterTemplate, Variant

    admin = lists_world["admin"]
    letter = LetterTemplate(job_centre=admin.job_centre, name="Brev", subject="Emne", body="Tekst")
    db.session.add(letter)
    db.session.commit()
    conversation_type = db.session.scalars(select(ConversationType).order_by(ConversationType.code)).first()
    rule = {"conversation_type": conversation_type.id, "activity": "call_in", "letter_template": letter.id,
            "contact_group": "__None", "holding_form": "__None", "meeting_form": ""} | {field: value}
    login(client, admin)
    response = client.post("/admin/variant/new/", data={
        "name": "Unge", "conversation_types": [conversation_type.id],
        **{f"letter_rules-0-{key}": item for key, item in rule.items()}})
    page = response.get_data(as_text=True)
    assert response.status_code == 200, page[:1000]
    shown = [re.sub(r"<[^>]+>|\s+", " ", block).strip()
             for block in re.findall(r'class="form-text text-danger[^"]*">(.*?)</ul>', page, re.S)]
    assert shown and all("Vælg en af mulighederne." in s or "Feltet skal udfyldes." in s for s in shown), shown
    assert not any(english in page for english in ("Not a valid choice", "Invalid value", "This field is required"))
    db.session.rollback()
    assert db.session.scalar(select(func.count(Variant.id))) == 0
    assert db.session.scalar(select(func.count(LetterRule.id))) == 0


# --- hostile query arguments in the workspace, the admin's own pages, the portal and the API --

QUERY_VALUES = [str(2**70), str(2**63), str(2**31), "-1", "0", "١٢٣", "²", "½", "9999-12-31", "0001-01-01", "9999-12",
                "1-1", "10000-01", "2027-13", "0001-01", "a\x00b", "\ud800", "x" * 10_000, ""]


@pytest.fixture
def everywhere(reference_data, create_offer):
    """The workspace's job centre with an offer, its users, a logged-in citizen's CPR and an API client."""
    from tests.workspace_setup import build_workspace
    from webapp.administration.api_clients import issue_client

    ws = build_workspace()
    offer = create_offer([ws.anna], citizen_chooses_caseworker=True)
    _, token = issue_client(ws.job_centre, "Borgerportal")
    db.session.commit()
    return {"ws": ws, "offer_id": offer.id, "api": {"Authorization": f"Bearer {token}",
                                                    "X-Citizen-CPR": ws.citizens[0].cpr}}


def _pages(everywhere) -> dict[str, list[tuple[str, list[str]]]]:
    """Per who asks: the pages and the query arguments each parses."""
    ws, offer_id = everywhere["ws"], everywhere["offer_id"]
    team = ws.team.id
    return {
        "staff": [("/caseworker/", ["team", "caseworker", "date"]), ("/caseworker/events", ["start", "end"]),
                  ("/caseworker/callins/new", ["template"]),
                  ("/caseworker/waiting", ["team", "caseworker", "type", "deadline_by", "min_days", "status", "sort"]),
                  ("/caseworker/rooms", ["team", "date", "view"]),
                  (f"/caseworker/why?caseworker={ws.anna.id}", ["at"]),
                  ("/caseworker/why?at=2027-03-01T09:00", ["caseworker", "team", "room"])],
        "admin": [(f"/admin/teamcalendar/?team_id={team}", ["month"]), ("/admin/teamcalendar/", ["team_id"]),
                  ("/admin/caseworker/remove-team/", ["id", "team_id"]), ("/admin/caseworker/rebook/", ["id", "team_id"]),
                  ("/admin/callintemplate/team-options/", ["team_id"]),
                  ("/admin/localclosureday/collisions/", ["id"]), ("/admin/caseworker/edit/", ["id"]),
                  (f"/admin/roomcalendar/?team_id={team}", ["date", "view"]), ("/admin/roomcalendar/", ["team_id"]),
                  (f"/admin/teamcalendar/?team_id={team}&at=2027-03-01T09:00", ["why"]),
                  (f"/admin/teamcalendar/?team_id={team}&why=caseworker-{ws.anna.id}", ["at"])],
        "citizen": [(f"/portal/offers/{offer_id}", ["week", "caseworker"])],
        "api": [(f"/api/v1/offers/{offer_id}/slots", ["from", "to", "caseworker_id"]), ("/api/v1/bookings", ["from", "to"]),
                ("/api/v1/deadlines", ["from", "to"])],
    }


def _join(url: str, pairs: list[tuple[str, str]]) -> str:
    return f"{url}{'&' if '?' in url else '?'}{_query(pairs)}"


@pytest.mark.parametrize("who", ["staff", "admin", "citizen", "api"])
def test_r_7_4_hostile_query_arguments_give_a_4xx_or_a_page_never_a_500(client, errors, everywhere, who):
    """R-7.4: ids of 2**70 and 2**63, year 9999 and year 1 in dates, weeks and months, month 13, other
    scripts' digits, a NUL, a lone surrogate and 10,000 characters in every query argument that the
    workspace, the admin's own pages, the portal and the API parse: a 4xx or a sane page, never a 5xx."""
    from tests.factories import login

    ws, headers = everywhere["ws"], {}
    if who == "staff":
        login(client, ws.user)
    elif who == "admin":
        login(client, ws.admin)
    elif who == "citizen":
        assert client.post("/portal/login", data={"cpr": ws.citizens[0].cpr, "code": "1234"}).status_code == 302
    else:
        headers = everywhere["api"]
    pages = _pages(everywhere)[who]
    assert client.get(pages[0][0], headers=headers).status_code == 200, "not logged in"
    failures = []
    for url, names in pages:
        tried = [[]] + [[(name, value)] for name in names for value in QUERY_VALUES]
        tried += [[(name, value) for name in names] for value in QUERY_VALUES]
        for pairs in tried:
            errors.clear()
            failure = check_page(client.get(_join(url, pairs), headers=headers), errors)
            if failure:
                failures.append(f"GET {url} {[(k, v[:20]) for k, v in pairs]}: {failure}")
    assert not failures, f"{len(failures)} failures:\n" + "\n".join(failures[:30])
