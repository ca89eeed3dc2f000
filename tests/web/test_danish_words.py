"""R-8.3: the admin screens speak Danish: no raw stored values, class names or JSON keys, one
word for the waiting list, plural forms that agree with their numbers."""

from __future__ import annotations

import html
import re
from datetime import datetime
from pathlib import Path

import pytest
from flask_babel import force_locale

from tests.factories import login
from webapp.admin.audit_details import change_rows, object_text, value_text
from webapp.admin.labels import COLUMN_LABELS, FIELD_LABELS, OUTBOX_KIND_LABELS
from webapp.extensions import db
from webapp.models import AuditEntry, AuditEvent, InboundMessage, LetterTemplate, OutboxMessage, Role
from webapp.models.base import Model

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def admin(reference_data, create_job_centre, create_user):
    return create_user(Role.ADMINISTRATOR, create_job_centre("Jobcenter Aarhus"), name="Anne Admin")


def _cells(page: str, column: str) -> list[str]:
    return [re.sub(r"\s+", " ", cell).strip()
            for cell in re.findall(rf'<td class="col-{column}">(.*?)</td>', page, re.S)]


def test_the_outbox_names_the_kind_of_e_mail_in_danish_R_8_3(client, admin):
    for kind in ("letter", "invitation"):
        db.session.add(OutboxMessage(job_centre_id=admin.job_centre_id, kind=kind, recipient="a@b.dk",
                                     subject="Emne", body_text="Tekst"))
    db.session.flush()
    login(client, admin)
    page = client.get("/admin/outbox/").get_data(as_text=True)
    assert sorted(_cells(page, "kind")) == ["Brev til borgeren", "Kalenderinvitation til vejleder"]


def test_every_kind_the_outbox_queues_has_a_danish_name_R_8_3():
    queued = set()
    for path in (ROOT / "webapp").rglob("*.py"):
        queued |= set(re.findall(r'enqueue\(\s*kind="(\w+)"', path.read_text(encoding="utf-8")))
        queued |= {f"citizen_{k}" for k in ("booked", "rebooked", "cancelled", "reminder")
                   if 'kind=f"citizen_{kind}"' in path.read_text(encoding="utf-8")}
    assert queued and queued <= set(OUTBOX_KIND_LABELS)


def test_the_audit_list_names_the_object_not_its_class_R_8_3(client, admin):
    template = LetterTemplate(job_centre=admin.job_centre, name="Indkaldelsesbrev", subject="S", body="B")
    db.session.add(template)
    db.session.flush()
    db.session.add(AuditEntry(job_centre_id=admin.job_centre_id, event=AuditEvent.ADMIN_CREATED,
                              user_name="Anne Admin", object_type="LetterTemplate",
                              object_id=str(template.id), occurred_at=datetime(2030, 1, 10, 9)))
    db.session.flush()
    login(client, admin)
    page = client.get("/admin/audit/").get_data(as_text=True)
    assert _cells(page, "object_type") == ["Brevskabelon »Indkaldelsesbrev«"]
    assert "LetterTemplate" not in page


def test_audit_details_are_a_before_after_table_in_danish_R_8_3(client, admin):
    entry = AuditEntry(job_centre_id=admin.job_centre_id, event=AuditEvent.ADMIN_UPDATED,
                       user_name="Anne Admin", object_type="Team", object_id="999",
                       before={"name": "Jobparate", "can_be_assigned_callins": True,
                               "first_day": "2027-01-04"},
                       after={"name": "Unge", "can_be_assigned_callins": False,
                              "first_day": "2027-02-01"},
                       occurred_at=datetime(2030, 1, 10, 9))
    db.session.add(entry)
    db.session.flush()
    login(client, admin)
    page = client.get(f"/admin/audit/details/?id={entry.id}").get_data(as_text=True)
    assert "audit-changes" in page
    rows = [re.sub(r"<[^>]+>", "|", row) for row in re.findall(r"<tr>(.*?)</tr>", page, re.S)]
    assert any("Navn" in row and "Jobparate" in row and "Unge" in row for row in rows)
    assert any("04.01.2027" in row and "01.02.2027" in row for row in rows)
    assert "can_be_assigned_callins" not in page and '{"name"' not in page and "first_day" not in page


