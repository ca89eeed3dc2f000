"""Contact and identity fields: e-mail, phone, RID or FASIT GUID, time and date ranges."""

from __future__ import annotations

import re
from datetime import date, datetime, time

import phonenumbers
from email_validator import EmailNotValidError, validate_email

from webapp.domain.errors import DomainError

EXAMPLE_EMAIL = "navn@kommune.dk"

# OCES employee certificates carry the RID as a run of digits after "RID:" in the
# subject serial number ("CVR:12345678-RID:12345678"); older ones are a few digits
# long, later ones longer. We accept 4 to 20 digits: tight enough to catch a name or
# an initials typed into the field, loose enough for every series issued.
RID_MIN_DIGITS = 4
RID_MAX_DIGITS = 20
_RID = re.compile(r"(?:RID\s*[:\-]?\s*)?(\d+)", re.IGNORECASE | re.ASCII)
_GUID = re.compile(
    r"(\{)?([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})(\})?",
    re.IGNORECASE)


def normalise_email(text: str) -> str:
    """A syntactically valid e-mail address, trimmed and lower-cased.

    No DNS look-up is made. The whole address is lower-cased so that the same
    mailbox typed twice is recognised as one (no Danish provider treats the local
    part as case-sensitive).
    """
    raw = (text or "").strip()
    if not raw:
        raise DomainError(f"Skriv en e-mailadresse, fx {EXAMPLE_EMAIL}.",
                          f"Enter an e-mail address, e.g. {EXAMPLE_EMAIL}.",
                          field="email", code="email_missing")
    try:
        result = validate_email(raw, check_deliverability=False)
    except EmailNotValidError as exc:
        raise DomainError(_email_message_da(raw),
                          f"The e-mail address '{raw}' is not valid: {exc}",
                          field="email", code="email_invalid") from None
    return result.normalized.lower()


def _email_message_da(raw: str) -> str:
    if "@" not in raw:
        hint = f"den mangler et @, fx {EXAMPLE_EMAIL}"
    elif raw.count("@") > 1:
        hint = "den må kun have ét @"
    elif any(ch.isspace() for ch in raw):
        hint = "den må ikke indeholde mellemrum"
    else:
        local, _, domain = raw.partition("@")
        if not local:
            hint = f"der mangler noget før @, fx {EXAMPLE_EMAIL}"
        elif not domain:
            hint = f"der mangler et domæne efter @, fx {EXAMPLE_EMAIL}"
        elif "." not in domain:
            hint = f"domænet efter @ skal have et punktum, fx {EXAMPLE_EMAIL}"
        elif ".." in raw:
            hint = "den må ikke have to punktummer i træk"
        else:
            hint = f"skriv den som {EXAMPLE_EMAIL}"
    return f"E-mailadressen »{raw}« er ikke gyldig: {hint}."


def normalise_phone(text: str) -> str:
    """A valid phone number in E.164 form ("+4520304050").

    Numbers without a country code are read as Danish. Store the E.164 form and show
    it with `display_phone`.
    """
    raw = (text or "").strip()
    if not raw:
        raise DomainError("Skriv et telefonnummer, fx 20 30 40 50.",
                          "Enter a phone number, e.g. 20 30 40 50.",
                          field="phone", code="phone_missing")
    try:
        number = phonenumbers.parse(raw, "DK")
    except phonenumbers.NumberParseException:
        number = None
    if number is None or not phonenumbers.is_valid_number(number):
        raise DomainError(
            f"Telefonnummeret »{raw}« er ikke gyldigt. Et dansk nummer har 8 cifre, fx "
            "20 30 40 50; et udenlandsk skrives med landekode, fx +46 8 123 456 78.",
            f"The phone number '{raw}' is not valid. A Danish number has 8 digits, e.g. "
            "20 30 40 50; write a foreign one with its country code, e.g. +46 8 123 456 78.",
            field="phone", code="phone_invalid")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def display_phone(e164: str) -> str:
    """The E.164 number grouped for reading: "+45 20 30 40 50"."""
    number = phonenumbers.parse(e164, "DK")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def check_rid(text: str) -> str:
    """The RID (OCES certificate id) as digits; a leading "RID:" is dropped (R-1.2.2)."""
    raw = (text or "").strip()
    match = _RID.fullmatch(raw)
    if not match or not RID_MIN_DIGITS <= len(match.group(1)) <= RID_MAX_DIGITS:
        raise DomainError(
            f"RID-nummeret »{raw}« er ugyldigt: det består af {RID_MIN_DIGITS} til "
            f"{RID_MAX_DIGITS} cifre og står i medarbejdercertifikatet, fx 12345678.",
            f"The RID '{raw}' is invalid: it is {RID_MIN_DIGITS} to {RID_MAX_DIGITS} digits "
            "from the employee certificate, e.g. 12345678.",
            field="rid", code="rid_invalid")
    return match.group(1)


def check_guid(text: str) -> str:
    """A FASIT GUID in 8-4-4-4-12 hex form, braces optional, returned lower case (R-1.2.2)."""
    raw = (text or "").strip()
    match = _GUID.fullmatch(raw)
    if not match or bool(match.group(1)) != bool(match.group(3)):
        raise DomainError(
            f"GUID'en »{raw}« er ugyldig: den skal have formen "
            "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx med tegnene 0-9 og a-f, fx "
            "3f2504e0-4f89-11d3-9a0c-0305e82c3301.",
            f"The GUID '{raw}' is invalid: it must have the form "
            "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx with the characters 0-9 and a-f, e.g. "
            "3f2504e0-4f89-11d3-9a0c-0305e82c3301.",
            field="guid", code="guid_invalid")
    return match.group(2).lower()


def _hhmm(value: time | datetime) -> str:
    return value.strftime("%d.%m.%Y %H:%M" if isinstance(value, datetime) else "%H:%M")


def check_time_range(start: time | datetime, end: time | datetime, field: str = "end") -> None:
    """The end lies strictly after the start; both are times or both datetimes."""
    if end <= start:
        raise DomainError(
            f"Sluttidspunktet ({_hhmm(end)}) skal ligge efter starttidspunktet "
            f"({_hhmm(start)}).",
            f"The end ({_hhmm(end)}) must be after the start ({_hhmm(start)}).",
            field=field, code="time_range")


def check_date_range(start: date, end: date, field: str = "end") -> None:
    """The end date is on or after the start date: a one-day range is allowed."""
    if end < start:
        raise DomainError(
            f"Slutdatoen ({end:%d.%m.%Y}) må ikke ligge før startdatoen ({start:%d.%m.%Y}).",
            f"The end date ({end:%d.%m.%Y}) must not be before the start date "
            f"({start:%d.%m.%Y}).",
            field=field, code="date_range")
