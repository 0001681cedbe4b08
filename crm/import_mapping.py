"""Which column of an import file is which contact field: the guess, its checks, and reading rows by it.

A mapping is ``{column name: field}``, the field being a key of
``import_fields`` or "" to leave the column out: the contact's own fields, a
full name to split, tags, or the industry profile's extra fields as
``custom_fields.<key>``.
"""

import re
from dataclasses import dataclass
from functools import cache
from typing import Any

import pycountry
from django.core.exceptions import ValidationError

from accounts.models import Organization
from crm.models import ContactImport

CUSTOM_PREFIX = "custom_fields."

# What a column can be imported as. Several columns may go to a repeatable one
# (a second email column adds a second address); the others take one column.
FIELD_LABELS = {
    "first_name": "First name",
    "last_name": "Last name",
    "name": "Full name (split into first and last)",
    "company": "Company",
    "email": "Email",
    "phone": "Phone",
    "address_line1": "Address line 1",
    "address_line2": "Address line 2",
    "city": "City",
    "region": "State or region",
    "postal_code": "Postal code",
    "country": "Country",
    "tags": "Tags (comma-separated)",
}
REPEATABLE_FIELDS = {"email", "phone", "tags"}

# Column names as spreadsheets and other tools write them, squeezed to [a-z0-9].
_HEADER_ALIASES = {
    "first_name": ("firstname", "first", "givenname", "forename", "fname"),
    "last_name": ("lastname", "last", "surname", "familyname", "lname"),
    "name": ("name", "fullname", "contactname", "customername", "clientname", "displayname", "contact"),
    "company": ("company", "companyname", "business", "businessname", "organization", "organisation", "employer"),
    "email": ("email", "emailaddress", "mail", "emails", "workemail", "homeemail", "personalemail", "otheremail"),
    "phone": (
        "phone",
        "phonenumber",
        "phones",
        "mobile",
        "mobilephone",
        "mobilenumber",
        "cell",
        "cellphone",
        "cellnumber",
        "telephone",
        "tel",
        "homephone",
        "workphone",
        "businessphone",
        "otherphone",
    ),
    "address_line1": ("address", "address1", "addressline1", "street", "streetaddress", "street1"),
    "address_line2": ("address2", "addressline2", "street2", "apt", "apartment", "suite", "unit"),
    "city": ("city", "town", "locality", "suburb"),
    "region": ("state", "region", "province", "county", "stateprovince"),
    "postal_code": ("zip", "zipcode", "postcode", "postalcode", "zippostalcode"),
    "country": ("country", "countrycode", "countryregion"),
    "tags": ("tags", "tag", "labels", "groups"),
}
_FIELD_OF_ALIAS = {alias: target for target, aliases in _HEADER_ALIASES.items() for alias in aliases}


# -- The mapping -------------------------------------------------------------------------------------------------


def custom_definitions(organization: Organization) -> list[dict]:
    """The industry profile's extra contact fields, [] for a business without an industry."""
    industry = getattr(organization, "industry", None)
    return industry.profile.contact_fields if industry is not None else []


def import_fields(*, organization: Organization) -> dict[str, str]:
    """Every field a column can be imported into, with its label: the contact's, then the industry's own."""
    custom = {f"{CUSTOM_PREFIX}{d['key']}": d["label"] for d in custom_definitions(organization)}
    return {**FIELD_LABELS, **custom}


