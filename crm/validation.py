"""Cleaning what is typed or imported about a contact, shared by the API, the importer and the admin.

Every function returns the normalized value or raises a ValidationError whose
message names the problem; ``contact_clean`` gathers them per field.
"""

import datetime
from typing import Any

from django.core.exceptions import ValidationError

from accounts import validators
from accounts.models import Organization
from crm.models import ConsentChannel, ContactSource

TEXT_FIELDS = {
    "first_name": 100,
    "last_name": 100,
    "company": 200,
    "address_line1": 200,
    "address_line2": 200,
    "city": 100,
    "region": 100,
    "postal_code": 20,
}
MAX_ADDRESSES = 10
# Checked on every imported row: sets built once.
_COUNTRIES = frozenset(code for code, _ in validators.COUNTRY_CHOICES)
_SOURCES = frozenset(ContactSource.values)
_CHANNELS = frozenset(ConsentChannel.values)


def _entries(value: Any, field: str) -> list[dict[str, str]]:
    """Accept "a", ["a", "b"] or [{"value": "a", "label": "work"}] alike."""
    if value in (None, ""):
        return []
    items = value if isinstance(value, list) else [value]
    if len(items) > MAX_ADDRESSES:
        raise ValidationError(f"At most {MAX_ADDRESSES} {field}.")
    entries = []
    for item in items:
        if isinstance(item, str):
            entries.append({"value": item.strip(), "label": ""})
        elif isinstance(item, dict) and isinstance(item.get("value"), str):
            entries.append({"value": item["value"].strip(), "label": str(item.get("label", ""))[:30]})
        else:
            raise ValidationError(f"Each of {field} is text or {{'value', 'label'}}.")
    return [entry for entry in entries if entry["value"]]


def _unique(entries: list[dict[str, str]]) -> list[dict[str, str]]:
    seen, kept = set(), []
    for entry in entries:
        if entry["value"] not in seen:
            seen.add(entry["value"])
            kept.append(entry)
    return kept


def clean_emails(value: Any) -> list[dict[str, str]]:
    entries = _entries(value, "emails")
    for entry in entries:
        entry["value"] = entry["value"].lower()
        try:
            validators.validate_email(entry["value"])
        except ValidationError as error:
            raise ValidationError(f"“{entry['value']}” is not an email address.") from error
    return _unique(entries)


def clean_phones(value: Any, *, country: str) -> list[dict[str, str]]:
    entries = _entries(value, "phones")
    for entry in entries:
        entry["value"] = validators.normalize_phone(entry["value"], country=country)
    return _unique(entries)


def clean_custom_fields(value: Any, *, definitions: list[dict]) -> dict[str, Any]:
    if value in (None, ""):
        return {}
    if not isinstance(value, dict):
        raise ValidationError("Custom fields are an object of field keys to values.")
    by_key = {definition["key"]: definition for definition in definitions}
    unknown = sorted(set(value) - set(by_key))
    if unknown:
        raise ValidationError(f"Unknown fields for this business: {', '.join(unknown)}.")
    return {key: _custom_value(by_key[key], raw) for key, raw in value.items() if raw not in (None, "")}


def _custom_value(definition: dict, raw: Any) -> Any:
    kind, label = definition["type"], definition["label"]
    try:
        if kind == "number":
            return float(raw) if "." in str(raw) else int(raw)
        if kind == "boolean":
            if isinstance(raw, bool):
                return raw
            return {"true": True, "yes": True, "1": True, "false": False, "no": False, "0": False}[
                str(raw).strip().lower()
            ]
        if kind == "date":
            return datetime.date.fromisoformat(str(raw)).isoformat()
    except (ValueError, KeyError) as error:
        raise ValidationError(f"{label}: “{raw}” is not a {kind}.") from error
    text = str(raw).strip()[:500]
    if kind == "choice" and text not in definition.get("choices", []):
        raise ValidationError(f"{label}: “{text}” is not one of {', '.join(definition['choices'])}.")
    return text


def clean_consent(value: Any, *, previous: dict | None = None) -> dict[str, dict]:
    """``{"sms": {"granted": true, "how": "checkbox on booking page"}}``; when it changed is stamped here."""
    if value in (None, ""):
        return dict(previous or {})
    if not isinstance(value, dict):
        raise ValidationError("Consent is an object per channel.")
    unknown = sorted(set(value) - _CHANNELS)
    if unknown:
        raise ValidationError(f"Unknown channels: {', '.join(unknown)}.")
    consent = dict(previous or {})
    now = datetime.datetime.now(datetime.UTC).isoformat()
    for channel, given in value.items():
        if not isinstance(given, dict) or not isinstance(given.get("granted"), bool):
            raise ValidationError(f"{channel}: say {{'granted': true or false, 'how': '...'}}.")
        before = consent.get(channel, {})
        changed = before.get("granted") != given["granted"]
        consent[channel] = {
            "granted": given["granted"],
            "how": str(given.get("how") or before.get("how", ""))[:200],
            "at": now if changed else before.get("at", now),
        }
    return consent


def contact_clean(
    *, organization: Organization, data: dict[str, Any], previous_consent: dict | None = None
) -> dict[str, Any]:
    """Clean the given fields of a contact; raises ValidationError with a message per field."""
    cleaned: dict[str, Any] = {}
    errors: dict[str, list[str]] = {}

    def attempt(field: str, clean, *, reported_as: str | None = None) -> None:
        try:
            cleaned[field] = clean()
        except ValidationError as error:
            errors[reported_as or field] = error.messages

    for field, length in TEXT_FIELDS.items():
        if field in data:
            attempt(field, lambda field=field, length=length: _text(data[field], length))
    country = (data.get("country") or organization.country or "").upper()
    if "country" in data:
        attempt("country", lambda: _country(data["country"]))
    if "emails" in data or "email" in data:
        attempt(
            "emails", lambda: clean_emails(_merged(data, "email", "emails")), reported_as=_sent(data, "email", "emails")
        )
    if "phones" in data or "phone" in data:
        attempt(
            "phones",
            lambda: clean_phones(_merged(data, "phone", "phones"), country=country),
            reported_as=_sent(data, "phone", "phones"),
        )
    if "custom_fields" in data:
        attempt(
            "custom_fields", lambda: clean_custom_fields(data["custom_fields"], definitions=_definitions(organization))
        )
    if "consent" in data:
        attempt("consent", lambda: clean_consent(data["consent"], previous=previous_consent))
    if "source" in data:
        attempt("source", lambda: _source(data["source"]))
    if errors:
        raise ValidationError(errors)
    return cleaned


def _merged(data: dict, single: str, many: str) -> list:
    values = list(data.get(many) or [])
    if data.get(single):
        values.insert(0, data[single])
    return values


def _sent(data: dict, single: str, many: str) -> str:
    """The field an error is named after: the one the client sent, ``phone`` when it sent only that."""
    return many if many in data else single


def _text(value: Any, length: int) -> str:
    text = "" if value is None else str(value).strip()
    if len(text) > length:
        raise ValidationError(f"At most {length} characters.")
    return text


def _country(value: Any) -> str:
    code = str(value or "").strip().upper()
    if code and code not in _COUNTRIES:
        raise ValidationError(f"“{code}” is not an ISO 3166 country code such as US.")
    return code


def _source(value: Any) -> str:
    if value not in _SOURCES:
        raise ValidationError(f"Source is one of {', '.join(ContactSource.values)}.")
    return value


def _definitions(organization: Organization) -> list[dict]:
    industry = getattr(organization, "industry", None)
    return industry.profile.contact_fields if industry is not None else []
