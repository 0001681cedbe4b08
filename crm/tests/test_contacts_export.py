"""``GET /contacts/export/``: the list's contacts as a CSV file, streamed, safe to open in a spreadsheet."""

import csv
import io
from datetime import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import IndustryProfile
from accounts.tests.factories import OrganizationIndustryFactory
from crm.export import neutralise
from crm.models import Contact
from crm.services import contact_create
from crm.tests.factories import ContactFactory, ContactTagFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/contacts/export/"
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


def _text(response) -> str:
    assert response.status_code == 200, response.content
    assert response.streaming
    return b"".join(response.streaming_content).decode("utf-8")


def _rows(response) -> list[list[str]]:
    text = _text(response)
    assert text.startswith("\ufeff")  # so that Excel reads UTF-8
    return list(csv.reader(io.StringIO(text[1:])))


def _add(org, **data) -> Contact:
    return contact_create(organization=org, actor=None, data=data)


def test_every_column_of_a_contact(owner_client, org):
    OrganizationIndustryFactory(organization=org, profile=IndustryProfile.objects.get(key="plumber"))
    contact = _add(
        org,
        first_name="José",
        last_name="Núñez",
        company="Núñez, Pipes & Co",
        emails=["jose@example.com", "office@nunez.example"],
        phones=["(312) 555-0147", "312.555.0148", "773 555 0100"],
        address_line1="12 Main St",
        address_line2="Apt 3",
        city="Chicago",
        region="IL",
        postal_code="60607",
        country="US",
        custom_fields={"property_type": "House", "gate_code": "4521"},
    )
    for name in ("VIP", "Commercial"):
        ContactTagFactory(organization=org, contact=contact, tag__name=name)
    Contact.objects.filter(pk=contact.pk).update(
        created_at=datetime.fromisoformat("2025-01-15T15:30:00+00:00"),
        last_activity_at=datetime.fromisoformat("2025-07-04T16:00:00+00:00"),
    )

    rows = _rows(owner_client.get(URL))

    assert rows == [
        [*HEADER, "property_type", "gate_code", "water_shutoff_location"],
        [
            str(contact.pk),
            "José",
            "Núñez",
            "Núñez, Pipes & Co",
            "jose@example.com",
            "+13125550147",
            "office@nunez.example",
            "+13125550148, +17735550100",
            "12 Main St",
            "Apt 3",
            "Chicago",
            "IL",
            "60607",
            "US",
            "manual",
            "Commercial, VIP",
            "2025-01-15T10:30:00-05:00",  # in the business's time zone (New York)
            "2025-07-04T12:00:00-04:00",
            "House",
            "4521",
            "",
        ],
    ]


def test_a_download_with_its_file_name(owner_client, org):
    response = owner_client.get(URL)

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    day = timezone.localdate(timezone=org.timezone).isoformat()
    assert response["Content-Disposition"] == f'attachment; filename="contacts-alpha-plumbing-{day}.csv"'
    assert _rows(response) == [HEADER]


def test_a_client_asking_for_csv_gets_it(owner_client, org):
    ContactFactory(organization=org)

    response = owner_client.get(URL, HTTP_ACCEPT="text/csv")

    assert len(_rows(response)) == 2


def test_the_same_filters_search_and_order_as_the_list(owner_client, org):
    for first, last in (("John", "Smith"), ("Jane", "Smith"), ("Maria", "Garcia")):
        _add(org, first_name=first, last_name=last, phone="312 555 0199" if first == "Jane" else "")
    ContactTagFactory(organization=org, contact=Contact.objects.get(first_name="John"), tag__name="VIP")

    def first_names(**params) -> list[str]:
        return [row[1] for row in _rows(owner_client.get(URL, params))[1:]]

    assert first_names() == ["Maria", "Jane", "John"]
    assert first_names(ordering="first_name") == ["Jane", "John", "Maria"]
    assert first_names(tag="VIP") == ["John"]
    assert first_names(has_phone="true") == ["Jane"]
    assert sorted(first_names(search="Smiht")) == ["Jane", "John"]
    assert first_names(search="Smiht", has_phone="false") == ["John"]


def test_a_bad_filter_is_a_json_400(owner_client):
    response = owner_client.get(URL, {"created_after": "soon"})

    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == ["created_after"]


def test_never_another_organizations_contacts_nor_deleted_ones(owner_client, org, other_org):
    ours = ContactFactory(organization=org)
    ContactFactory(organization=org, deleted_at=timezone.now())
    theirs = ContactFactory(organization=other_org, first_name="Theirs", email="theirs@bravo.example")
    ContactTagFactory(organization=other_org, contact=theirs, tag__name="Secret")

    for params in ({}, {"search": "Theirs"}, {"search": "theirs@bravo.example"}, {"tag": "Secret"}):
        ids = [row[0] for row in _rows(owner_client.get(URL, params))[1:]]
        assert ids == ([str(ours.pk)] if not params else []), params


