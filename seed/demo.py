"""A realistic demo job centre (Aarhus) plus a small second one (Odense) for `flask seed demo`."""

from __future__ import annotations

import random
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

import click
from sqlalchemy import select

from webapp.clock import today_local
from webapp.domain.addresses import postal_city
from webapp.domain.availability import (WeeklySchedule, caseworker_free_intervals,
                                        group_free_intervals, room_free_intervals, slot_starts)
from webapp.domain.cpr import test_cprs
from webapp.domain.directory import DirectoryEntry, FileDirectory
from webapp.domain.intervals import Interval, normalise, subtract_sorted, total
from webapp.extensions import db
from webapp.storage import audit
from webapp.models import (AuditEvent, Booking, BookingCaseworker, BookingOrigin, BookingParticipant,
                           BookingStatus, Break, BusyTime, CallIn, CallInStatus, CallInTemplate,
                           Caseworker, Citizen, ContactGroup, ConversationType, DeadlineMode,
                           DeadlineStatus, Distribution, HoldingForm, JobCentre, LetterActivity,
                           LetterRule, LetterTemplate, LocalClosureDay, MeetingForm,
                           NationalClosureDay, OnlineOffer, Role, Room, SelfBookingDeadline,
                           SyncMode, Team, TeamMembership, User, Variant, WorkingTime)
from webapp.administration.organisation import create_job_centre
from webapp.administration.reference import seed_national_closure_days, seed_reference_data

DEMO_JOB_CENTRE = "Jobcenter Aarhus Demo"
SECOND_JOB_CENTRE = "Jobcenter Odense Demo"
DEMO_PASSWORD = "demo1234"
TEAM_EMAIL_DOMAIN = "demo-jobcenter.dk"
CITIZEN_COUNT = 200
CASEWORKER_COUNT = 15
# Initials (from the directory) of the caseworkers who also get a login.
CASEWORKER_LOGINS = ("ASH", "FRA", "KDW")

DAYS_BEFORE = 14
CITIZEN_CANCELLED = "Aflyst af borgeren via selvbetjening"
DAYS_AFTER = 21
GRANULARITY = 15

# (name, parent, address, postal code, e-mail local part or None). "Unge Syd" has no
# e-mail on purpose: out-of-slots notices must walk up to "Ungeindsatsen".
_TEAM_TREE: tuple[tuple[str, str | None, str, str, str | None], ...] = (
    ("Aarhus Jobcenter", None, "Værkmestergade 15B", "8000", "jobcenter"),
    ("Ungeindsatsen", "Aarhus Jobcenter", "Søren Frichs Vej 36A", "8230", "unge"),
    ("Voksenindsatsen", "Aarhus Jobcenter", "Værkmestergade 15B", "8000", "voksen"),
    ("Sygedagpenge", "Aarhus Jobcenter", "Frederiks Allé 86", "8000", "sygedagpenge"),
    ("Unge Nord", "Ungeindsatsen", "Paludan-Müllers Vej 32", "8200", "unge.nord"),
    ("Unge Syd", "Ungeindsatsen", "Skanderborgvej 180C", "8260", None),
    ("Dagpenge", "Voksenindsatsen", "Silkeborgvej 262", "8210", "dagpenge"),
    ("Kontanthjælp", "Voksenindsatsen", "Tingvej 17B", "8220", "kontanthjaelp"),
    ("Sygedagpenge Opfølgning", "Sygedagpenge", "Frederiks Allé 86", "8000", "syg.opfoelgning"),
    ("Jobafklaring", "Sygedagpenge", "Oddervej 56", "8270", "jobafklaring"),
)

# Caseworker i (in directory order, valid certificates only): teams, working-time
# profile, lunch, extra short break, sync mode, may receive call-ins.
_CASEWORKER_PLAN: tuple[tuple[tuple[str, ...], str, str, bool, SyncMode, bool], ...] = (
    (("Unge Nord",), "standard", "11:30", False, SyncMode.ONE_WAY, True),
    (("Unge Nord", "Unge Syd"), "early", "12:00", False, SyncMode.TWO_WAY, True),
    (("Unge Syd",), "standard", "11:30", True, SyncMode.ONE_WAY, True),
    (("Unge Syd",), "part_time", "11:30", False, SyncMode.NONE, True),
    (("Dagpenge",), "standard", "12:00", False, SyncMode.ONE_WAY, True),
    (("Dagpenge", "Kontanthjælp"), "early", "11:30", False, SyncMode.ONE_WAY, True),
    (("Dagpenge",), "standard", "12:00", True, SyncMode.TWO_WAY, True),
    (("Kontanthjælp",), "part_time", "12:00", False, SyncMode.ONE_WAY, True),
    (("Kontanthjælp",), "standard", "11:30", False, SyncMode.NONE, True),
    (("Sygedagpenge Opfølgning",), "early", "12:00", False, SyncMode.ONE_WAY, True),
    (("Sygedagpenge Opfølgning", "Jobafklaring"), "standard", "11:30", True, SyncMode.ONE_WAY, True),
    (("Jobafklaring",), "standard", "12:00", False, SyncMode.TWO_WAY, True),
    (("Jobafklaring",), "part_time", "11:30", False, SyncMode.ONE_WAY, True),
    (("Unge Nord",), "standard", "12:00", False, SyncMode.NONE, False),
    (("Dagpenge",), "early", "11:30", False, SyncMode.ONE_WAY, False),
)

_T0 = time(0, 0)

# Weekday -> (start, end); a day at 00:00-00:00 has no working time.
_PROFILES: dict[str, dict[int, tuple[time, time]]] = {
    "standard": {0: (time(7, 30), time(16, 0)), 1: (time(7, 30), time(16, 0)),
                 2: (time(7, 30), time(16, 0)), 3: (time(7, 30), time(16, 0)),
                 4: (time(7, 30), time(14, 0))},
    "early": {0: (time(8, 0), time(15, 30)), 1: (time(8, 0), time(15, 30)),
              2: (time(8, 0), time(15, 30)), 3: (time(8, 0), time(15, 30)),
              4: (time(8, 0), time(13, 30))},
    "part_time": {0: (time(8, 0), time(15, 30)), 1: (time(8, 0), time(15, 30)),
                  2: (_T0, _T0), 3: (time(8, 0), time(15, 30)),
                  4: (time(8, 0), time(12, 0))},
}

# (name, capacity, overbooking seats, teams, address, postal code)
_ROOMS: tuple[tuple[str, int | None, int, tuple[str, ...], str, str], ...] = (
    ("Samtalerum 1.01", 2, 0, ("Unge Nord", "Unge Syd"), "Paludan-Müllers Vej 32", "8200"),
    ("Mødelokale 1.12", 4, 0, ("Dagpenge", "Kontanthjælp"), "Silkeborgvej 262", "8210"),
    ("Mødelokale 2.04", 6, 0, ("Sygedagpenge Opfølgning", "Jobafklaring"),
     "Frederiks Allé 86", "8000"),
    ("Undervisningslokale Kattegat", 12, 2, ("Voksenindsatsen", "Dagpenge", "Kontanthjælp"),
     "Værkmestergade 15B", "8000"),
    ("Store Sal", 20, 0, ("Aarhus Jobcenter", "Ungeindsatsen", "Unge Nord", "Unge Syd"),
     "Værkmestergade 15B", "8000"),
    ("Foredragssalen Godsbanen", None, 0, ("Aarhus Jobcenter", "Voksenindsatsen"),
     "Skovgaardsgade 3", "8000"),
)