def test_values_are_written_as_the_screens_write_them_R_8_3(app):
    with app.test_request_context(), force_locale("da"):
        assert value_text(True) == "Ja" and value_text(None) == "–"
        assert value_text("2027-03-01T09:30:00") == "01.03.2027 09:30"
        assert value_text("call_in") == "Indkaldelse"
        assert change_rows({"status": "waiting"}, {"status": "placed"})[0][0] == "Status"
        assert value_text("8000") == "8000"


def test_every_column_of_every_model_has_a_danish_field_name_R_8_3():
    """No English column key can reach the audit details table."""
    from sqlalchemy import inspect

    from webapp import models
    missing = set()
    for obj in vars(models).values():
        if isinstance(obj, type) and issubclass(obj, Model) and obj is not Model:
            for attr in inspect(obj).column_attrs:
                key = attr.key
                if not any(k in COLUMN_LABELS or k in FIELD_LABELS for k in (key, key.removesuffix("_id"))):
                    missing.add(key)
    assert missing == set()


def test_an_object_gone_from_the_database_is_named_by_its_kind_R_8_3(app):
    with app.test_request_context(), force_locale("da"):
        assert object_text("LetterTemplate", "424242", session=db.session) == "Brevskabelon"
        assert object_text("Citizen", "1", session=db.session) == "Borger"
        assert object_text("SomethingNew", "1", session=db.session) == "Andet objekt"


def test_the_inbound_log_says_outcome_and_explanation_in_danish_R_8_3(client, admin):
    db.session.add(InboundMessage(job_centre_id=admin.job_centre_id, raw="<x/>", outcome="ignored_unknown_caseworker",
                                  detail="Sagsbehandleren findes ikke i planlæggeren."))
    db.session.flush()
    login(client, admin)
    page = client.get("/admin/inbound/").get_data(as_text=True)
    assert _cells(page, "outcome") == ["Ignoreret: ukendt sagsbehandler"]
    assert "Forklaring" in page and "Detalje" not in page


def test_the_waiting_list_has_one_danish_name_R_8_3():
    """The manual's word is *afventerliste*; "venteliste" is not used beside it."""
    catalogue = (ROOT / "webapp/translations/da/LC_MESSAGES/messages.po").read_text(encoding="utf-8")
    danish = "\n".join(re.findall(r'^msgstr(?:\[\d\])? "(.*)"$', catalogue, re.M))
    assert re.search(r"(?<!afventer)(?<!Afventer)\b[Vv]enteliste", danish) is None
    assert "fventerliste" in danish


@pytest.mark.parametrize(("citizens", "meetings", "expected"), [
    (1, 1, "1 borger indkaldt: 1 samtale booket."),
    (2, 1, "2 borgere indkaldt: 1 samtale booket."),
    (3, 3, "3 borgere indkaldt: 3 samtaler booket."),
])
def test_the_call_in_result_agrees_with_its_numbers_R_8_3(app, citizens, meetings, expected):
    from flask_babel import ngettext
    with app.test_request_context(), force_locale("da"):
        text = (ngettext("%(num)s citizen called in:", "%(num)s citizens called in:", citizens) + " "
                + ngettext("%(num)s meeting booked.", "%(num)s meetings booked.", meetings))
    assert text == expected


def test_inline_add_buttons_write_the_noun_in_lower_case_R_8_3(client, admin):
    login(client, admin)
    page = client.get("/admin/variant/new/").get_data(as_text=True)
    assert "Tilføj brevregel" in page and "Tilføj Brevregel" not in page


def test_the_user_form_says_sprog_not_locale_R_8_3(client, admin):
    login(client, admin)
    page = client.get("/admin/user/new/").get_data(as_text=True)
    assert "Locale" not in page and "Sprog" in page


def test_the_filter_operator_is_short_enough_to_read_R_8_3(client, admin):
    """Flask-Admin's operator box cut "er lig med" to "er lig m…"; "er" says the same."""
    login(client, admin)
    page = client.get("/admin/outbox/").get_data(as_text=True)
    groups = re.search(r'data-filter-groups="([^"]*)"|filterGroups = (\{.*?\});', page, re.S)
    text = html.unescape(groups.group(1) or groups.group(2)) if groups else page
    assert '"er"' in text and "er lig med" not in text