def test_a_member_of_another_business_exports_only_their_own(outsider_client, org, other_org):
    ContactFactory(organization=org)
    theirs = ContactFactory(organization=other_org)

    assert [row[0] for row in _rows(outsider_client.get(URL))[1:]] == [str(theirs.pk)]


@pytest.mark.parametrize(
    ("cell", "written"),
    [
        ("=cmd|'/C calc'!A0", "'=cmd|'/C calc'!A0"),
        ('=HYPERLINK("http://evil.example","Click")', '\'=HYPERLINK("http://evil.example","Click")'),
        ("+1+cmd|' /C calc'!A0", "'+1+cmd|' /C calc'!A0"),
        ("-2+3+cmd|' /C calc'!A0", "'-2+3+cmd|' /C calc'!A0"),
        ("@SUM(1+1)*cmd|' /C calc'!A0", "'@SUM(1+1)*cmd|' /C calc'!A0"),
        ("\t=1+1", "'\t=1+1"),
        ("\r=1+1", "'\r=1+1"),
        ("+1 312 555 0147", "'+1 312 555 0147"),  # not E.164 as written: it could hide more
        ("+13125550147", "+13125550147"),  # E.164: only a sign and digits, nothing to run
        ("+13125550148, +17735550100", "+13125550148, +17735550100"),
        ("+13125550148, +1 (773) cmd", "'+13125550148, +1 (773) cmd"),
        ("-12.5", "-12.5"),
        ("Smith & Sons", "Smith & Sons"),
        ("a=b", "a=b"),
        ("", ""),
    ],
)
def test_cells_a_spreadsheet_would_run_are_neutralised(cell, written):
    assert neutralise(cell) == written


def test_formulas_typed_into_a_contact_are_exported_as_text(owner_client, org):
    OrganizationIndustryFactory(organization=org, profile=IndustryProfile.objects.get(key="plumber"))
    _add(
        org,
        first_name="=cmd|'/C calc'!A0",
        last_name="@SUM(A1:A9)",
        company="-1+cmd|' /C calc'!A0",
        city="+1+1",
        phone="+1 312 555 0147",
        custom_fields={"gate_code": '=HYPERLINK("http://evil.example")'},
    )

    header, row = _rows(owner_client.get(URL))
    cells = dict(zip(header, row, strict=True))

    assert (cells["first_name"], cells["last_name"], cells["company"], cells["city"]) == (
        "'=cmd|'/C calc'!A0",
        "'@SUM(A1:A9)",
        "'-1+cmd|' /C calc'!A0",
        "'+1+1",
    )
    assert cells["gate_code"] == '\'=HYPERLINK("http://evil.example")'
    assert cells["phone"] == "+13125550147"


def test_rows_come_from_a_server_side_cursor_in_a_constant_number_of_queries(owner_client, org):
    def queries(count: int) -> list[str]:
        for _ in range(count):
            ContactTagFactory(organization=org)
        with CaptureQueriesContext(connection) as captured:
            _text(owner_client.get(URL))
        return [query["sql"] for query in captured.captured_queries]

    few, many = queries(1), queries(20)

    assert len(few) == len(many)
    assert sum(sql.startswith("DECLARE") and 'FROM "crm_contact"' in sql for sql in many) == 1


def test_the_export_reads_under_the_organizations_own_row_level_security(owner_client, org):
    """The body is written after the view returns: it must not run with whatever scope is left."""
    from accounts.tenancy import current_rls_settings, no_scope

    ContactFactory(organization=org)
    response = owner_client.get(URL)
    with no_scope():
        rows = _rows(response)
        assert current_rls_settings() == ("", "off")

    assert len(rows) == 2


@pytest.fixture
def admin_client(client, django_user_model):
    staff = django_user_model.objects.create_superuser("ops@bizbox.example", "a-long-staff-password")
    client.force_login(staff)
    return client


def _admin_export(client, contacts: list[Contact]):
    return client.post(
        reverse("admin:crm_contact_changelist"),
        {"action": "export_csv", "_selected_action": [contact.pk for contact in contacts]},
    )


def test_staff_export_selected_contacts_from_the_admin(admin_client, org):
    chosen = [ContactFactory(organization=org) for _ in range(2)]
    ContactFactory(organization=org)

    rows = _rows(_admin_export(admin_client, chosen))

    assert rows[0] == HEADER
    assert sorted(row[0] for row in rows[1:]) == sorted(str(contact.pk) for contact in chosen)


def test_the_admin_exports_one_business_at_a_time(admin_client, org, other_org):
    response = _admin_export(admin_client, [ContactFactory(organization=org), ContactFactory(organization=other_org)])

    assert response.status_code == 302
    messages = [str(message) for message in response.wsgi_request._messages]
    assert messages == ["Select the contacts of one business to export them."]