_MALE_FIRST = ("Anders", "Mads", "Mikkel", "Søren", "Kasper", "Jonas", "Mathias", "Peter",
               "Henrik", "Jesper", "Christian", "Morten", "Martin", "Rasmus", "Nikolaj",
               "Thomas", "Emil", "Frederik", "Lasse", "Mohammed", "Ali", "Kim", "Jens",
               "Ole", "Torben", "Brian", "Carsten", "Simon", "Tobias", "Oliver")
_FEMALE_FIRST = ("Anne", "Mette", "Louise", "Camilla", "Maria", "Julie", "Sofie", "Line",
                 "Pia", "Hanne", "Susanne", "Lene", "Marianne", "Ida", "Emma", "Freja",
                 "Cecilie", "Nanna", "Fatima", "Amina", "Kirsten", "Tina", "Rikke",
                 "Charlotte", "Signe", "Karina", "Birgitte", "Laura", "Astrid", "Malene")
_MIDDLE = ("Juul", "Bach", "Krogh", "Lykke", "Holm", "Skov", "Dahl", "Vestergaard",
           "Bruun", "Lund")
_LAST = ("Nielsen", "Jensen", "Hansen", "Pedersen", "Andersen", "Christensen", "Larsen",
         "Sørensen", "Rasmussen", "Jørgensen", "Petersen", "Madsen", "Kristensen", "Olsen",
         "Thomsen", "Christiansen", "Poulsen", "Johansen", "Møller", "Mortensen", "Knudsen",
         "Jakobsen", "Mikkelsen", "Frederiksen", "Østergaard", "Kjær", "Lauridsen",
         "Abdi", "Hussein", "Yilmaz")
_STREETS: tuple[tuple[str, str], ...] = (
    ("Vestergade", "8000"), ("Mejlgade", "8000"), ("Nørrebrogade", "8000"),
    ("Jægergårdsgade", "8000"), ("Ole Rømers Gade", "8000"), ("Randersvej", "8200"),
    ("Trøjborgvej", "8200"), ("Vejlby Centervej", "8240"), ("Grenåvej", "8240"),
    ("Silkeborgvej", "8210"), ("Hasle Ringvej", "8210"), ("Gudrunsvej", "8220"),
    ("Bispehavevej", "8220"), ("Åbyhøjgade", "8230"), ("Viby Ringvej", "8260"),
    ("Skanderborgvej", "8260"), ("Holme Byvej", "8270"), ("Rundhøjvej", "8270"),
    ("Egå Havvej", "8250"), ("Tranbjerg Hovedgade", "8310"),
)
_FLOORS = ("", "", "", ", st. tv.", ", 1. th.", ", 2. tv.", ", 3. mf.")
# Weights of the contact groups among the demo citizens (codes from seed/reference.py).
_CONTACT_GROUP_WEIGHTS = (("unemployment_benefit", 30), ("cash_benefit_job_ready", 18),
                          ("cash_benefit_activity_ready", 14), ("sickness_benefit", 16),
                          ("job_clarification", 6), ("resource_course", 4),
                          ("education_ready", 12))

_LETTER_TEMPLATES: tuple[tuple[str, str, str], ...] = (
    ("Indkaldelse – personligt fremmøde", "Indkaldelse til samtale",
     "Kære {{ citizen.name }}\n\n"
     "Du er indkaldt til samtale i jobcentret {{ booking.starts_at }}.\n"
     "Mødested: {{ address }}.\n\n"
     "Husk at møde op. Er du forhindret, skal du give besked hurtigst muligt, "
     "da udeblivelse kan få betydning for din ydelse.\n\n"
     "Med venlig hilsen\nJobcenter Aarhus"),
    ("Indkaldelse – telefonsamtale", "Indkaldelse til telefonsamtale",
     "Kære {{ citizen.name }}\n\n"
     "Din sagsbehandler ringer til dig {{ booking.starts_at }}.\n"
     "Sørg for at vi har dit rigtige telefonnummer, og at du kan tale uforstyrret.\n\n"
     "Med venlig hilsen\nJobcenter Aarhus"),
    ("Indkaldelse – informationsmøde", "Indkaldelse til informationsmøde",
     "Kære {{ citizen.name }}\n\n"
     "Du er indkaldt til et informationsmøde {{ booking.starts_at }} sammen med "
     "andre ledige.\nMødested: {{ address }}.\n\n"
     "Mødet varer ca. halvanden time.\n\nMed venlig hilsen\nJobcenter Aarhus"),
    ("Indkaldelse – sygedagpenge", "Indkaldelse til opfølgningssamtale",
     "Kære {{ citizen.name }}\n\n"
     "Du er indkaldt til opfølgningssamtale om dine sygedagpenge {{ booking.starts_at }}.\n"
     "Mødested: {{ address }}.\n\n"
     "Kan du ikke møde op på grund af din sygdom, så ring til os, så finder vi en anden "
     "løsning.\n\nMed venlig hilsen\nJobcenter Aarhus"),
    ("Flytning af samtale", "Din samtale er flyttet",
     "Kære {{ citizen.name }}\n\n"
     "Din samtale er flyttet til {{ booking.starts_at }}.\nMødested: {{ address }}.\n\n"
     "Med venlig hilsen\nJobcenter Aarhus"),
    ("Aflysning af samtale", "Din samtale er aflyst",
     "Kære {{ citizen.name }}\n\n"
     "Din samtale {{ booking.starts_at }} er aflyst. Du hører fra os, hvis der skal "
     "aftales en ny tid.\n\nMed venlig hilsen\nJobcenter Aarhus"),
    ("Ændring af samtale", "Der er ændringer til din samtale",
     "Kære {{ citizen.name }}\n\n"
     "Der er ændret i oplysningerne om din samtale {{ booking.starts_at }}.\n"
     "Mødested: {{ address }}.\n\nMed venlig hilsen\nJobcenter Aarhus"),
)


class DemoSeedError(click.ClickException):
    """The demo cannot be built in this database; the message says why."""


@dataclass
class _Kind:
    """One kind of individual meeting a team's caseworkers hold in the demo calendar."""

    conversation_type: ConversationType
    holding_form: HoldingForm
    duration: int
    reporting: int
    origin: BookingOrigin
    variant: Variant | None = None
    template: CallInTemplate | None = None
    offer: OnlineOffer | None = None
    last_day: date | None = None
    description: str | None = None
    contact_groups: tuple[str, ...] = ()


@dataclass
class _Calendar:
    """What the seeding has booked so far, so that every new booking is checked against it."""

    caseworker_busy: dict[int, list[Interval]] = field(default_factory=dict)
    room_busy: dict[int, list[Interval]] = field(default_factory=dict)
    citizen_busy: dict[int, list[Interval]] = field(default_factory=dict)

    def citizen_free(self, citizen: Citizen, start: datetime, end: datetime) -> bool:
        return all(end <= s or e <= start for s, e in self.citizen_busy.get(citizen.id, ()))


