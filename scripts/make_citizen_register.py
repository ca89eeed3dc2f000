"""Write seed/data/citizens.json, the file-backed citizen register (R-6.1), from the demo seed.

The register holds the demo's citizens as the demo builds them (name, address, contact details,
contact group) and `EXTRA` more fictitious people with valid CPR numbers for tests, all
deterministic: run it again after changing the demo's citizens and commit the file.

    python -m scripts.make_citizen_register [--check]
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from datetime import date
from pathlib import Path

from seed.demo import (_FEMALE_FIRST, _FLOORS, _LAST, _MALE_FIRST, _STREETS, CITIZEN_COUNT,
                       DEMO_JOB_CENTRE, build_demo)
from webapp import create_app
from webapp.citizens.register import DEMO_REGISTER_JSON
from webapp.config import TestConfig
from webapp.domain.addresses import postal_city
from webapp.domain.cpr import test_cprs
from webapp.extensions import db

DEMO_SEED = 2027
EXTRA = 300


def _demo_citizens() -> list[dict]:
    from sqlalchemy import select

    from webapp.models import Citizen, JobCentre
    config = {k: getattr(TestConfig, k) for k in dir(TestConfig) if k.isupper()}
    app = create_app(config | {"SQLALCHEMY_DATABASE_URI": "sqlite://", "SQLALCHEMY_ENGINE_OPTIONS": {}})
    with app.app_context():
        db.create_all()
        build_demo(random_seed=DEMO_SEED, today=date(2027, 3, 24))
        job_centre = db.session.scalar(select(JobCentre).where(JobCentre.name == DEMO_JOB_CENTRE))
        citizens = db.session.scalars(select(Citizen).where(Citizen.job_centre_id == job_centre.id)
                                      .order_by(Citizen.id))
        return [{"cpr": c.cpr, "name": c.name, "address": c.address, "postal_code": c.postal_code,
                 "city": c.city, "email": c.email, "phone": c.phone,
                 "contact_group": c.contact_group.code if c.contact_group else None}
                for c in citizens]


def _extra(known: set[str]) -> list[dict]:
    """Fictitious people beyond the demo: name and address, no contact details, no group."""
    rng = random.Random(DEMO_SEED + 1)
    people = []
    for cpr in test_cprs(CITIZEN_COUNT + EXTRA, DEMO_SEED)[CITIZEN_COUNT:]:
        if cpr in known:
            continue
        first = rng.choice(_MALE_FIRST if int(cpr[-1]) % 2 else _FEMALE_FIRST)
        street, postal_code = rng.choice(_STREETS)
        people.append({"cpr": cpr, "name": f"{first} {rng.choice(_LAST)}",
                       "address": f"{street} {rng.randint(1, 180)}{rng.choice(_FLOORS)}",
                       "postal_code": postal_code, "city": postal_city(postal_code),
                       "email": None, "phone": None, "contact_group": None})
    return people


def document() -> str:
    demo = _demo_citizens()
    people = demo + _extra({p["cpr"] for p in demo})
    return json.dumps({
        "description": "Fictitious citizens for demo and tests: the demo's citizens first, then "
                       "more people with made-up names and addresses. The CPR numbers are valid "
                       "in form but chosen to fail the old modulus-11 check.",
        "citizens": people}, ensure_ascii=False, indent=1) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if the file is not up to date")
    args = parser.parse_args(argv)
    text = document()
    path = Path(DEMO_REGISTER_JSON)
    if args.check:
        if path.read_text(encoding="utf-8") != text:
            print(f"{path} is not up to date: python -m scripts.make_citizen_register", file=sys.stderr)
            return 1
        return 0
    path.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
