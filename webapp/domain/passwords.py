"""The staff password policy (R-6.3): at least 12 characters, not a common password, not the
user name. Stated to the user on the set-password page with the same numbers."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from webapp.domain.errors import DomainError

MIN_LENGTH = 12
# Longer than any passphrase people type; werkzeug hashes the whole text.
MAX_LENGTH = 200
COMMON_PASSWORDS_FILE = Path(__file__).with_name("common_passwords.txt")

POLICY_DA = (f"Adgangskoden skal have mindst {MIN_LENGTH} tegn, må ikke være en af de mest brugte "
             "adgangskoder og må ikke indeholde dit brugernavn. En sætning af flere ord er let at "
             "huske og svær at gætte.")
POLICY_EN = (f"The password must have at least {MIN_LENGTH} characters, must not be one of the most "
             "used passwords and must not contain your user name. A sentence of several words is "
             "easy to remember and hard to guess.")


@cache
def common_passwords() -> frozenset[str]:
    lines = COMMON_PASSWORDS_FILE.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip().casefold() for line in lines if line.strip() and not line.startswith("#"))


def check_password(password: str, username: str) -> None:
    """Refuse a password that breaks the policy, with a message that says how to fix it (R-6.3)."""
    if len(password) < MIN_LENGTH:
        raise DomainError(
            f"Adgangskoden er for kort: den har {len(password)} tegn, men skal have mindst {MIN_LENGTH}. "
            "Brug fx en sætning af flere ord.",
            f"The password is too short: it has {len(password)} characters but needs at least "
            f"{MIN_LENGTH}. Use e.g. a sentence of several words.",
            field="password", code="password_too_short")
    if len(password) > MAX_LENGTH:
        raise DomainError(f"Adgangskoden er for lang: højst {MAX_LENGTH} tegn.",
                          f"The password is too long: at most {MAX_LENGTH} characters.",
                          field="password", code="password_too_long")
    if password.strip().casefold() in common_passwords():
        raise DomainError("Adgangskoden er en af de mest brugte og gættes let. Vælg en anden, "
                          "fx en sætning af flere ord.",
                          "The password is one of the most used and easy to guess. Choose another, "
                          "e.g. a sentence of several words.",
                          field="password", code="password_common")
    name = (username or "").strip().casefold()
    if name and name in password.casefold():
        raise DomainError("Adgangskoden må ikke indeholde dit brugernavn. Vælg en anden.",
                          "The password must not contain your user name. Choose another.",
                          field="password", code="password_contains_username")
