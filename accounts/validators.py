"""Validators for the fields of accounts, shared by models, services and serializers."""

import re
import zoneinfo
from contextlib import suppress
from functools import cache
from typing import Any

import phonenumbers
import pycountry
from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator

CONTACT_FIELD_TYPES = ("text", "number", "date", "boolean", "choice")
VOCABULARY_KEYS = (
    "client",
    "clients",
    "job",
    "jobs",
    "booking",
    "bookings",
    "staff_member",
    "staff_members",
    "quote",
    "invoice",
)

COUNTRY_CHOICES = sorted(((c.alpha_2, c.name) for c in pycountry.countries), key=lambda pair: pair[1])
CURRENCY_CHOICES = sorted((c.alpha_3, f"{c.alpha_3} — {c.name}") for c in pycountry.currencies)


@cache
def _time_zone_names() -> frozenset[str]:
    # zoneinfo walks the whole tz database on disk for every call (about 0.1 s): once per process is enough.
    return frozenset(zoneinfo.available_timezones())


def is_time_zone_name(name: str) -> bool:
    """Whether ``name`` is an IANA time zone such as America/Chicago."""
    return name in _time_zone_names()


class _EmailValidator(EmailValidator):
    """Django's email rules with its patterns compiled up front: Django compiles them lazily, behind
    a proxy that costs a few microseconds on every use, felt when an import checks a million
    addresses."""

    user_regex = re.compile(EmailValidator.user_regex.pattern, EmailValidator.user_regex.flags)
    domain_regex = re.compile(EmailValidator.domain_regex.pattern, EmailValidator.domain_regex.flags)
    literal_regex = re.compile(EmailValidator.literal_regex.pattern, EmailValidator.literal_regex.flags)


validate_email = _EmailValidator()


# A number typed with only spaces, brackets, dots and dashes between its digits. phonenumbers
# reads past those marks anyway, and parses the bare digits in half the time (an import checks
# many thousands); a number it refuses is parsed again as typed, so the error is the same.
_PLAIN_NUMBER = re.compile(r"\+?[0-9 ().-]{1,40}")
_MARKS = str.maketrans("", "", " ().-")


def normalize_phone(value: str, *, country: str) -> str:
    """A phone typed in any common format, as E.164; the country is the default region."""
    if not value:
        return ""
    if _PLAIN_NUMBER.fullmatch(value):
        with suppress(ValidationError):
            return _e164(value.translate(_MARKS), country)
    return _e164(value, country)


def _e164(value: str, country: str) -> str:
    try:
        number = phonenumbers.parse(value, country or None)
    except phonenumbers.NumberParseException as error:
        raise ValidationError(f"“{value}” is not a phone number.", code="invalid_phone") from error
    # Valid for the default region settles it in one check; else whichever region the number is of.
    if not (phonenumbers.is_valid_number_for_region(number, country) or phonenumbers.is_valid_number(number)):
        raise ValidationError(f"“{value}” is not a valid phone number.", code="invalid_phone")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _require(condition: bool, message: str) -> None:
    if not condition:
        raise ValidationError(message, code="invalid")


def validate_vocabulary(value: Any) -> None:
    _require(isinstance(value, dict), "Vocabulary must be an object of words.")
    unknown = set(value) - set(VOCABULARY_KEYS)
    _require(not unknown, f"Unknown vocabulary words: {', '.join(sorted(unknown))}.")
    _require(all(isinstance(word, str) and word.strip() for word in value.values()), "Every word must be text.")


def validate_default_services(value: Any) -> None:
    _require(isinstance(value, list), "Default services must be a list.")
    for index, service in enumerate(value, start=1):
        _require(isinstance(service, dict), f"Service {index} must be an object.")
        _require(isinstance(service.get("name"), str) and service["name"].strip(), f"Service {index} needs a name.")
        duration = service.get("duration_minutes")
        _require(
            isinstance(duration, int) and 5 <= duration <= 24 * 60,
            f"Service {index}: duration_minutes must be a whole number from 5 to 1440.",
        )
        price = service.get("price")
        _require(isinstance(price, int) and price >= 0, f"Service {index}: price must be whole minor units, 0 or more.")
        buffer = service.get("buffer_minutes", 0)
        _require(isinstance(buffer, int) and 0 <= buffer <= 240, f"Service {index}: buffer_minutes must be 0 to 240.")


def validate_reminder_offsets(value: Any) -> None:
    _require(isinstance(value, list), "Reminder offsets must be a list of hours.")
    _require(
        all(isinstance(hours, int) and 1 <= hours <= 24 * 30 for hours in value),
        "Each reminder offset is a whole number of hours from 1 to 720.",
    )


def validate_contact_fields(value: Any) -> None:
    _require(isinstance(value, list), "Contact fields must be a list.")
    keys = set()
    for index, field in enumerate(value, start=1):
        _require(isinstance(field, dict), f"Contact field {index} must be an object.")
        key = field.get("key")
        _require(isinstance(key, str) and key.isidentifier(), f"Contact field {index} needs a snake_case key.")
        _require(key not in keys, f"Contact field key “{key}” is used twice.")
        keys.add(key)
        _require(
            isinstance(field.get("label"), str) and field["label"].strip(), f"Contact field “{key}” needs a label."
        )
        kind = field.get("type")
        _require(
            kind in CONTACT_FIELD_TYPES, f"Contact field “{key}”: type must be one of {', '.join(CONTACT_FIELD_TYPES)}."
        )
        if kind == "choice":
            choices = field.get("choices")
            _require(
                isinstance(choices, list) and choices and all(isinstance(c, str) for c in choices),
                f"Contact field “{key}” needs a list of choices.",
            )
