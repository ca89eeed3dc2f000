"""schemathesis against /api/v1/openapi.json: no 5xx and answers that match the document (R-4.10).

Every operation of the document gets generated requests, valid and invalid, with a real
token and citizen so that the booking paths run too. The checks: no server error, the
status code and the JSON body are the ones the document describes.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (content_type_conformance,
                                               response_schema_conformance,
                                               status_code_conformance)

from webapp.administration.api_clients import issue_client
from webapp.clock import now_local
from webapp.extensions import db
from webapp.models import MeetingForm
from webapp.selfbooking import reservations as selfbooking
from webapp.selfbooking import slots as slot_service

EXAMPLES = 25
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance]


@pytest.fixture
def fuzz_setup(app, reference_data, create_job_centre, create_caseworker, create_citizen,
               create_offer, create_room):
    centre = create_job_centre()
    team = next(t for t in centre.teams if t.parent_id is not None)
    anna = create_caseworker(centre, teams=[team])
    offer = create_offer([anna], citizen_chooses_caseworker=True)
    room = create_room(centre, capacity=4)
    group = create_offer([anna], meeting_form=MeetingForm.GROUP, room_id=room.id)
    citizen = create_citizen(centre, cpr="0101054000", email="f@example.dk")
    now = now_local()
    slots = slot_service.list_slots(offer, now=now)
    # Something to find for the id-taking operations: a booking and a group meeting.
    selfbooking.book(citizen, offer, slots[0].starts_at, now=now)
    other = create_citizen(centre, cpr="0101054001")
    selfbooking.book(other, group, slot_service.list_slots(group, now=now)[-1].starts_at, now=now)
    _, token = issue_client(centre, "Fuzzportal")
    db.session.commit()
    return {"Authorization": f"Bearer {token}", "X-Citizen-CPR": "0101054000"}


def test_r_4_10_schemathesis_finds_no_server_error_on_any_operation(app, fuzz_setup):
    """R-4.10: generated input on every operation of the OpenAPI document: never a 5xx,
    and the responses conform to the document."""
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) == 13
    failures: list[str] = []
    for operation in operations:
        @given(case=operation.as_strategy())
        @settings(max_examples=EXAMPLES, deadline=timedelta(seconds=5), database=None,
                  suppress_health_check=list(HealthCheck))
        def run(case):  # type: ignore[no-untyped-def]
            db.session.remove()
            case.call_and_validate(headers=fuzz_setup, checks=CHECKS)

        try:
            run()
        except Exception as error:  # collect per operation; report them all
            failures.append(f"{operation.label}: {str(error)[:1500]}")
    assert not failures, "\n\n".join(failures)