def build_demo(random_seed: int = 2027, today: date | None = None) -> list[tuple[str, str, str]]:
    """Build the demo job centres in the current session (flush only) and return the logins.

    Running it again when "Jobcenter Aarhus Demo" exists adds nothing and returns the
    existing demo logins. The data depend only on `random_seed` and `today`.
    """
    today = today or today_local()
    existing = db.session.scalar(select(JobCentre).where(JobCentre.name == DEMO_JOB_CENTRE))
    if existing is not None:
        return _existing_logins()
    _refuse_partial_demo()
    rng = random.Random(random_seed)

    seed_reference_data()
    first = today - timedelta(days=DAYS_BEFORE)
    last = today + timedelta(days=DAYS_AFTER)
    seed_national_closure_days(first.year, today.year + 2)
    types = {t.code: t for t in db.session.scalars(select(ConversationType))}
    forms = {f.code: f for f in db.session.scalars(select(HoldingForm))}
    groups = {g.code: g for g in db.session.scalars(select(ContactGroup))}

    job_centre, teams = _build_teams()
    caseworkers = _build_caseworkers(job_centre, teams, rng)
    rooms = _build_rooms(job_centre, teams)
    variants = _build_variants_and_letters(job_centre, teams, types, forms, groups)
    users = _build_users(job_centre, caseworkers)
    templates = _build_templates(job_centre, teams, caseworkers, rooms, variants, types,
                                 forms, groups)
    offers = _build_offers(job_centre, teams, caseworkers, rooms, templates, groups, today)
    citizens = _build_citizens(job_centre, groups, rng, random_seed)
    db.session.flush()

    national = set(db.session.scalars(
        select(NationalClosureDay.day).where(NationalClosureDay.day.between(first, last))))
    local = _build_local_closure(job_centre, teams, today)
    _build_busy_times(caseworkers, first, last, national)
    db.session.flush()

    calendar = _Calendar()
    booker = _Booker(job_centre, teams, caseworkers, rooms, national, local, first, last,
                     today, rng, calendar, users["admin"])
    booker.group_meetings(templates, offers, citizens)
    deadline_citizens = rng.sample(citizens, 10)
    booker.individual_meetings(_meeting_kinds(teams, templates, offers, types, forms, variants),
                               [c for c in citizens if c not in deadline_citizens],
                               types[7])
    _build_deadlines(job_centre, booker, deadline_citizens, types[7], today, rng, users["admin"])
    booker.record_cancellations()
    _build_waiting_callins(job_centre, templates, citizens, today, rng, users)

    second = create_job_centre(SECOND_JOB_CENTRE, "Odense")
    second.municipality_code = "461"  # names it to the national data hub
    odense_admin = User(username="admin.odense", name="Administrator Odense",
                        role=Role.ADMINISTRATOR, job_centre=second)
    odense_admin.set_password(DEMO_PASSWORD)
    db.session.add(odense_admin)
    db.session.flush()
    return _existing_logins()


def _refuse_partial_demo() -> None:
    """A half-seeded database (second job centre or a demo username taken) is not patched."""
    if db.session.scalar(select(JobCentre.id).where(JobCentre.name == SECOND_JOB_CENTRE)):
        raise DemoSeedError(f"'{SECOND_JOB_CENTRE}' exists but '{DEMO_JOB_CENTRE}' does not: "
                            "use an empty database for the demo.")
    names = ["support", "admin", "admin.odense", *(i.lower() for i in CASEWORKER_LOGINS)]
    taken = list(db.session.scalars(select(User.username).where(User.username.in_(names))))
    if taken:
        raise DemoSeedError(f"The demo usernames {', '.join(sorted(taken))} are taken: "
                            "use an empty database for the demo.")


def _existing_logins() -> list[tuple[str, str, str]]:
    """The demo users as (username, password, role), support first, Odense last."""
    centres = list(db.session.scalars(
        select(JobCentre.id).where(JobCentre.name.in_([DEMO_JOB_CENTRE, SECOND_JOB_CENTRE]))))
    users = db.session.scalars(select(User).where(
        (User.username == "support") | User.job_centre_id.in_(centres)).order_by(User.id))
    order = {Role.SUPPORT: 0, Role.ADMINISTRATOR: 1, Role.CASEWORKER: 2}
    rows = sorted(users, key=lambda u: (u.username == "admin.odense", order[u.role], u.id))
    return [(u.username, DEMO_PASSWORD, u.role.value) for u in rows]


# ---------------------------------------------------------------------------
# Organisation: teams, caseworkers, rooms, users
# ---------------------------------------------------------------------------

def _build_teams() -> tuple[JobCentre, dict[str, Team]]:
    job_centre = create_job_centre(DEMO_JOB_CENTRE, "Aarhus")
    job_centre.municipality_code = "751"  # names it to the national data hub
    root = next(t for t in job_centre.teams if t.parent is None)
    child = next(t for t in job_centre.teams if t.parent is not None)
    # The default second level carries the root's name until it is renamed.
    child.name, child.pending_rename = "Ungeindsatsen", False
    teams = {root.name: root, child.name: child}
    for name, parent, address, postal_code, email in _TEAM_TREE:
        team = teams.get(name)
        if team is None:
            team = Team(job_centre=job_centre, name=name, parent=teams[parent])
            db.session.add(team)
        teams[name] = team
        team.address, team.postal_code, team.city = address, postal_code, postal_city(postal_code)
        team.email = f"{email}@{TEAM_EMAIL_DOMAIN}" if email else None
        team.phone = "+4589401000" if parent is None else None
        team.description = ("Hele jobcentret" if parent is None
                            else f"Demo-team under {parent}")
    db.session.flush()
    return job_centre, teams


def _build_caseworkers(job_centre: JobCentre, teams: dict[str, Team],
                       rng: random.Random) -> list[Caseworker]:
    entries: list[DirectoryEntry] = [e for e in FileDirectory().entries() if e.certificate_valid]
    if len(entries) < CASEWORKER_COUNT:
        raise DemoSeedError(f"The demo directory has only {len(entries)} people with a valid "
                            f"certificate; {CASEWORKER_COUNT} are needed.")
    caseworkers = []
    for entry, plan in zip(entries, _CASEWORKER_PLAN, strict=False):
        team_names, profile, lunch, short_break, sync_mode, assignable = plan
        caseworker = Caseworker(
            job_centre=job_centre, email=entry.email, name=entry.name, rid=entry.rid,
            phone=entry.phone, initials=entry.initials, sync_mode=sync_mode,
            can_be_assigned_callins=assignable,
            ics_token=f"{rng.getrandbits(160):040x}")
        caseworker.memberships = [TeamMembership(team=teams[name]) for name in team_names]
        lunch_start = time(11, 30) if lunch == "11:30" else time(12, 0)
        lunch_end = time(12, 0) if lunch == "11:30" else time(12, 30)
        for weekday in range(7):
            start, end = _PROFILES[profile].get(weekday, (_T0, _T0))
            caseworker.working_times.append(
                WorkingTime(weekday=weekday, start_time=start, end_time=end))
            if start == end:
                continue
            day_breaks = [(lunch_start, lunch_end)]
            if short_break:
                # Under 15 minutes: allowed, flagged in the admin form.
                day_breaks.append((time(14, 30), time(14, 40)) if end > time(15, 0)
                                  else (time(9, 30), time(9, 40)))
            for b_start, b_end in day_breaks:
                if start <= b_start and b_end <= end:
                    caseworker.breaks.append(
                        Break(weekday=weekday, start_time=b_start, end_time=b_end))
        db.session.add(caseworker)
        caseworkers.append(caseworker)
    db.session.flush()
    return caseworkers


