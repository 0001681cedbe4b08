"""Phones typed the ways people type them, in the countries businesses here work in, come out as E.164."""

import phonenumbers
import pytest
from django.core.exceptions import ValidationError

from accounts.validators import normalize_phone

COUNTRIES = ("US", "CA", "GB", "IE", "FR", "DE", "ES", "IT", "NL", "AU", "NZ", "IN", "BR", "MX", "ZA", "JP")
KINDS = (phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE)


def _typed_ways(number: phonenumbers.PhoneNumber) -> list[str]:
    national = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
    international = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    return [
        national,
        international,
        international.replace(" ", "."),
        f"+{number.country_code} ({phonenumbers.national_significant_number(number)})",
        f" {national.replace(' ', '-')} ",
    ]


@pytest.mark.parametrize("country", COUNTRIES)
def test_a_number_reads_the_same_however_it_is_punctuated(country):
    for kind in KINDS:
        example = phonenumbers.example_number_for_type(country, kind)
        expected = phonenumbers.format_number(example, phonenumbers.PhoneNumberFormat.E164)
        for typed in _typed_ways(example):
            assert normalize_phone(typed, country=country) == expected, typed


def test_a_foreign_number_typed_in_full_keeps_its_own_country():
    assert normalize_phone("+44 (0)20 7946 0018", country="US") == "+442079460018"
    assert normalize_phone("+33 6 12 34 56 78", country="US") == "+33612345678"


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("3 7", "“3 7” is not a phone number."),
        ("(555) 01", "“(555) 01” is not a valid phone number."),
        ("call me", "“call me” is not a phone number."),
        ("555-0147 ext. 12", "“555-0147 ext. 12” is not a valid phone number."),
    ],
)
def test_a_number_refused_is_named_as_it_was_typed(typed, message):
    with pytest.raises(ValidationError) as refused:
        normalize_phone(typed, country="US")

    assert refused.value.messages == [message]
