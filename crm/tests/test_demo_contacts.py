"""``seed_demo`` plants a few hundred believable contacts in the demo business, once."""

import io
import re

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

from accounts.models import Organization
from accounts.tests.factories import OrganizationFactory, UserFactory
from crm.demo import DEMO_CONTACTS, demo_contacts_seed
from crm.models import Contact, ContactNote, Tag

pytestmark = pytest.mark.django_db

E164 = re.compile(r"\+1\d{10}")


def _seed() -> str:
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


@pytest.fixture
def demo(settings) -> tuple[Organization, str]:
    settings.DEBUG = True
    output = _seed()
    return Organization.objects.get(slug="brightside-plumbing"), output.strip().splitlines()[-1].split()[-1]


def test_the_demo_business_has_a_few_hundred_contacts_once(demo):
    organization, _ = demo
    first = list(Contact.objects.filter(organization=organization).order_by("pk").values_list("pk", flat=True))

    _seed()

    again = list(Contact.objects.filter(organization=organization).order_by("pk").values_list("pk", flat=True))
    assert len(first) == DEMO_CONTACTS
    assert again == first
    assert Tag.objects.filter(organization=organization).count() == 3


def test_the_contacts_look_like_a_plumbers_clients(demo):
    organization, _ = demo
    contacts = list(Contact.objects.filter(organization=organization))

    assert len({(c.first_name, c.last_name) for c in contacts}) > DEMO_CONTACTS * 0.9
    assert all(c.first_name and c.last_name and (c.email or c.phone) for c in contacts)
    assert all(E164.fullmatch(entry["value"]) for c in contacts for entry in c.phones)
    assert all(entry["value"].split("@")[1].startswith("example.") or ".example." in entry["value"]
               for c in contacts for entry in c.emails)  # fmt: skip
    assert 0.15 < sum(bool(c.company) for c in contacts) / len(contacts) < 0.4
    assert {c.custom_fields.get("property_type") for c in contacts} == {"House", "Apartment", "Commercial"}
    assert sum("sms" in c.consent for c in contacts) > 50
    assert len({c.source for c in contacts}) == 4
    assert all(c.search_text and c.last_activity_at >= c.created_at for c in contacts)


def test_tags_notes_and_history(demo):
    organization, _ = demo

    counts = {tag.name: tag.contacts.count() for tag in Tag.objects.filter(organization=organization)}
    notes = ContactNote.objects.filter(organization=organization)
    oldest = Contact.objects.filter(organization=organization).order_by("created_at").first()

    assert set(counts) == {"VIP", "Commercial", "Repeat"} and min(counts.values()) > 5
    assert notes.count() > 50
    assert all(note.author.email == "owner@brightside.example" for note in notes.select_related("author"))
    assert (
        Contact.objects.filter(organization=organization).latest("created_at").created_at - oldest.created_at
    ).days > 300


def test_the_owner_finds_them_through_the_api(demo):
    _, token = demo
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    someone = Contact.objects.exclude(phone="").order_by("pk").first()

    page = client.get("/api/v1/contacts/", {"page_size": 200}).json()
    found = client.get("/api/v1/contacts/", {"search": someone.last_name}).json()["results"]
    by_phone = client.get("/api/v1/contacts/", {"search": someone.phone[-7:]}).json()["results"]

    assert len(page["results"]) == 200 and page["next"]
    assert someone.pk in [row["id"] for row in found]
    assert someone.pk in [row["id"] for row in by_phone]


def test_the_same_people_every_time():
    owner = UserFactory()
    names = []
    for organization in (OrganizationFactory(), OrganizationFactory()):
        demo_contacts_seed(organization, owner)
        names.append(
            list(
                Contact.objects.filter(organization=organization)
                .order_by("pk")
                .values_list("first_name", "last_name", "phone")
            )
        )

    assert names[0] == names[1]