def _squeezed(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", text.lower())


def _guess(header: str, custom: dict[str, str]) -> str:
    squeezed = _squeezed(header)
    without_digits = re.sub(r"\d", "", squeezed)
    # "E-mail 1 - Value", as Google Contacts writes it, is an email.
    for candidate in (squeezed, without_digits, without_digits.removesuffix("value")):
        if candidate in _FIELD_OF_ALIAS:
            return _FIELD_OF_ALIAS[candidate]
        if candidate in custom:
            return custom[candidate]
    return ""


def mapping_guess(*, headers: list[str], organization: Organization) -> dict[str, str]:
    """Which field each column probably is; a field that takes one column goes to the first that fits."""
    custom = {}
    for definition in custom_definitions(organization):
        target = f"{CUSTOM_PREFIX}{definition['key']}"
        custom[_squeezed(definition["key"])] = custom[_squeezed(definition["label"])] = target
    mapping, taken = {}, set()
    for header in headers:
        target = _guess(header, custom)
        if target in taken and target not in REPEATABLE_FIELDS:
            target = ""
        taken.add(target)
        mapping[header] = target
    return mapping


def mapping_clean(*, contact_import: ContactImport, mapping: Any, require_a_field: bool = False) -> dict[str, str]:
    """A mapping from this file's columns to real fields, each single field from one column at most."""
    if not isinstance(mapping, dict):
        raise ValidationError({"mapping": ["The mapping is an object of column names to field names."]})
    fields = import_fields(organization=contact_import.organization)
    problems = [
        f"“{header}” is not a column of this file." for header in mapping if header not in contact_import.headers
    ]
    problems += [
        f"“{target}” is not a field a column can go to (column “{header}”)."
        for header, target in mapping.items()
        if not isinstance(target, str) or (target and target not in fields)
    ]
    if problems:
        raise ValidationError({"mapping": problems})
    columns_of: dict[str, list[str]] = {}
    for header in contact_import.headers:
        if target := mapping.get(header):
            columns_of.setdefault(target, []).append(header)
    problems = [
        f"Only one column can go to {target}: “{'”, “'.join(headers)}” all do."
        for target, headers in columns_of.items()
        if len(headers) > 1 and target not in REPEATABLE_FIELDS
    ]
    if require_a_field and not columns_of:
        problems.append("Map at least one column to a contact field.")
    if problems:
        raise ValidationError({"mapping": problems})
    return {header: mapping.get(header, "") for header in contact_import.headers}


@dataclass(frozen=True)
class ColumnPlan:
    """What to do with each column, worked out once per run rather than once per row."""

    columns: list[tuple[int, str]]
    columns_of_error: dict[str, str]
    custom_column_by_label: dict[str, str]

    @classmethod
    def of(cls, contact_import: ContactImport) -> "ColumnPlan":
        # In the file's column order (jsonb does not keep the mapping's): the first email column is the primary.
        mapped = [
            (index, header, target)
            for index, header in enumerate(contact_import.headers)
            if (target := contact_import.mapping.get(header))
        ]
        headers_of: dict[str, list[str]] = {}
        for _, header, target in mapped:
            # contact_clean names its errors after its own keys: emails, phones, custom_fields.
            key = {"email": "emails", "phone": "phones"}.get(target, target)
            key = "custom_fields" if key.startswith(CUSTOM_PREFIX) else key
            for error_key in ("first_name", "last_name") if key == "name" else (key,):
                headers_of.setdefault(error_key, []).append(header)
        labels = {f"{CUSTOM_PREFIX}{d['key']}": d["label"] for d in custom_definitions(contact_import.organization)}
        return cls(
            columns=[(index, target) for index, _, target in mapped],
            columns_of_error={key: ", ".join(headers) for key, headers in headers_of.items()},
            custom_column_by_label={labels[target]: header for _, header, target in mapped if target in labels},
        )

    def column_of(self, error_key: str, message: str) -> str:
        """The column(s) a contact_clean error is about, for the error report; "" for the whole row."""
        if error_key == "custom_fields":
            for label, header in self.custom_column_by_label.items():
                if message.startswith(f"{label}:"):
                    return header
        return self.columns_of_error.get(error_key, "")

    def row_data(self, cells: list[str]) -> tuple[dict[str, Any], list[str]]:
        """The contact_clean input of one row: only filled cells, so an update never blanks a field."""
        data: dict[str, Any] = {}
        tags: list[str] = []
        full_name = ""
        for index, target in self.columns:
            value = cells[index].strip() if index < len(cells) else ""
            if not value:
                continue
            if target == "email":
                # One cell may hold several addresses; an address never contains a comma or a semicolon.
                data.setdefault("emails", []).extend(part for part in re.split(r"[;,]", value) if part.strip())
            elif target == "phone":
                data.setdefault("phones", []).append(value)
            elif target == "tags":
                tags.extend(name for part in re.split(r"[;,]", value) if (name := part.strip()))
            elif target == "name":
                full_name = value
            elif target == "country":
                data["country"] = _country_code(value)
            elif target.startswith(CUSTOM_PREFIX):
                data.setdefault("custom_fields", {})[target.removeprefix(CUSTOM_PREFIX)] = value
            else:
                data[target] = value
        if full_name and not (data.get("first_name") or data.get("last_name")):
            first, _, last = full_name.rpartition(" ")
            data.update({"first_name": first, "last_name": last} if first else {"first_name": last})
        return data, tags


@cache
def _country_codes() -> dict[str, str]:
    codes = {"usa": "US", "uk": "GB", "england": "GB", "scotland": "GB", "wales": "GB"}
    for country in pycountry.countries:
        for name in (
            country.name,
            country.alpha_3,
            getattr(country, "official_name", ""),
            getattr(country, "common_name", ""),
        ):
            if name:
                codes.setdefault(name.lower(), country.alpha_2)
    return codes


def _country_code(value: str) -> str:
    """Spreadsheets say "United States" where contacts keep "US"; anything unknown is left for validation."""
    return value if len(value) <= 2 else _country_codes().get(value.lower(), value)
