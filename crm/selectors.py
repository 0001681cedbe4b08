"""Reads of contacts: the live list, search, likely duplicates and the timeline."""

import heapq
import re
from datetime import datetime

from django.contrib.postgres.search import TrigramWordSimilarity
from django.db import connection
from django.db.models import Q, QuerySet

from accounts.models import Organization
from crm import hooks
from crm.models import Contact, ContactNote, ContactTag

SEARCH_LIMIT = 100
# Every stored field of a contact that the API and the export show; lists read them with .values().
CONTACT_VALUE_FIELDS = (
    "id",
    "first_name",
    "last_name",
    "company",
    "email",
    "phone",
    "emails",
    "phones",
    "address_line1",
    "address_line2",
    "city",
    "region",
    "postal_code",
    "country",
    "source",
    "consent",
    "custom_fields",
    "created_at",
    "updated_at",
    "last_activity_at",
    "deleted_at",
)


def contacts_live(*, organization: Organization) -> QuerySet[Contact]:
    return Contact.objects.filter(organization=organization, deleted_at__isnull=True)


def contacts_deleted(*, organization: Organization) -> QuerySet[Contact]:
    return Contact.objects.filter(organization=organization, deleted_at__isnull=False, merged_into__isnull=True)


def _term_condition(token: str) -> Q | None:
    digits = re.sub(r"\D", "", token)
    if len(digits) >= 3 and not re.search(r"[^\W\d_]", token):
        return Q(phone_digits__contains=digits)
    if len(token) < 2:
        return None
    if connection.vendor == "postgresql":
        # Word similarity: a token matches a word of the contact with a typo or two.
        return Q(search_text__trigram_word_similar=token)
    return Q(search_text__contains=token)


def contact_tag_names(*, organization: Organization, contact_ids: list[int]) -> dict[int, list[str]]:
    """Each contact's tag names, sorted, in one query."""
    names: dict[int, list[str]] = {}
    links = ContactTag.objects.filter(organization=organization, contact_id__in=contact_ids)
    for contact_id, name in links.values_list("contact_id", "tag__name").order_by("tag__name"):
        names.setdefault(contact_id, []).append(name)
    return names


def contacts_search(contacts: QuerySet[Contact], term: str) -> QuerySet[Contact]:
    """Contacts matching every word of ``term``, best first: names, company and
    emails by words (a one-letter typo still matches), phones by any run of
    three or more digits in any format.

    Each word is its own condition so PostgreSQL intersects the trigram GIN
    index's answers for every word before reading a row; SQLite falls back to
    substring matching.
    """
    term = term.replace("\x00", "")  # no database text holds a NUL; it can only be noise here
    tokens = term.lower().split()[:8]
    digits = re.sub(r"\D", "", term)
    if len(digits) >= 3 and not re.search(r"[^\W\d_]", term):
        tokens = [digits]  # a phone typed with spaces, dashes or a +1: one run of digits
    conditions = [condition for token in tokens if (condition := _term_condition(token[:60])) is not None]
    if not conditions:
        return contacts.none() if tokens else contacts
    matches = contacts.filter(*conditions)
    if connection.vendor != "postgresql":
        return matches.order_by("-id")
    return matches.annotate(rank=TrigramWordSimilarity(" ".join(tokens), "search_text")).order_by("-rank", "-id")


def contact_duplicates(*, contact: Contact, limit: int = 10) -> list[Contact]:
    """Other live contacts that are probably the same person: same email, same phone or a similar name."""
    others = contacts_live(organization=contact.organization).exclude(pk=contact.pk)
    condition = Q(pk__in=[])
    if contact.email:
        condition |= Q(email=contact.email)
    if contact.phone:
        condition |= Q(phone=contact.phone)
    name = f"{contact.first_name} {contact.last_name}".strip().lower()
    if name and connection.vendor == "postgresql":
        # Word similarity, so that the other's company and emails in search_text do not dilute a close
        # name; the first names must be alike too, or every Smith would be John Smith's duplicate.
        similar = Q(search_text__trigram_word_similar=name, last_name__iexact=contact.last_name)
        if contact.first_name:
            similar &= Q(first_name__trigram_word_similar=contact.first_name)
        condition |= similar
    elif name:
        condition |= Q(first_name__iexact=contact.first_name, last_name__iexact=contact.last_name)
    return list(others.filter(condition).order_by("-id")[:limit])


def _notes_source(contact: Contact, before: datetime | None, limit: int) -> list[hooks.TimelineItem]:
    notes = ContactNote.objects.filter(organization=contact.organization, contact=contact).select_related("author")
    if before is not None:
        notes = notes.filter(created_at__lt=before)
    return [
        hooks.TimelineItem(
            kind="note",
            id=note.pk,
            at=note.created_at,
            summary=note.body[:200],
            data={"body": note.body, "author": note.author.email if note.author else None},
        )
        for note in notes.order_by("-created_at", "-id")[:limit]
    ]


hooks.register_timeline_source(_notes_source)


def contact_timeline(*, contact: Contact, before: datetime | None, limit: int) -> list[hooks.TimelineItem]:
    """The newest ``limit`` events older than ``before`` from every source, newest first."""
    items = (item for source in hooks.timeline_sources for item in source(contact, before, limit))
    return heapq.nlargest(limit, items, key=lambda item: (item.at, item.kind, item.id))
