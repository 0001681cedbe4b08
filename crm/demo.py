"""The demo business's clients: a few hundred believable contacts for ``seed_demo``.

Registered with accounts.demo from CrmConfig.ready(). Faker and the random
choices are seeded, so every fresh demo holds the same people. A business that
already has contacts gets none, so running seed_demo again adds nothing.

Everything stays fictional: phone numbers are in the 555-0100..0199 range kept
for fiction, and email addresses are at the reserved example.* domains, so the
demo can never text or email a real person.
"""

import random
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone
from faker import Faker

from accounts.models import Organization, OrganizationIndustry, User
from accounts.services import activity_record
from crm.models import Contact, ContactNote, ContactSource, ContactTag
from crm.services import contact_build, tag_get_or_create

DEMO_CONTACTS = 300
SEED = 4242
AREA_CODES = ("312", "773", "872", "630", "708", "847")
# Typed every way people type them; the services store them all in E.164.
PHONE_FORMATS = (
    "({area}) 555-{line}",
    "{area}.555.{line}",
    "{area}-555-{line}",
    "+1 {area} 555 {line}",
    "{area}555{line}",
)
EMAIL_DOMAINS = ("example.com", "example.net", "example.org")
PLACES = (
    ("Chicago", "60607"),
    ("Chicago", "60614"),
    ("Chicago", "60622"),
    ("Chicago", "60640"),
    ("Evanston", "60201"),
    ("Oak Park", "60302"),
    ("Skokie", "60076"),
)
SOURCES = (
    (ContactSource.MANUAL, 50),
    (ContactSource.IMPORT, 25),
    (ContactSource.BOOKING_PAGE, 15),
    (ContactSource.INBOX, 10),
)
NOTES = (
    "Prefers morning appointments.",
    "Dog in the back yard: call before going round.",
    "Asked for a quote on replacing the water heater.",
    "Paid on the spot, very happy with the work.",
    "Tenant lets us in; the landlord pays the invoices.",
    "Slow drain in the upstairs bathroom, follow up in spring.",
    "Park in the alley, the street is permit only.",
    "Referred by a neighbour.",
    "Wants an annual check of the sump pump before the rains.",
)
SHUTOFF_PLACES = ("Basement, next to the water heater", "Crawl space under the kitchen", "Utility closet by the garage")
CONSENT_HOW = ("Ticked the box on the booking page", "Agreed on the phone", "Signed the form on site")
DAYS_OF_HISTORY = 400


@dataclass
class _Person:
    """One demo client: what the services clean, plus what they do not take (history and tags)."""

    data: dict[str, Any]
    source: str
    created_at: datetime
    tags: list[str] = field(default_factory=list)
    notes: list[tuple[str, datetime]] = field(default_factory=list)


@transaction.atomic
def demo_contacts_seed(organization: Organization, owner: User) -> None:
    if Contact.objects.filter(organization=organization).exists():
        return
    fake, rng = Faker("en_US"), random.Random(SEED)
    fake.seed_instance(SEED)
    keys = _custom_field_keys(organization)
    now = timezone.now()
    people = [_person(fake, rng, keys, now) for _ in range(DEMO_CONTACTS)]
    built = [contact_build(organization=organization, data=p.data, source=p.source) for p in people]
    contacts = Contact.objects.bulk_create(built)
    _backdate(contacts, people)
    _tag(organization, contacts, people)
    _write_notes(organization, owner, contacts, people)
    activity_record(organization=organization, actor=owner, verb="contact.imported", summary="Demo contacts")


def _custom_field_keys(organization: Organization) -> set[str]:
    industry = OrganizationIndustry.objects.filter(organization=organization).select_related("profile").first()
    return {definition["key"] for definition in industry.profile.contact_fields} if industry else set()


def _person(fake: Faker, rng: random.Random, keys: set[str], now: datetime) -> _Person:
    first, last = fake.first_name(), fake.last_name()
    company = fake.company() if rng.random() < 0.25 else ""
    city, postal_code = rng.choice(PLACES)
    data: dict[str, Any] = {
        "first_name": first,
        "last_name": last,
        "company": company,
        "emails": _emails(rng, first, last, company),
        "phones": _phones(rng),
        "address_line1": fake.street_address() if rng.random() < 0.8 else "",
        "city": city,
        "region": "IL",
        "postal_code": postal_code,
        "custom_fields": _custom_fields(rng, keys, commercial=bool(company)),
        "consent": _consent(rng),
    }
    if not (data["emails"] or data["phones"]):
        data["phones"] = _phones(rng, at_least_one=True)
    created_at = now - timedelta(days=rng.uniform(0, DAYS_OF_HISTORY))
    person = _Person(data, _source(rng), created_at, tags=_tags(rng, company))
    person.notes = _notes(rng, created_at, now)
    return person