def _build_rooms(job_centre: JobCentre, teams: dict[str, Team]) -> dict[str, Room]:
    rooms = {}
    for name, capacity, extra, team_names, address, postal_code in _ROOMS:
        room = Room(job_centre=job_centre, name=name, capacity=capacity,
                    accepts_overbooking=extra > 0, overbooking_seats=extra,
                    address=address, postal_code=postal_code, city=postal_city(postal_code),
                    teams=[teams[t] for t in team_names],
                    comment="Projektor og skærm" if capacity and capacity >= 12 else None)
        db.session.add(room)
        rooms[name] = room
    db.session.flush()
    return rooms


def _build_users(job_centre: JobCentre, caseworkers: list[Caseworker]) -> dict[str, User]:
    users = {
        "support": User(username="support", name="National support", role=Role.SUPPORT),
        "admin": User(username="admin", name="Administrator Aarhus", role=Role.ADMINISTRATOR,
                      job_centre=job_centre),
    }
    by_initials = {c.initials: c for c in caseworkers}
    for initials in CASEWORKER_LOGINS:
        caseworker = by_initials[initials]
        users[initials] = User(username=initials.lower(), name=caseworker.name,
                               role=Role.CASEWORKER, job_centre=job_centre,
                               caseworker_id=caseworker.id)
    for user in users.values():
        user.set_password(DEMO_PASSWORD)
        db.session.add(user)
    db.session.flush()
    return users


# ---------------------------------------------------------------------------
# Variants, letters, templates, offers
# ---------------------------------------------------------------------------

def _build_variants_and_letters(job_centre: JobCentre, teams: dict[str, Team],
                                types: dict[int, ConversationType],
                                forms: dict[str, HoldingForm],
                                groups: dict[str, ContactGroup]) -> dict[str, Variant]:
    letters = {}
    for name, subject, body in _LETTER_TEMPLATES:
        letters[name] = LetterTemplate(job_centre=job_centre, name=name, subject=subject,
                                       body=body)
        db.session.add(letters[name])
    variants = {
        "unge": Variant(job_centre=job_centre, name="Unge – job og uddannelse",
                        description="Samtaler med unge under 30 år",
                        conversation_types=[types[7], types[10]],
                        teams=[teams["Ungeindsatsen"], teams["Unge Nord"], teams["Unge Syd"]]),
        "voksen": Variant(job_centre=job_centre, name="Voksen – ledige",
                          description="Jobsamtaler, rådighedssamtaler og informationsmøder",
                          conversation_types=[types[7], types[9], types[15]],
                          teams=[teams["Voksenindsatsen"], teams["Dagpenge"],
                                 teams["Kontanthjælp"]]),
        "syg": Variant(job_centre=job_centre, name="Sygedagpenge – opfølgning",
                       description="Opfølgning på sygedagpengesager og jobafklaring",
                       conversation_types=[types[4]],
                       teams=[teams["Sygedagpenge"], teams["Sygedagpenge Opfølgning"],
                              teams["Jobafklaring"]]),
    }
    general = {LetterActivity.CALL_IN: "Indkaldelse – personligt fremmøde",
               LetterActivity.MOVE: "Flytning af samtale",
               LetterActivity.CANCELLATION: "Aflysning af samtale",
               LetterActivity.UPDATE: "Ændring af samtale"}
    for variant in variants.values():
        db.session.add(variant)
        for conversation_type in variant.conversation_types:
            for activity, letter in general.items():
                variant.letter_rules.append(LetterRule(
                    conversation_type=conversation_type, activity=activity,
                    letter_template=letters[letter]))
    # More specific rules win over the general ones.
    variants["voksen"].letter_rules += [
        LetterRule(conversation_type=types[15], activity=LetterActivity.CALL_IN,
                   holding_form=forms["phone"],
                   letter_template=letters["Indkaldelse – telefonsamtale"]),
        LetterRule(conversation_type=types[9], activity=LetterActivity.CALL_IN,
                   meeting_form=MeetingForm.GROUP,
                   letter_template=letters["Indkaldelse – informationsmøde"]),
    ]
    variants["syg"].letter_rules.append(LetterRule(
        conversation_type=types[4], activity=LetterActivity.CALL_IN,
        contact_group=groups["sickness_benefit"],
        letter_template=letters["Indkaldelse – sygedagpenge"]))
    db.session.flush()
    return variants


def _members(team: Team, caseworkers: list[Caseworker]) -> list[Caseworker]:
    """Caseworkers of the team who may receive call-ins and self-bookings (R-1.2.3)."""
    return [c for c in caseworkers
            if c.can_be_assigned_callins and any(m.team is team for m in c.memberships)]


def _build_templates(job_centre: JobCentre, teams: dict[str, Team],
                     caseworkers: list[Caseworker], rooms: dict[str, Room],
                     variants: dict[str, Variant], types: dict[int, ConversationType],
                     forms: dict[str, HoldingForm],
                     groups: dict[str, ContactGroup]) -> dict[str, CallInTemplate]:
    def template(key: str, team: str, **kw: object) -> CallInTemplate:
        row = CallInTemplate(job_centre=job_centre, team=teams[team],
                             caseworkers=_members(teams[team], caseworkers), **kw)
        db.session.add(row)
        return row

    templates = {
        "jobsamtale": template(
            "jobsamtale", "Unge Nord", name="Jobsamtale – unge",
            conversation_type=types[7], variant=variants["unge"],
            meeting_form=MeetingForm.INDIVIDUAL, holding_form=forms["in_person"],
            duration_minutes=30, reporting_minutes=10,
            deadline_mode=DeadlineMode.DAYS_AFTER_CREATION, deadline_days=21,
            distribution=Distribution.AUTOMATIC, earliest_after_days=2,
            description="Individuel jobsamtale om job og uddannelse.",
            message_to_caseworkers="Husk at gennemgå borgerens CV før samtalen.",
            letter_text="Tag gerne dit CV med til samtalen.",
            contact_groups=[groups["education_ready"], groups["cash_benefit_job_ready"]]),
        "raadighed": template(
            "raadighed", "Dagpenge", name="Rådighedssamtale – dagpenge",
            conversation_type=types[15], variant=variants["voksen"],
            meeting_form=MeetingForm.INDIVIDUAL, holding_form=forms["phone"],
            duration_minutes=30, reporting_minutes=10,
            deadline_mode=DeadlineMode.DAYS_AFTER_CREATION, deadline_days=28,
            distribution=Distribution.AUTOMATIC, earliest_after_days=3,
            description="Telefonisk samtale om din rådighed for arbejdsmarkedet.",
            contact_groups=[groups["unemployment_benefit"]]),
        "info": template(
            "info", "Dagpenge", name="Informationsmøde – nyledige",
            conversation_type=types[9], variant=variants["voksen"],
            meeting_form=MeetingForm.GROUP, holding_form=forms["in_person"],
            room=rooms["Undervisningslokale Kattegat"],
            duration_minutes=90, reporting_minutes=15,
            deadline_mode=DeadlineMode.DAYS_AFTER_CREATION, deadline_days=14,
            distribution=Distribution.AUTOMATIC, earliest_after_days=5,
            description="Fællesmøde for nyledige om rettigheder, pligter og jobsøgning.",
            letter_text="Mødet holdes i Undervisningslokale Kattegat på 1. sal.",
            contact_groups=[groups["unemployment_benefit"]]),
        "cv": template(
            "cv", "Unge Syd", name="CV-samtale – fast tid",
            conversation_type=types[10], variant=variants["unge"],
            meeting_form=MeetingForm.INDIVIDUAL, holding_form=forms["video"],
            duration_minutes=45, reporting_minutes=15,
            deadline_mode=DeadlineMode.DAYS_AFTER_CREATION, deadline_days=14,
            distribution=Distribution.FIXED_TIME,
            description="Videosamtale om dit CV og din jobsøgning.",
            contact_groups=[groups["education_ready"]]),
        "opfoelgning": template(
            "opfoelgning", "Sygedagpenge Opfølgning", name="Opfølgning – sygedagpenge",
            conversation_type=types[4], variant=variants["syg"],
            meeting_form=MeetingForm.INDIVIDUAL, holding_form=forms["in_person"],
            duration_minutes=45, reporting_minutes=15,
            deadline_mode=DeadlineMode.DAYS_BEFORE_FALL_DATE, deadline_days=7,
            distribution=Distribution.AUTOMATIC, earliest_after_days=1,
            description="Opfølgningssamtale om din sygemelding og vejen tilbage til arbejde.",
            contact_groups=[groups["sickness_benefit"]]),
    }
    # Two of the templates are also used as self-booking offers.
    templates["jobsamtale"].citizen_chooses_caseworker = True
    templates["jobsamtale"].rolling_end_weeks = 4
    templates["info"].rolling_end_weeks = 6
    db.session.flush()
    return templates


