"""No double booking under fire: 50 simultaneous requests against a real gunicorn server (R-4.4, R-2.4).

The server runs as its own processes (2 workers × 16 threads) on the test's database,
SQLite file or PostgreSQL, so the requests really race: on PostgreSQL under row locks
and the exclusion constraints, on SQLite serialised by its write lock.
"""

from __future__ import annotations

import json
import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time as clock
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, time, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from webapp.administration.api_clients import issue_client
from webapp.clock import now_local
from webapp.extensions import db
from webapp.models import (Booking, BookingParticipant, BookingStatus, Citizen, MeetingForm,
                           WorkingTime)
from webapp.selfbooking import reservations as selfbooking
from webapp.selfbooking import slots as slot_service

ROOT = Path(__file__).resolve().parents[2]
REQUESTS = 50


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def server(database_url: str, tmp_path: Path) -> Iterator[str]:
    """gunicorn on 127.0.0.1 with the app on the test's database; stopped after the test."""
    port = _free_port()
    env = os.environ | {"PLANNER_DATABASE_URL": database_url, "PLANNER_RATELIMIT_ENABLED": "0",
                        "PLANNER_SECRET_KEY": "race-test"}
    log = open(tmp_path / "gunicorn.log", "wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-w", "2", "-k", "gthread", "--threads", "16",
         "-b", f"127.0.0.1:{port}", "--graceful-timeout", "2", "--preload", "wsgi:app"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(150):
            try:
                with urllib.request.urlopen(f"{base}/health", timeout=1) as response:
                    if response.status == 200:
                        break
            except OSError:
                clock.sleep(0.1)
        else:
            raise RuntimeError((tmp_path / "gunicorn.log").read_text()[-2000:])
        yield base
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


def _post(url: str, headers: dict[str, str], body: dict | None) -> int:
    data = json.dumps(body or {}).encode()
    request = urllib.request.Request(url, data=data, method="POST",
                                     headers=headers | {"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def _fire(calls: list[tuple[str, dict[str, str], dict | None, float]]) -> Counter:
    """Send every call at once (a barrier), each after its own small delay."""
    barrier = threading.Barrier(len(calls))

    def one(call: tuple[str, dict[str, str], dict | None, float]) -> int:
        url, headers, body, delay = call
        barrier.wait()
        if delay:
            clock.sleep(delay)
        return _post(url, headers, body)

    with ThreadPoolExecutor(len(calls)) as pool:
        return Counter(pool.map(one, calls))


@pytest.fixture
def scene(app, reference_data, create_job_centre, create_caseworker):
    """One caseworker with one free half hour on one day; 50 citizens; an API token."""
    centre = create_job_centre()
    team = next(t for t in centre.teams if t.parent_id is not None)
    caseworker = create_caseworker(centre, teams=[team])
    day = now_local().date() + timedelta(days=2)
    for row in list(caseworker.working_times):
        db.session.delete(row)
    db.session.add(WorkingTime(caseworker_id=caseworker.id, weekday=day.weekday(),
                               start_time=time(9, 0), end_time=time(9, 30)))
    citizens = [Citizen(job_centre_id=centre.id, cpr=f"0101{50 + i // 10:02d}{4000 + i:04d}",
                        name=f"Borger {i}") for i in range(REQUESTS)]
    db.session.add_all(citizens)
    _, token = issue_client(centre, "Racerportal")
    db.session.commit()
    return {"centre": centre, "team": team, "caseworker": caseworker, "day": day,
            "citizens": citizens, "token": token,
            "starts_at": datetime.combine(day, time(9, 0))}


def _headers(scene: dict, citizen) -> dict[str, str]:
    return {"Authorization": f"Bearer {scene['token']}", "X-Citizen-CPR": citizen.cpr}


def _live_bookings() -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(Booking).where(
        Booking.status != BookingStatus.CANCELLED))


def test_r_4_4_fifty_simultaneous_bookings_of_the_last_slot_one_wins(server, scene, create_offer):
    """R-4.4, R-2.4: 50 citizens confirm the last free slot at once: 1 × 201, 49 × 409, 1 row."""
    offer = create_offer([scene["caseworker"]], first_meeting_date=scene["day"],
                         fixed_end_date=scene["day"], rolling_end_weeks=None)
    assert [s.starts_at for s in slot_service.list_slots(offer, now=now_local())] == [scene["starts_at"]]
    body = {"offer_id": offer.id, "starts_at": scene["starts_at"].isoformat()}
    statuses = _fire([(f"{server}/api/v1/bookings", _headers(scene, c), body, 0.0)
                      for c in scene["citizens"]])
    assert statuses == Counter({201: 1, 409: REQUESTS - 1})
    assert _live_bookings() == 1


def test_r_4_4_fifty_simultaneous_joins_of_the_last_group_seat_one_wins(
        server, scene, create_offer, create_room):
    """R-4.4, R-2.4: the last seat of a group meeting goes to exactly one of 50 (row lock)."""
    room = create_room(scene["centre"], capacity=3)
    offer = create_offer([scene["caseworker"]], meeting_form=MeetingForm.GROUP, room_id=room.id,
                         first_meeting_date=scene["day"], fixed_end_date=scene["day"],
                         rolling_end_weeks=None)
    first, second, *others = scene["citizens"]
    now = now_local()
    session = selfbooking.book(first, offer, scene["starts_at"], now=now)
    selfbooking.book(second, offer, None, now=now, session_id=session.id)
    db.session.commit()
    body = {"offer_id": offer.id, "session_id": session.id}
    # The two already seated ask again too: they must not get a second seat.
    calls = [(f"{server}/api/v1/bookings", _headers(scene, c), body, 0.0)
             for c in [*others, first, second]]
    statuses = _fire(calls)
    assert statuses == Counter({201: 1, 409: REQUESTS - 1})
    db.session.expire_all()
    seated = db.session.scalar(select(func.count()).select_from(BookingParticipant).where(
        BookingParticipant.booking_id == session.id))
    assert seated == 3


def test_r_4_7_reservation_expiring_mid_race_still_one_winner(server, scene, create_offer):
    """R-4.7, R-4.4: a hold runs out while 49 others try and its holder confirms: one wins."""
    offer = create_offer([scene["caseworker"]], first_meeting_date=scene["day"],
                         fixed_end_date=scene["day"], rolling_end_weeks=None)
    holder, *others = scene["citizens"]
    held = selfbooking.reserve(holder, offer, scene["starts_at"], now=now_local(),
                               hold=timedelta(seconds=2))
    db.session.commit()
    rng = random.Random(4)
    body = {"offer_id": offer.id, "starts_at": scene["starts_at"].isoformat()}
    calls = [(f"{server}/api/v1/bookings", _headers(scene, c), body, rng.uniform(0, 4))
             for c in others]
    calls.append((f"{server}/api/v1/reservations/{held.id}/confirm", _headers(scene, holder), None,
                  rng.uniform(0, 4)))
    statuses = _fire(calls)
    assert statuses == Counter({201: 1, 409: REQUESTS - 1})
    assert _live_bookings() == 1