def _emails(rng: random.Random, first: str, last: str, company: str) -> list[str]:
    if rng.random() < 0.15:
        return []
    local = re.sub(r"[^a-z.]", "", f"{first}.{last}".lower())
    emails = [f"{local}{rng.choice(['', rng.randrange(10, 99)])}@{rng.choice(EMAIL_DOMAINS)}"]
    if company:
        emails.append(f"office@{re.sub(r'[^a-z]', '', company.lower())[:20]}.example.com")
    return emails


def _phones(rng: random.Random, *, at_least_one: bool = False) -> list[str]:
    count = rng.choices((0, 1, 2), weights=(10, 75, 15))[0]
    return [_phone(rng) for _ in range(max(count, int(at_least_one)))]


def _phone(rng: random.Random) -> str:
    area, line = rng.choice(AREA_CODES), f"01{rng.randrange(100):02d}"
    return rng.choice(PHONE_FORMATS).format(area=area, line=line)


def _custom_fields(rng: random.Random, keys: set[str], *, commercial: bool) -> dict[str, str]:
    values = {
        "property_type": "Commercial" if commercial else rng.choice(("House", "House", "Apartment")),
        "gate_code": f"#{rng.randrange(1000, 9999)}" if rng.random() < 0.2 else "",
        "water_shutoff_location": rng.choice(SHUTOFF_PLACES) if rng.random() < 0.3 else "",
    }
    return {key: value for key, value in values.items() if key in keys and value}


def _consent(rng: random.Random) -> dict[str, dict]:
    consent = {}
    if rng.random() < 0.5:
        consent["sms"] = {"granted": True, "how": rng.choice(CONSENT_HOW)}
    if rng.random() < 0.3:
        consent["email"] = {"granted": True, "how": rng.choice(CONSENT_HOW)}
    return consent


def _source(rng: random.Random) -> str:
    sources, weights = zip(*SOURCES, strict=True)
    return rng.choices(sources, weights=weights)[0]


def _tags(rng: random.Random, company: str) -> list[str]:
    tags = ["Commercial"] if company else []
    if rng.random() < 0.2:
        tags.append("Repeat")
    if rng.random() < 0.08:
        tags.append("VIP")
    return tags


def _notes(rng: random.Random, created_at: datetime, now: datetime) -> list[tuple[str, datetime]]:
    count = rng.choices((0, 1, 2, 3), weights=(60, 25, 10, 5))[0]
    span = (now - created_at).total_seconds()
    notes = [(rng.choice(NOTES), created_at + timedelta(seconds=rng.uniform(0, span))) for _ in range(count)]
    return sorted(notes, key=lambda note: note[1])


def _backdate(contacts: list[Contact], people: list[_Person]) -> None:
    """Spread the contacts over the past year, as if the business had been adding them all along."""
    for contact, person in zip(contacts, people, strict=True):
        contact.created_at = person.created_at
        contact.last_activity_at = max([person.created_at, *(at for _, at in person.notes)])
        for given in contact.consent.values():
            given["at"] = person.created_at.isoformat()
    Contact.objects.bulk_update(contacts, ["created_at", "last_activity_at", "consent"])


def _tag(organization: Organization, contacts: list[Contact], people: list[_Person]) -> None:
    tags = {name: tag_get_or_create(organization=organization, name=name) for name in ("VIP", "Commercial", "Repeat")}
    links = [
        ContactTag(organization=organization, contact=contact, tag=tags[name])
        for contact, person in zip(contacts, people, strict=True)
        for name in person.tags
    ]
    ContactTag.objects.bulk_create(links)


def _write_notes(organization: Organization, owner: User, contacts: list[Contact], people: list[_Person]) -> None:
    notes = [
        ContactNote(organization=organization, contact=contact, author=owner, body=body)
        for contact, person in zip(contacts, people, strict=True)
        for body, _ in person.notes
    ]
    ContactNote.objects.bulk_create(notes)
    # created_at is stamped on insert; the history is written afterwards.
    moments = iter(at for person in people for _, at in person.notes)
    for note in notes:
        note.created_at = next(moments)
    ContactNote.objects.bulk_update(notes, ["created_at"])