def _copy_spec(template: CallInTemplate) -> dict[str, object]:
    """The meeting fields a template pre-fills (R-1.5.4)."""
    return dict(conversation_type=template.conversation_type, variant=template.variant,
                meeting_form=template.meeting_form, holding_form=template.holding_form,
                team=template.team, room=template.room,
                duration_minutes=template.duration_minutes,
                reporting_minutes=template.reporting_minutes,
                description=template.description)


def _build_offers(job_centre: JobCentre, teams: dict[str, Team], caseworkers: list[Caseworker],
                  rooms: dict[str, Room], templates: dict[str, CallInTemplate],
                  groups: dict[str, ContactGroup], today: date) -> dict[str, OnlineOffer]:
    jobsamtale, info, raadighed = templates["jobsamtale"], templates["info"], templates["raadighed"]
    offers = {
        "jobsamtale": OnlineOffer(
            job_centre=job_centre, name="Book en jobsamtale (unge)", template_id=jobsamtale.id,
            **_copy_spec(jobsamtale), caseworkers=list(jobsamtale.caseworkers),
            contact_groups=list(jobsamtale.contact_groups),
            citizen_chooses_caseworker=True, rolling_end_weeks=4,
            visible_from=today - timedelta(days=30), accept_rebooking=True,
            rebooking_until_days=1),
        "info": OnlineOffer(
            job_centre=job_centre, name="Informationsmøde om dagpenge", template_id=info.id,
            **_copy_spec(info), caseworkers=list(info.caseworkers)[:2],
            contact_groups=[groups["unemployment_benefit"]],
            rolling_end_weeks=6, visible_from=today - timedelta(days=30),
            accept_rebooking=True, rebooking_until_days=2),
        "raadighed": OnlineOffer(
            job_centre=job_centre, name="Rådighedssamtale – kampagne", template_id=raadighed.id,
            **{**_copy_spec(raadighed), "team": teams["Kontanthjælp"]},
            caseworkers=_members(teams["Kontanthjælp"], caseworkers),
            contact_groups=[groups["cash_benefit_job_ready"]],
            first_meeting_date=today - timedelta(days=DAYS_BEFORE),
            fixed_end_date=today + timedelta(days=DAYS_AFTER - 3),
            visible_from=today - timedelta(days=DAYS_BEFORE + 7),
            accept_cancellation=True, accept_rebooking=False),
    }
    info.caseworkers = list(offers["info"].caseworkers)
    for offer in offers.values():
        offer.active = True
        db.session.add(offer)
    db.session.flush()
    return offers


# ---------------------------------------------------------------------------
# Citizens
# ---------------------------------------------------------------------------

def _ascii(text: str) -> str:
    folded = (text.lower().replace("æ", "ae").replace("ø", "oe").replace("å", "aa")
              .replace(" ", "."))
    return unicodedata.normalize("NFKD", folded).encode("ascii", "ignore").decode()


def _build_citizens(job_centre: JobCentre, groups: dict[str, ContactGroup],
                    rng: random.Random, random_seed: int) -> list[Citizen]:
    codes = [code for code, _ in _CONTACT_GROUP_WEIGHTS]
    weights = [weight for _, weight in _CONTACT_GROUP_WEIGHTS]
    citizens = []
    used_emails: set[str] = set()
    for cpr in test_cprs(CITIZEN_COUNT, random_seed):
        # An odd last digit is a man's CPR number.
        first = rng.choice(_MALE_FIRST if int(cpr[-1]) % 2 else _FEMALE_FIRST)
        last = rng.choice(_LAST)
        middle = rng.choice(_MIDDLE) if rng.random() < 0.3 else None
        name = " ".join(p for p in (first, middle, last) if p)
        email = f"{_ascii(first)}.{_ascii(last)}@example.dk"
        suffix = 2
        while email in used_emails:
            email = f"{_ascii(first)}.{_ascii(last)}{suffix}@example.dk"
            suffix += 1
        used_emails.add(email)
        street, postal_code = rng.choice(_STREETS)
        number = f"{rng.randint(1, 180)}{rng.choice('ABC') if rng.random() < 0.15 else ''}"
        address = f"{street} {number}{rng.choice(_FLOORS)}"
        citizen = Citizen(
            job_centre=job_centre, cpr=cpr, name=name, email=email,
            phone=f"+45{rng.choice('2345678')}{rng.randint(0, 9_999_999):07d}",
            address=address, postal_code=postal_code, city=postal_city(postal_code),
            contact_group=groups[rng.choices(codes, weights)[0]])
        db.session.add(citizen)
        citizens.append(citizen)
    return citizens


# ---------------------------------------------------------------------------
# Closure days and imported busy times
# ---------------------------------------------------------------------------

def _next_weekday(day: date, weekday: int) -> date:
    return day + timedelta(days=(weekday - day.weekday()) % 7)


