"""Contacts as a CSV file, streamed while it is written, for the API and the admin.

Memory stays flat whatever the number of contacts: rows come from a
server-side cursor as plain tuples a chunk at a time, the tag names of a chunk
are fetched in one query, and each chunk's lines go out before the next chunk
is read. Every cell a spreadsheet could run as a formula is neutralised
(CSV injection).
"""

import csv
import re
from collections import defaultdict
from collections.abc import Iterable, Iterator
from datetime import datetime, tzinfo
from itertools import islice
from typing import Any, NamedTuple

from django.db.models import QuerySet
from django.http import StreamingHttpResponse
from django.utils import timezone

from accounts.models import Organization, OrganizationIndustry
from accounts.tenancy import organization_scope
from crm.models import Contact, ContactTag
from crm.selectors import CONTACT_VALUE_FIELDS

CHUNK_SIZE = 2000
# Excel reads a CSV file as UTF-8 only when it starts with a byte order mark; other readers skip it.
BYTE_ORDER_MARK = "\ufeff"
# The export leaves out consent and the bookkeeping dates; custom fields become their own columns.
FIELDS = tuple(field for field in CONTACT_VALUE_FIELDS if field not in ("consent", "updated_at", "deleted_at"))
HEADER = [
    "id",
    "first_name",
    "last_name",
    "company",
    "email",
    "phone",
    "other_emails",
    "other_phones",
    "address_line1",
    "address_line2",
    "city",
    "region",
    "postal_code",
    "country",
    "source",
    "tags",
    "created_at",
    "last_activity_at",
]
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# Plain numbers, one or a comma-separated list (E.164 phones such as +13125550147,
# a negative number), cannot carry a function call, a reference or a DDE payload:
# those all need letters or symbols such as | ! ( :, and a spreadsheet at worst
# reads the cell as a number. Quoting them would instead change the value for
# everyone who reads the file as data, the importer included, so they are left
# alone; every other cell starting like a formula is quoted.
PLAIN_NUMBERS = re.compile(r"[+-]?\d+(?:\.\d+)?(?:, [+-]?\d+(?:\.\d+)?)*")


class ExportLayout(NamedTuple):
    """What varies between businesses: their extra fields and the time zone dates are shown in."""

    custom_keys: list[str]
    timezone: tzinfo


def neutralise(cell: str) -> str:
    """Start a would-be formula with a quote so that spreadsheets show it as text."""
    if cell.startswith(FORMULA_STARTS) and not PLAIN_NUMBERS.fullmatch(cell):
        return "'" + cell
    return cell


def export_layout(organization: Organization) -> ExportLayout:
    industry = OrganizationIndustry.objects.filter(organization=organization).select_related("profile").first()
    definitions = industry.profile.contact_fields if industry is not None else []
    return ExportLayout([definition["key"] for definition in definitions], organization.timezone)


def contacts_csv_response(contacts: QuerySet[Contact], *, organization: Organization) -> StreamingHttpResponse:
    """The whole of ``contacts`` (already limited to ``organization``) as a CSV download."""
    layout = export_layout(organization)
    response = StreamingHttpResponse(
        _scoped(contacts_csv(contacts, organization=organization, layout=layout), organization),
        content_type="text/csv; charset=utf-8",
    )
    day = timezone.localdate(timezone=layout.timezone).isoformat()
    response["Content-Disposition"] = f'attachment; filename="contacts-{organization.slug}-{day}.csv"'
    return response


def _scoped(chunks: Iterator[str], organization: Organization) -> Iterator[str]:
    # The body is written after the view has returned and left its tenant scope,
    # so the rows are read under the organization's own row-level security scope.
    with organization_scope(organization.pk):
        yield from chunks


def contacts_csv(contacts: QuerySet[Contact], *, organization: Organization, layout: ExportLayout) -> Iterator[str]:
    """The CSV text, one piece per chunk of contacts, header first."""
    writer = csv.writer(_Echo())
    yield BYTE_ORDER_MARK + writer.writerow(_cells([*HEADER, *layout.custom_keys]))
    mine = contacts.filter(organization=organization).prefetch_related(None)
    rows = mine.values_list(*FIELDS, named=True).iterator(chunk_size=CHUNK_SIZE)
    for chunk in _chunks(rows, CHUNK_SIZE):
        tags = _tag_names(organization, [row.id for row in chunk])
        yield "".join(writer.writerow(_cells(_line(row, tags.get(row.id, []), layout))) for row in chunk)


class _Echo:
    """A file whose ``write`` returns what it is given, so ``csv.writer.writerow`` returns the line."""

    def write(self, line: str) -> str:
        return line


def _chunks(rows: Iterator[Any], size: int) -> Iterator[list[Any]]:
    while chunk := list(islice(rows, size)):
        yield chunk


def _tag_names(organization: Organization, contact_ids: list[int]) -> dict[int, list[str]]:
    names: dict[int, list[str]] = defaultdict(list)
    links = ContactTag.objects.filter(organization=organization, contact_id__in=contact_ids).order_by("tag__name")
    for contact_id, name in links.values_list("contact_id", "tag__name"):
        names[contact_id].append(name)
    return names


def _line(row: Any, tags: list[str], layout: ExportLayout) -> list[Any]:
    return [
        row.id,
        row.first_name,
        row.last_name,
        row.company,
        row.email,
        row.phone,
        _others(row.emails, primary=row.email),
        _others(row.phones, primary=row.phone),
        row.address_line1,
        row.address_line2,
        row.city,
        row.region,
        row.postal_code,
        row.country,
        row.source,
        ", ".join(tags),
        _when(row.created_at, layout.timezone),
        _when(row.last_activity_at, layout.timezone),
        *(_custom(row.custom_fields.get(key)) for key in layout.custom_keys),
    ]


def _others(entries: list[dict[str, str]], *, primary: str) -> str:
    return ", ".join(entry["value"] for entry in entries if entry["value"] != primary)


def _when(moment: datetime | None, zone: tzinfo) -> str:
    return moment.astimezone(zone).isoformat(timespec="seconds") if moment is not None else ""


def _custom(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    return "" if value is None else str(value)


def _cells(values: Iterable[Any]) -> list[str]:
    return [neutralise(str(value)) for value in values]
