"""A small job centre for the workspace tests: a team, caseworkers, rooms, citizens, templates, letters."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, time
from types import SimpleNamespace
from typing import Any

from sqlalchemy import select

# The workspace tests take the shared clock from here too.
from tests.timehelpers import MONDAY as MONDAY, NOW as NOW, at as at
from webapp.extensions import db
from webapp.models import (Break, CallInTemplate, Caseworker, Citizen, ContactGroup,
                           ConversationType, DeadlineMode, Distribution, HoldingForm, JobCentre,
                           LetterActivity, LetterRule, LetterTemplate, LocalClosureDay, MeetingForm,
                           Role, Room, SyncMode, Team, TeamMembership, User, Variant, WorkingTime)
from webapp.administration.organisation import create_job_centre

PASSWORD = "correct horse 42"
CPRS = ["0101801001", "0202811002", "0303821003", "0404831004", "0505841005", "0606851006"]


@dataclass
class Workspace:
    job_centre: JobCentre
    team: Team
    anna: Caseworker  # one-way calendar sync, has a login
    bo: Caseworker  # two-way
    carl: Caseworker  # no sync
    room: Room  # with an address, 2 seats + 1 overbooking
    small_room: Room  # no address, 1 seat
    citizens: list[Citizen]
    user: User
    admin: User
    types: dict[int, ConversationType]
    forms: dict[str, HoldingForm]
    groups: dict[str, ContactGroup]
    variant: Variant
    letters: dict[str, LetterTemplate]
    templates: dict[str, CallInTemplate]
    extra: dict[str, Any] = field(default_factory=dict)


def _caseworker(jc: JobCentre, team: Team, name: str, initials: str, mode: SyncMode) -> Caseworker:
    cw = Caseworker(job_centre=jc, email=f"{initials.lower()}@demo-jobcenter.dk", name=name,
                    initials=initials, rid=f"9{abs(hash(initials)) % 100000:05d}", sync_mode=mode)
    cw.memberships.append(TeamMembership(team=team))
    for weekday in range(5):
        cw.working_times.append(WorkingTime(weekday=weekday, start_time=time(8), end_time=time(16)))
        cw.breaks.append(Break(weekday=weekday, start_time=time(12), end_time=time(12, 30)))
    db.session.add(cw)
    return cw


def build_workspace(name: str = "Jobcenter Testby", *, cprs: list[str] = CPRS) -> Workspace:
    """Reference data must be seeded; commits."""
    jc = create_job_centre(name, "Testby", f"{name} Rod", f"{name} Team")
    team = next(t for t in jc.teams if t.parent_id is not None)
    team.name = f"Unge {name}"
    team.pending_rename = False
    team.address, team.postal_code, team.city = "Teamvej 4B", "8000", "Aarhus C"
    team.email = f"team@{name.split()[-1].lower()}.dk"
    anna = _caseworker(jc, team, "Anna Andersen", "AA", SyncMode.ONE_WAY)
    bo = _caseworker(jc, team, "Bo Berg", "BB", SyncMode.TWO_WAY)
    carl = _caseworker(jc, team, "Carl Clausen", "CC", SyncMode.NONE)
    room = Room(job_centre=jc, name="Mødelokale 1", capacity=2, accepts_overbooking=True,
                overbooking_seats=1, address="Lokalegade 7", postal_code="8000", city="Aarhus C",
                teams=[team])
    small = Room(job_centre=jc, name="Lille rum", capacity=1, teams=[team])
    db.session.add_all([room, small])
    types = {t.code: t for t in db.session.scalars(select(ConversationType))}
    forms = {f.code: f for f in db.session.scalars(select(HoldingForm))}
    groups = {g.code: g for g in db.session.scalars(select(ContactGroup))}
    citizens = []
    for i, cpr in enumerate(cprs):
        citizen = Citizen(job_centre=jc, cpr=cpr, name=f"Borger {i + 1}",
                          email=f"borger{i + 1}@example.dk" if i != 1 else None,
                          address=f"Borgervej {i + 1}", postal_code="8000", city="Aarhus C",
                          contact_group=list(groups.values())[0] if i == 0 else None)
        db.session.add(citizen)
        citizens.append(citizen)
    letters = {}
    for key, subject, body in (
            ("general", "Indkaldelse til samtale", "Kære {{ citizen.name }}\n\nDu er indkaldt "
             "{{ booking.starts_at }}.\nMødested: {{ address }}."),
            ("phone", "Indkaldelse til telefonsamtale", "Kære {{ citizen.name }}\n\nVi ringer "
             "{{ booking.starts_at }}."),
            ("phone_group", "Telefonsamtale for din gruppe", "Kære {{ citizen.name }}\n\nSærlig "
             "telefonsamtale {{ booking.starts_at }}."),
            ("move", "Din samtale er flyttet", "Kære {{ citizen.name }}\n\nNy tid: "
             "{{ booking.starts_at }}.\nMødested: {{ address }}."),
            ("cancel", "Din samtale er aflyst", "Kære {{ citizen.name }}\n\nSamtalen "
             "{{ booking.starts_at }} er aflyst. {{ cancel_reason }}")):
        letters[key] = LetterTemplate(job_centre=jc, name=f"{key} {name}", subject=subject, body=body)
        db.session.add(letters[key])
    variant = Variant(job_centre=jc, name=f"Unge {name}", conversation_types=[types[7], types[9]],
                      teams=[team])
    db.session.add(variant)
    first_group = list(groups.values())[0]
    for code in (7, 9):
        variant.letter_rules += [
            LetterRule(conversation_type=types[code], activity=LetterActivity.CALL_IN,
                       letter_template=letters["general"]),
            LetterRule(conversation_type=types[code], activity=LetterActivity.MOVE,
                       letter_template=letters["move"]),
            LetterRule(conversation_type=types[code], activity=LetterActivity.CANCELLATION,
                       letter_template=letters["cancel"]),
        ]
    variant.letter_rules += [
        LetterRule(conversation_type=types[7], activity=LetterActivity.CALL_IN,
                   holding_form=forms["phone"], letter_template=letters["phone"]),
        LetterRule(conversation_type=types[7], activity=LetterActivity.CALL_IN,
                   holding_form=forms["phone"], contact_group=first_group,
                   letter_template=letters["phone_group"]),
    ]
    in_person = forms["in_person"]
    templates = {
        "auto": CallInTemplate(
            job_centre=jc, name="Jobsamtale automatisk", conversation_type=types[7], variant=variant,
            meeting_form=MeetingForm.INDIVIDUAL, holding_form=in_person, team=team, room=None,
            duration_minutes=30, reporting_minutes=15, deadline_mode=DeadlineMode.DAYS_AFTER_CREATION,
            deadline_days=14, distribution=Distribution.AUTOMATIC, earliest_after_days=3,
            description="Jobsamtale", message_to_caseworkers="Husk CV'et.",
            letter_text="Tag dit sygesikringskort med.", caseworkers=[anna, bo]),
        "fixed": CallInTemplate(
            job_centre=jc, name="Jobsamtale fast tid", conversation_type=types[7], variant=variant,
            meeting_form=MeetingForm.INDIVIDUAL, holding_form=in_person, team=team, room=room,
            duration_minutes=30, reporting_minutes=0, deadline_mode=DeadlineMode.DAYS_AFTER_CREATION,
            deadline_days=21, distribution=Distribution.FIXED_TIME, message_to_caseworkers="Ring på.",
            caseworkers=[anna]),
        "fall": CallInTemplate(
            job_centre=jc, name="Rådighed falddato", conversation_type=types[7], variant=variant,
            meeting_form=MeetingForm.INDIVIDUAL, holding_form=in_person, team=team,
            duration_minutes=45, deadline_mode=DeadlineMode.DAYS_BEFORE_FALL_DATE, deadline_days=5,
            distribution=Distribution.AUTOMATIC, earliest_after_days=1, caseworkers=[anna]),
        "group": CallInTemplate(
            job_centre=jc, name="Informationsmøde", conversation_type=types[9], variant=variant,
            meeting_form=MeetingForm.GROUP, holding_form=in_person, team=team, room=room,
            duration_minutes=60, reporting_minutes=15, deadline_mode=DeadlineMode.DAYS_AFTER_CREATION,
            deadline_days=30, distribution=Distribution.FIXED_TIME, caseworkers=[anna, bo]),
    }
    db.session.add_all(templates.values())
    user = User(username=f"anna.{jc.name}".replace(" ", "").lower(), name="Anna Andersen",
                role=Role.CASEWORKER, job_centre=jc)
    admin = User(username=f"admin.{jc.name}".replace(" ", "").lower(), name="Admin",
                 role=Role.ADMINISTRATOR, job_centre=jc)
    for u in (user, admin):
        u.set_password(PASSWORD)
        db.session.add(u)
    db.session.flush()
    user.caseworker_id = anna.id
    db.session.commit()
    return Workspace(job_centre=jc, team=team, anna=anna, bo=bo, carl=carl, room=room,
                     small_room=small, citizens=citizens, user=user, admin=admin, types=types,
                     forms=forms, groups=groups, variant=variant, letters=letters,
                     templates=templates)


def add_local_closure(ws: Workspace, day: date, name: str = "Personaledag") -> None:
    db.session.add(LocalClosureDay(job_centre_id=ws.job_centre.id, teams=[ws.team], name=name,
                                   first_day=day, last_day=day))
    db.session.commit()


def actor(user: User) -> Any:
    return user if user is not None else SimpleNamespace(id=None, role="system", name="system")