def _build_local_closure(job_centre: JobCentre, teams: dict[str, Team],
                         today: date) -> dict[int, set[date]]:
    """A staff day for Unge Nord; returns the closed dates of each team, inherited (R-1.3.2)."""
    staff_day = _next_weekday(today + timedelta(days=8), 2)
    db.session.add(LocalClosureDay(job_centre=job_centre, teams=[teams["Unge Nord"]],
                                   name="Temadag Unge Nord", first_day=staff_day,
                                   last_day=staff_day))
    own = {teams["Unge Nord"].id: {staff_day}}
    return {team.id: set().union(*(own.get(t.id, set()) for t in [team, *team.ancestors()]))
            for team in teams.values()}


def _build_busy_times(caseworkers: list[Caseworker], first: date, last: date,
                      national: set[date]) -> None:
    """Two-way caseworkers import a weekly team meeting from their own calendar (R-5.2)."""
    for caseworker in caseworkers:
        if caseworker.sync_mode != SyncMode.TWO_WAY:
            continue
        caseworker.busy_calendar_url = (
            f"https://kalender.{TEAM_EMAIL_DOMAIN}/{caseworker.initials.lower()}.ics")
        day = _next_weekday(first, 1)
        while day <= last:
            if day not in national:
                db.session.add(BusyTime(
                    caseworker_id=caseworker.id, starts_at=datetime.combine(day, time(9, 0)),
                    ends_at=datetime.combine(day, time(10, 0)),
                    source_uid=f"teammoede-{day.isoformat()}@{TEAM_EMAIL_DOMAIN}",
                    summary="Teammøde"))
            day += timedelta(days=7)


def _schedule(caseworker: Caseworker) -> WeeklySchedule:
    breaks: dict[int, list[tuple[time, time]]] = {}
    for b in caseworker.breaks:
        breaks.setdefault(b.weekday, []).append((b.start_time, b.end_time))
    return WeeklySchedule(
        working_time={w.weekday: (w.start_time, w.end_time) for w in caseworker.working_times},
        breaks=breaks)


# ---------------------------------------------------------------------------
# Bookings
# ---------------------------------------------------------------------------

def _meeting_kinds(teams: dict[str, Team], templates: dict[str, CallInTemplate],
                   offers: dict[str, OnlineOffer], types: dict[int, ConversationType],
                   forms: dict[str, HoldingForm],
                   variants: dict[str, Variant]) -> dict[int, list[tuple[_Kind, int]]]:
    """Per team id: the individual meetings its caseworkers hold, with weights."""
    def from_template(key: str) -> _Kind:
        t = templates[key]
        return _Kind(t.conversation_type, t.holding_form, t.duration_minutes,
                     t.reporting_minutes, BookingOrigin.CALLED_IN, t.variant, template=t,
                     description=t.description,
                     contact_groups=tuple(g.code for g in t.contact_groups))

    def from_offer(key: str) -> _Kind:
        o = offers[key]
        return _Kind(o.conversation_type, o.holding_form, o.duration_minutes,
                     o.reporting_minutes, BookingOrigin.SELF_BOOKED, o.variant, offer=o,
                     last_day=o.fixed_end_date, description=o.description,
                     contact_groups=tuple(g.code for g in o.contact_groups))

    def ad_hoc(code: int, form: str, duration: int, reporting: int, variant: str,
               description: str, groups: tuple[str, ...] = ()) -> _Kind:
        return _Kind(types[code], forms[form], duration, reporting, BookingOrigin.CALLED_IN,
                     variants[variant], description=description, contact_groups=groups)

    return {
        teams["Unge Nord"].id: [(from_template("jobsamtale"), 5), (from_offer("jobsamtale"), 3)],
        teams["Unge Syd"].id: [(from_template("cv"), 3),
                               (ad_hoc(7, "in_person", 30, 10, "unge", "Jobsamtale",
                                       ("education_ready",)), 4)],
        teams["Dagpenge"].id: [(from_template("raadighed"), 4),
                               (ad_hoc(7, "in_person", 30, 10, "voksen", "Jobsamtale",
                                       ("unemployment_benefit",)), 4)],
        teams["Kontanthjælp"].id: [(from_offer("raadighed"), 3),
                                   (ad_hoc(7, "in_person", 45, 15, "voksen", "Jobsamtale",
                                           ("cash_benefit_job_ready",
                                            "cash_benefit_activity_ready")), 4)],
        teams["Sygedagpenge Opfølgning"].id: [(from_template("opfoelgning"), 6)],
        teams["Jobafklaring"].id: [(ad_hoc(4, "in_person", 60, 15, "syg",
                                           "Opfølgning i jobafklaringsforløb",
                                           ("job_clarification", "resource_course")), 4),
                                   (ad_hoc(4, "video", 30, 10, "syg", "Kort opfølgning",
                                           ("job_clarification",)), 2)],
    }


