"""CPR numbers: normalise and check, mask for logs and screens, make demo numbers."""

from __future__ import annotations

import logging
import random
import re
from datetime import date, timedelta

from stdnum.dk import cpr as stdnum_cpr
from stdnum.exceptions import ValidationError

from webapp.domain.errors import DomainError

MASK = "****"

# Six digits that read as DDMMYY, an optional dash or space, then four digits, not
# inside a longer run of digits. Demanding a plausible day and month keeps
# timestamps, phone numbers with country code and order numbers out of the mask.
_CPR_TOKEN = re.compile(
    r"(?<!\d)((?:0[1-9]|[12]\d|3[01])(?:0[1-9]|1[0-2])\d\d)[- ]?(\d{4})(?!\d)",
    re.ASCII)

# What a person may type around the digits; anything else is a mistake worth naming.
_ALLOWED = re.compile(r"[\d\s-]*", re.ASCII)


def _error(message_da: str, message_en: str, code: str) -> DomainError:
    return DomainError(message_da, message_en, field="cpr", code=code)


def normalise_cpr(text: str, *, today: date | None = None) -> str:
    """The 10 digits of a CPR number typed as "010190-1234" or "0101901234".

    The modulus-11 check is not applied: numbers issued since 2007 need not pass it.
    A birth date after `today` (default: the current date) is refused.
    """
    raw = (text or "").strip()
    if not raw:
        raise _error("Skriv et CPR-nummer (10 cifre, fx 010190-1234).",
                     "Enter a CPR number (10 digits, e.g. 010190-1234).", "cpr_missing")
    if not _ALLOWED.fullmatch(raw):
        raise _error(
            "CPR-nummeret må kun indeholde cifre og evt. en bindestreg, fx 010190-1234.",
            "A CPR number holds digits and at most a dash, e.g. 010190-1234.", "cpr_format")
    joined = "".join(raw.split())
    digits = joined.replace("-", "")
    if len(digits) != 10:
        raise _error(
            f"Et CPR-nummer har 10 cifre; du har skrevet {len(digits)}. Skriv fx 010190-1234.",
            f"A CPR number has 10 digits; {len(digits)} were given. Write e.g. 010190-1234.",
            "cpr_length")
    # A dash anywhere but after the date is a typo worth pointing at.
    if "-" in joined and not re.fullmatch(r"\d{6}-\d{4}", joined, re.ASCII):
        raise _error(
            "Bindestregen i et CPR-nummer står efter de første seks cifre: 010190-1234.",
            "The dash in a CPR number goes after the first six digits: 010190-1234.",
            "cpr_format")
    try:
        born = stdnum_cpr.get_birth_date(digits)
    except ValidationError:
        raise _error(
            f"De første seks cifre i CPR-nummeret ({digits[:6]}) er ikke en gyldig dato "
            "(DDMMÅÅ).",
            f"The first six digits of the CPR number ({digits[:6]}) are not a valid date "
            "(DDMMYY).", "cpr_date") from None
    if born > (today or date.today()):
        raise _error(
            "CPR-nummerets fødselsdato ligger i fremtiden. Tjek de første seks cifre og "
            "det syvende ciffer.",
            "The CPR number's birth date lies in the future. Check the first six digits "
            "and the seventh.", "cpr_future")
    return digits


def format_cpr(cpr: str) -> str:
    """The usual written form "DDMMYY-SSSS" of a normalised CPR number."""
    return stdnum_cpr.format(cpr)


def mask_cpr(cpr: str) -> str:
    """The number as "010190-****": the birth date only, for logs and screens."""
    digits = stdnum_cpr.compact(cpr or "")
    return f"{digits[:6]}-{MASK}"


def birth_date(cpr: str) -> date:
    """The birth date held in a CPR number (the seventh digit gives the century)."""
    try:
        return stdnum_cpr.get_birth_date(_digits(cpr))
    except ValidationError:
        raise _error("CPR-nummeret indeholder ikke en gyldig fødselsdato.",
                     "The CPR number holds no valid birth date.", "cpr_date") from None


def _digits(cpr: str) -> str:
    """The digits of a CPR number, shape-checked only (no date checks)."""
    digits = stdnum_cpr.compact(cpr or "")
    if len(digits) != 10 or not digits.isdigit():
        raise _error("Et CPR-nummer har 10 cifre, fx 010190-1234.",
                     "A CPR number has 10 digits, e.g. 010190-1234.", "cpr_length")
    return digits


def redact_cprs(text: str) -> str:
    """Every CPR-looking token in `text` masked as "DDMMYY-****"."""
    return _CPR_TOKEN.sub(lambda m: f"{m.group(1)}-{MASK}", text)


def test_cprs(n: int, seed: int = 0) -> list[str]:
    """n distinct valid CPR numbers for demo data, the same for the same seed.

    Birth dates fall in 1960-1999 (working age), so the seventh digit is 0-3 and no
    date is ever in the future. The numbers are chosen to fail the old modulus-11
    check, which every number issued before 2007 passed, so that they are less
    likely to belong to a real person born in that span.
    """
    if n < 0:
        raise ValueError("n must not be negative")
    rng = random.Random(seed)
    first, span = date(1960, 1, 1), (date(1999, 12, 31) - date(1960, 1, 1)).days
    found: list[str] = []
    seen: set[str] = set()
    attempts = 0
    while len(found) < n:
        attempts += 1
        if attempts > 100 * n + 1000:
            raise ValueError(f"could not make {n} distinct CPR numbers")
        born = first + timedelta(days=rng.randint(0, span))
        sequence = f"{rng.randint(0, 3)}{rng.randint(0, 999):03d}"
        number = born.strftime("%d%m%y") + sequence
        if number in seen or stdnum_cpr.checksum(number) == 0:
            continue
        seen.add(number)
        found.append(number)
    return found


# pytest would otherwise collect the generator above as a test when imported there.
test_cprs.__test__ = False  # type: ignore[attr-defined]


class CprRedactingFilter(logging.Filter):
    """Masks CPR numbers in a log record before any handler writes it.

    The message is rendered with its arguments first and the result masked, so a
    CPR number passed as an argument (str or otherwise) is caught as well. An
    exception's traceback text is rendered and masked too.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except (TypeError, ValueError):
            # A broken format string: mask the parts and let logging report it.
            record.msg = redact_cprs(str(record.msg))
            if isinstance(record.args, tuple):
                record.args = tuple(redact_cprs(a) if isinstance(a, str) else a
                                    for a in record.args)
            return True
        record.msg = redact_cprs(message)
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact_cprs(record.exc_text)
        if record.stack_info:
            record.stack_info = redact_cprs(record.stack_info)
        return True


# The request lines of the development server and of gunicorn hold the URL with its query.
ACCESS_LOGGERS = ("werkzeug", "gunicorn.access", "gunicorn.error")


def mask_cprs_in_loggers(names: tuple[str, ...]) -> None:
    """Mask CPR numbers in every record of the named loggers, once per logger (R-7.8).

    On the logger itself, not only on the root handlers: a logger with a handler of its
    own (werkzeug's, gunicorn's) writes before the record reaches the root.
    """
    for name in names:
        logger = logging.getLogger(name)
        if not any(isinstance(f, CprRedactingFilter) for f in logger.filters):
            logger.addFilter(CprRedactingFilter())
