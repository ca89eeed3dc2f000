"""R-8.3: the browser walks' check for English and raw values finds what it should, and only that."""

from __future__ import annotations

import pytest

from tests.browser.language import CLASS_NAMES, RAW_VALUES, english_or_raw


@pytest.mark.parametrize("text", [
    "Forslag: Mon 12.01 kl. 09:00", "Wednesday 3. juni", "1. March 2027", "Thu", "Fri.",
    "Art: letter", "invitation til Anna", "call_in", "Hændelse: booking_created",
    "Objekt: LetterTemplate 4", 'Detaljer: {"name": "Anna"}', "Status: queued",
])
def test_english_words_and_raw_values_are_found_R_8_3(text):
    assert english_or_raw(text)


@pytest.mark.parametrize("text", [
    "mandag 12. januar kl. 09:00", "Tirsdag, 1. april 2027", "Kommer for sent", "september",
    "anna.letter@demo.dk", "Brevskabelon »Indkaldelse«", "Team Jobparate", "jan 2027",
    "letter.pdf", "Sendt", "Indkaldelse", "caseworker1", "Mandag",
])
def test_danish_text_passes_R_8_3(text):
    assert english_or_raw(text) == []


def test_the_vocabularies_are_collected_from_the_models_R_8_3():
    assert {"call_in", "letter", "invitation", "booking_created", "sickness"} <= RAW_VALUES
    assert {"LetterTemplate", "CallInTemplate", "AuditEntry"} <= CLASS_NAMES
    assert "Team" not in CLASS_NAMES and "sent" not in RAW_VALUES