class _Booker:
    """Places demo bookings only where the availability rules allow them (R-2.1)."""

    def __init__(self, job_centre: JobCentre, teams: dict[str, Team],
                 caseworkers: list[Caseworker], rooms: dict[str, Room], national: set[date],
                 local: dict[int, set[date]], first: date, last: date, today: date,
                 rng: random.Random, calendar: _Calendar, admin: User) -> None:
        self.job_centre, self.teams, self.caseworkers, self.rooms = (
            job_centre, teams, caseworkers, rooms)
        self.first, self.last, self.today, self.rng = first, last, today, rng
        self.calendar, self.admin = calendar, admin
        self.schedules = {c.id: _schedule(c) for c in caseworkers}
        self.closed = {c.id: national.union(*(local[m.team_id] for m in c.memberships))
                       for c in caseworkers}
        self.room_closed = {r.id: national.union(*(local[t.id] for t in r.teams))
                            for r in rooms.values()}
        for caseworker in caseworkers:
            busy = db.session.execute(select(BusyTime.starts_at, BusyTime.ends_at).where(
                BusyTime.caseworker_id == caseworker.id)).all()
            calendar.caseworker_busy[caseworker.id] = [(s, e) for s, e in busy]
        self.bookings: list[Booking] = []
        self.fulfilling: list[Booking] = []

    def free(self, caseworker: Caseworker, first: date, last: date) -> list[Interval]:
        return caseworker_free_intervals(self.schedules[caseworker.id], first, last,
                                         self.closed[caseworker.id],
                                         self.calendar.caseworker_busy[caseworker.id])

    def record_cancellations(self) -> None:
        """The audit trail's cancellation events, as the booking service writes them: by the
        citizen when the citizen cancelled online, else by the job centre (R-1.9.1, R-6.10)."""
        db.session.flush()
        audit.record_now([
            {"event": AuditEvent.BOOKING_CANCELLED_BY_CITIZEN if b.cancel_reason == CITIZEN_CANCELLED
             else AuditEvent.BOOKING_CANCELLED_BY_JOB_CENTRE, "booking_id": b.id,
             "job_centre_id": self.job_centre.id, "details": b.cancel_reason}
            for b in self.bookings if b.status == BookingStatus.CANCELLED])

    def room_free(self, room: Room, day: date) -> list[Interval]:
        return room_free_intervals(day, day, self.room_closed[room.id],
                                   self.calendar.room_busy.get(room.id, []))

    def _book(self, *, kind: _Kind, team: Team, caseworkers: Sequence[Caseworker],
              citizens: Sequence[Citizen], start: datetime, room: Room | None = None,
              meeting_form: MeetingForm = MeetingForm.INDIVIDUAL, cancelled: bool = False,
              external_id: str | None = None) -> Booking:
        end = start + timedelta(minutes=kind.duration)
        busy_until = end + timedelta(minutes=kind.reporting)
        created = start - timedelta(days=self.rng.randint(3, 25), hours=self.rng.randint(1, 8))
        terms = kind.offer or kind.template
        booking = Booking(
            job_centre=self.job_centre, conversation_type=kind.conversation_type,
            variant=kind.variant, meeting_form=meeting_form, holding_form=kind.holding_form,
            team=team, room=room, offer_id=kind.offer.id if kind.offer else None,
            template_id=kind.template.id if kind.template else None,
            starts_at=start, ends_at=end, reporting_minutes=kind.reporting,
            seats=room.seats if room is not None and meeting_form == MeetingForm.GROUP else None,
            status=BookingStatus.CANCELLED if cancelled else BookingStatus.BOOKED,
            origin=kind.origin, description=kind.description, external_id=external_id,
            created_by_user_id=self.admin.id if kind.origin == BookingOrigin.CALLED_IN else None,
            created_at=created)
        if terms is not None and kind.origin != BookingOrigin.IMPORTED:
            notice = timedelta(days=terms.rebooking_until_days)
            booking.cancellable_until = start - notice if terms.accept_cancellation else None
            booking.rebookable_until = start - notice if terms.accept_rebooking else None
        if cancelled:
            booking.cancelled_at = created + timedelta(days=1)
            booking.cancel_reason = self.rng.choice(
                ("Borgeren er i arbejde", "Borgeren er syg", "Sagsbehandleren er syg",
                 CITIZEN_CANCELLED))
        for caseworker in caseworkers:
            booking.caseworker_links.append(BookingCaseworker(
                caseworker=caseworker, starts_at=start, busy_until=busy_until,
                blocking=not cancelled))
            if not cancelled:
                self.calendar.caseworker_busy[caseworker.id].append((start, busy_until))
        for citizen in citizens:
            booking.participants.append(BookingParticipant(citizen=citizen, created_at=created))
            if not cancelled:
                self.calendar.citizen_busy.setdefault(citizen.id, []).append((start, end))
        if room is not None and not cancelled:
            self.calendar.room_busy.setdefault(room.id, []).append((start, end))
        if kind.template is not None and not cancelled:
            self._placed_callin(booking, kind.template, citizens, created)
        db.session.add(booking)
        self.bookings.append(booking)
        return booking

    def _placed_callin(self, booking: Booking, template: CallInTemplate,
                       citizens: Sequence[Citizen], created: datetime) -> None:
        """The waiting-list history of a called-in booking: placed by the optimiser."""
        deadline = booking.starts_at.date() + timedelta(days=self.rng.randint(0, 10))
        for citizen in citizens:
            callin = CallIn(job_centre=self.job_centre, citizen=citizen, template_id=template.id,
                            **_copy_spec(template), earliest_date=created.date(),
                            deadline_date=deadline, status=CallInStatus.PLACED,
                            booking=booking, created_by_user_id=self.admin.id,
                            created_at=created)
            callin.caseworkers = list(booking.caseworkers)
            db.session.add(callin)

    # -- group meetings ---------------------------------------------------

    def group_meetings(self, templates: dict[str, CallInTemplate],
                       offers: dict[str, OnlineOffer], citizens: list[Citizen]) -> None:
        """Information meetings twice a week in the training room, one per week in the hall."""
        info = templates["info"]
        kind = _Kind(info.conversation_type, info.holding_form, info.duration_minutes,
                     info.reporting_minutes, BookingOrigin.CALLED_IN, info.variant,
                     template=info, description=info.description)
        offer = offers["info"]
        offer_kind = _Kind(offer.conversation_type, offer.holding_form, offer.duration_minutes,
                           offer.reporting_minutes, BookingOrigin.SELF_BOOKED, offer.variant,
                           offer=offer, description=offer.description)
        hall = self.rooms["Store Sal"]
        # Both caseworkers are members of Unge Nord (R-1.2.4: the marked team only).
        unge = self.teams["Unge Nord"]
        unge_kind = _Kind(self._type(9), info.holding_form, 120, 15, BookingOrigin.CALLED_IN,
                          None, description="Informationsmøde for unge om uddannelse og job")
        unge_workers = _members(self.teams["Unge Nord"], self.caseworkers)[:1] + \
            _members(self.teams["Unge Syd"], self.caseworkers)[:1]
        monday = _next_weekday(self.first, 0)
        while monday <= self.last:
            for weekday, use_offer in ((1, False), (3, True)):
                day = monday + timedelta(days=weekday)
                k = offer_kind if use_offer and day > self.today else kind
                self._group_meeting(k, info.team, list(info.caseworkers), info.room, day,
                                    citizens, preferred=(time(9, 0), time(13, 0)))
            self._group_meeting(unge_kind, unge, unge_workers, hall, monday + timedelta(days=2),
                                citizens, preferred=(time(13, 0), time(10, 0)))
            monday += timedelta(days=7)

    def _type(self, code: int) -> ConversationType:
        return db.session.scalar(select(ConversationType).where(ConversationType.code == code))

    def _group_meeting(self, kind: _Kind, team: Team, caseworkers: list[Caseworker],
                       room: Room | None, day: date, citizens: list[Citizen],
                       preferred: tuple[time, ...]) -> Booking | None:
        if not (self.first <= day <= self.last) or room is None:
            return None
        common = group_free_intervals(self.free(c, day, day) for c in caseworkers)
        starts = slot_starts(common, timedelta(minutes=kind.duration),
                             timedelta(minutes=kind.reporting), GRANULARITY,
                             room_free=self.room_free(room, day))
        if not starts:
            return None
        start = next((s for p in preferred for s in starts if s.time() == p), starts[0])
        end = start + timedelta(minutes=kind.duration)
        seats = room.seats or 30
        # Past meetings were (nearly) full; future ones still have seats for self-booking.
        wanted = (self.rng.randint(max(1, seats - 4), seats) if day <= self.today
                  else self.rng.randint(2, max(2, seats // 2)))
        pool = [c for c in citizens if self.calendar.citizen_free(c, start, end)]
        chosen = self.rng.sample(pool, min(wanted, len(pool)))
        return self._book(kind=kind, team=team, caseworkers=caseworkers, citizens=chosen,
                          start=start, room=room, meeting_form=MeetingForm.GROUP)

    # -- individual meetings ------------------------------------------------

    def individual_meetings(self, kinds: dict[int, list[tuple[_Kind, int]]],
                            citizens: list[Citizen], deadline_type: ConversationType) -> None:
        """Fill 40-60 % of each caseworker's free time, one day at a time."""
        by_group: dict[str, list[Citizen]] = {}
        for citizen in citizens:
            by_group.setdefault(citizen.contact_group.code, []).append(citizen)
        imported = _Kind(self._type(12), self._holding_form("in_person"), 30, 0,
                         BookingOrigin.IMPORTED, description="Aftale fra det kommunale sagssystem")
        for caseworker in self.caseworkers:
            free = self.free(caseworker, self.first, self.last)
            by_day: dict[date, list[Interval]] = {}
            for interval in free:
                by_day.setdefault(interval[0].date(), []).append(interval)
            for day, day_free in sorted(by_day.items()):
                if caseworker.can_be_assigned_callins:
                    self._fill_day(caseworker, day, day_free, kinds, citizens, by_group,
                                   self.rng.uniform(0.4, 0.6))
                else:
                    # Appointments imported from the case system only.
                    self._fill_day(caseworker, day, day_free, {}, citizens, by_group,
                                   self.rng.uniform(0.15, 0.3), imported)

    def _holding_form(self, code: str) -> HoldingForm:
        return db.session.scalar(select(HoldingForm).where(HoldingForm.code == code))

    def _fill_day(self, caseworker: Caseworker, day: date, day_free: list[Interval],
                  kinds: dict[int, list[tuple[_Kind, int]]], citizens: list[Citizen],
                  by_group: dict[str, list[Citizen]], share: float,
                  fixed_kind: _Kind | None = None) -> None:
        target = total(day_free) * share
        booked = timedelta(0)
        misses = 0
        while booked < target and misses < 4:
            team_id = self.rng.choice([m.team_id for m in caseworker.memberships])
            team = next(m.team for m in caseworker.memberships if m.team_id == team_id)
            if fixed_kind is not None:
                kind = fixed_kind
            else:
                options = [(k, w) for k, w in kinds.get(team_id, [])
                           if k.last_day is None or day <= k.last_day]
                if not options:
                    return
                kind = self.rng.choices([k for k, _ in options], [w for _, w in options])[0]
            length = timedelta(minutes=kind.duration + kind.reporting)
            starts = slot_starts(day_free, timedelta(minutes=kind.duration),
                                 timedelta(minutes=kind.reporting), GRANULARITY)
            if not starts:
                misses += 1
                continue
            start = self.rng.choice(starts)
            citizen = self._pick_citizen(kind, start, citizens, by_group)
            if citizen is None:
                misses += 1
                continue
            # Cancelled meetings free their time again; a few of the self-booked ones too.
            cancelled = kind.origin != BookingOrigin.IMPORTED and self.rng.random() < 0.06
            external_id = (f"KSS-{self.rng.randint(100000, 999999)}"
                           if kind.origin == BookingOrigin.IMPORTED else None)
            self._book(kind=kind, team=team, caseworkers=[caseworker], citizens=[citizen],
                       start=start, cancelled=cancelled, external_id=external_id)
            if not cancelled:
                day_free = subtract_sorted(day_free, normalise([(start, start + length)]))
                booked += length

    def _pick_citizen(self, kind: _Kind, start: datetime, citizens: list[Citizen],
                      by_group: dict[str, list[Citizen]]) -> Citizen | None:
        end = start + timedelta(minutes=kind.duration)
        matching = [c for g in kind.contact_groups for c in by_group.get(g, [])]
        for pool in (matching, citizens):
            for _ in range(6):
                if not pool:
                    break
                citizen = self.rng.choice(pool)
                if self.calendar.citizen_free(citizen, start, end):
                    return citizen
        return None


# ---------------------------------------------------------------------------
# Self-booking deadlines and the waiting list
# ---------------------------------------------------------------------------

def _build_deadlines(job_centre: JobCentre, booker: _Booker, deadline_citizens: list[Citizen],
                     conversation_type: ConversationType, today: date, rng: random.Random,
                     admin: User) -> None:
    """Open deadlines (R-4.8, at least 8 days ahead) and a few fulfilled by a self-booking."""
    db.session.flush()
    for citizen in deadline_citizens[:7]:
        db.session.add(SelfBookingDeadline(
            job_centre=job_centre, citizen=citizen, conversation_type=conversation_type,
            deadline_date=today + timedelta(days=rng.randint(8, 20)),
            status=DeadlineStatus.OPEN, created_by_user_id=admin.id))
    for citizen in deadline_citizens[7:9]:
        db.session.add(SelfBookingDeadline(
            job_centre=job_centre, citizen=citizen, conversation_type=conversation_type,
            deadline_date=today - timedelta(days=rng.randint(1, 5)),
            status=DeadlineStatus.PASSED, created_by_user_id=admin.id))
    fulfilling = [b for b in booker.bookings
                  if b.origin == BookingOrigin.SELF_BOOKED and b.status == BookingStatus.BOOKED
                  and b.conversation_type is conversation_type
                  and b.meeting_form == MeetingForm.INDIVIDUAL and b.starts_at.date() > today]
    seen: set[int] = set()
    for booking in fulfilling:
        citizen = booking.participants[0].citizen
        if id(citizen) in seen or len(seen) == 3:
            continue
        seen.add(id(citizen))
        db.session.add(SelfBookingDeadline(
            job_centre=job_centre, citizen=citizen, conversation_type=conversation_type,
            deadline_date=booking.starts_at.date() + timedelta(days=rng.randint(1, 6)),
            status=DeadlineStatus.FULFILLED, booking_id=booking.id, created_by_user_id=admin.id))
    db.session.flush()


def _open_days(start: date, count: int, closed: set[date]) -> list[date]:
    days, day = [], start
    while len(days) < count:
        if day.weekday() < 5 and day not in closed:
            days.append(day)
        day += timedelta(days=1)
    return days


def _build_waiting_callins(job_centre: JobCentre, templates: dict[str, CallInTemplate],
                           citizens: list[Citizen], today: date, rng: random.Random,
                           users: dict[str, User]) -> None:
    """About 25 call-ins for the optimiser to place, two of them with a very tight deadline."""
    tomorrow = today + timedelta(days=1)
    national = set(db.session.scalars(select(NationalClosureDay.day)))
    creators = [u for key, u in users.items() if key != "support"]
    plan = (["jobsamtale"] * 8 + ["raadighed"] * 7 + ["info"] * 5 + ["opfoelgning"] * 5)
    for index, key in enumerate(plan + ["jobsamtale", "raadighed"]):
        template = templates[key]
        pool = [c for c in citizens
                if c.contact_group in template.contact_groups] or citizens
        citizen = rng.choice(pool)
        created = datetime.combine(today - timedelta(days=rng.randint(0, 4)),
                                   time(rng.randint(8, 15), rng.choice((0, 15, 30, 45))))
        earliest = max(tomorrow, created.date() + timedelta(days=template.earliest_after_days or 0))
        fall_date = None
        if index >= len(plan):
            # Very tight: two open working days to place it in.
            earliest, deadline = _open_days(tomorrow, 2, national)
        elif template.deadline_mode == DeadlineMode.DAYS_BEFORE_FALL_DATE:
            fall_date = today + timedelta(days=rng.randint(21, 35))
            deadline = fall_date - timedelta(days=template.deadline_days or 0)
        else:
            deadline = created.date() + timedelta(days=template.deadline_days or 14)
        if index < len(plan):
            deadline = max(deadline, earliest + timedelta(days=7))
        callin = CallIn(job_centre=job_centre, citizen=citizen, template_id=template.id,
                        **_copy_spec(template), fall_date=fall_date, earliest_date=earliest,
                        deadline_date=deadline, status=CallInStatus.WAITING,
                        priority=2 if index >= len(plan) else 1,
                        created_by_user_id=rng.choice(creators).id, created_at=created)
        callin.caseworkers = list(template.caseworkers)
        db.session.add(callin)
    db.session.flush()
