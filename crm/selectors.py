"""Reads of contacts: the live list, search, likely duplicates and the timeline."""

import heapq
import re
from datetime import datetime

from django.contrib.postgres.search import TrigramWordSimilarity
from django.db import connection
from django.db.models import Q, QuerySet

from accounts.models import Organization
from crm import hooks
from crm.models import Contact, ContactNote

SEARCH_LIMIT = 100


def contacts_live(*, organization: Organization) -> QuerySet[Contact]:
    return Contact.objects.filter(organization=organization, deleted_at__isnull=True)


def contacts_deleted(*, organization: Organization) -> QuerySet[Contact]:
    return Contact.objects.filter(organization=organization, deleted_at__isnull=False, merged_into__isnull=True)


def contacts_search(contacts: QuerySet[Contact], term: str) -> QuerySet[Contact]:
    """Contacts matching ``term`` best first: names, company and emails by words
    (a one-letter typo still matches), phones by any run of three or more digits.

    On PostgreSQL the trigram GIN indexes on ``search_text`` and ``phone_digits``
    answer it; SQLite falls back to substring matching.
    """
    words = " ".join(term.lower().split())[:100]
    digits = re.sub(r"\D", "", term)
    if not words:
        return contacts
    if connection.vendor != "postgresql":
        condition = Q(search_text__contains=words) | (
            Q(phone_digits__contains=digits) if len(digits) >= 3 else Q(pk__in=[])
        )
        return contacts.filter(condition).order_by("-id")
    condition = Q(search_text__trigram_word_similar=words) | Q(search_text__contains=words)
    if len(digits) >= 3:
        condition |= Q(phone_digits__contains=digits)
    return (
        contacts.filter(condition).annotate(rank=TrigramWordSimilarity(words, "search_text")).order_by("-rank", "-id")
    )


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
        condition |= Q(search_text__trigram_similar=name, last_name__iexact=contact.last_name)
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
