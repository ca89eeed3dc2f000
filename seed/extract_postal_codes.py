"""Extract the Danish postal codes from countrystatecity-postal-codes into seed/data."""

from __future__ import annotations

import argparse
import csv
import re
import sys
from importlib import metadata
from pathlib import Path

PACKAGE = "countrystatecity-postal-codes"
PINNED_VERSION = "2.0.1"
EXPECTED_COUNT = 1089
DATA_DIR = Path(__file__).resolve().parent / "data"
CSV_PATH = DATA_DIR / "postal_codes_dk.csv"
LICENSE_PATH = DATA_DIR / "POSTAL_CODES_LICENSE.md"

FOUR_DIGITS = re.compile(r"\d{4}")

LICENSE_TEXT = """\
# Danish postal codes: source and licence

`postal_codes_dk.csv` is a derived extract: the Danish (country code `DK`) postal
codes and their city names, one row per code, sorted by code. Nothing else from the
source (coordinates, region codes, other countries) is kept.

- Source package: `{package}` version {version} (PyPI), by dr5hn / countrystatecity.
- Upstream database: the *countries-states-cities-database* project by dr5hn
  (https://github.com/dr5hn/countries-states-cities-database).
- Licence: Open Database License (ODbL) 1.0,
  https://opendatacommons.org/licenses/odbl/1-0/ . The extract is likewise made
  available under the ODbL 1.0; the individual contents remain under the source's
  terms.

Contains information from the countries-states-cities-database, which is made
available here under the Open Database License (ODbL).

Regenerate with:

    pip install -r seed/requirements-extract.txt
    python seed/extract_postal_codes.py

The extract has {count} postal codes. Greenland (39xx) and the Faroe Islands
(three-digit codes) have their own country codes in the source and are not part of
it; the script refuses them should they ever appear under `DK`.
"""


def installed_version() -> str:
    try:
        return metadata.version(PACKAGE)
    except metadata.PackageNotFoundError:
        sys.exit(f"{PACKAGE} is not installed: pip install -r seed/requirements-extract.txt")


def extract() -> tuple[dict[str, str], list[str]]:
    """Return code -> city and a list of notes about rows that were dropped."""
    from countrystatecity_postal_codes import get_postcodes_of_country

    cities: dict[str, str] = {}
    notes: list[str] = []
    for entry in get_postcodes_of_country("DK"):
        code = entry.code.strip()
        city = (entry.localityName or "").strip()
        if not FOUR_DIGITS.fullmatch(code):
            notes.append(f"dropped malformed code {code!r} ({city})")
            continue
        # Greenland's codes are 39xx; they belong to another postal territory.
        if code.startswith("39"):
            notes.append(f"dropped Greenland code {code} ({city})")
            continue
        if not city:
            notes.append(f"dropped {code}: no city name")
            continue
        if code in cities:
            if cities[code] != city:
                notes.append(f"duplicate {code}: kept {cities[code]!r}, dropped {city!r}")
            else:
                notes.append(f"duplicate {code}: same city {city!r}")
            continue
        cities[code] = city
    return cities, notes


def write_csv(cities: dict[str, str], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["postal_code", "city"])
        for code in sorted(cities):
            writer.writerow([code, cities[code]])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--allow-other-version", action="store_true",
                        help=f"run with a version other than {PINNED_VERSION}")
    parser.add_argument("--allow-other-count", action="store_true",
                        help=f"write the files even if the count is not {EXPECTED_COUNT}")
    args = parser.parse_args(argv)

    version = installed_version()
    if version != PINNED_VERSION and not args.allow_other_version:
        print(f"{PACKAGE} {version} is installed, the pin is {PINNED_VERSION}", file=sys.stderr)
        return 2

    cities, notes = extract()
    for note in notes:
        print(note, file=sys.stderr)
    if len(cities) != EXPECTED_COUNT and not args.allow_other_count:
        print(f"got {len(cities)} codes, expected {EXPECTED_COUNT}: nothing written",
              file=sys.stderr)
        return 1

    write_csv(cities, CSV_PATH)
    LICENSE_PATH.write_text(
        LICENSE_TEXT.format(package=PACKAGE, version=version, count=len(cities)),
        encoding="utf-8")
    print(f"wrote {len(cities)} postal codes to {CSV_PATH}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
