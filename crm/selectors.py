"""Reads of contacts: the live list, search, likely duplicates and the timeline."""

import heapq
import re
from datetime import datetime

from django.contrib.postgres.search import TrigramSimilarity, TrigramWordSimilarity
from django.db import connection
from django.db.models import Func, Q, QuerySet
from django.db.models.expressions import RawSQL
from django.db.models.functions import Greatest, Length

from accounts.models import Organization
from config.search import VectorMatches
from crm import hooks
from crm.models import Contact, ContactNote, ContactTag, SearchWord

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


def contacts_with_primary(*, organization: Organization, emails: list[str], phones: list[str]) -> QuerySet[Contact]:
    """The live contacts whose primary email is one of ``emails`` or primary phone one of ``phones``
    (the importer's duplicate check: a thousand of each at once).

    On PostgreSQL each value is looked up beside the organization's id, the two joined to the
    table, so the organization is a join key rather than a constant. As a constant, a business
    new to the statistics (one importing its first hundred thousand contacts) looks to the
    planner like a few rows, and it would read all of that business's contacts for every chunk.
    Row-level security applies to the lookup as to any query.
    """
    if connection.vendor != "postgresql":
        return contacts_live(organization=organization).filter(Q(email__in=emails) | Q(phone__in=phones))
    lookup = (
        "SELECT c.id FROM unnest(%s::bigint[], %s::text[]) AS v(organization_id, value) "
        "JOIN crm_contact c ON c.organization_id = v.organization_id AND c.{column} = v.value"
    )
    ids = RawSQL(  # noqa: S611 (the columns are named here; every value is a parameter)
        f"{lookup.format(column='email')} UNION ALL {lookup.format(column='phone')}",
        [[organization.pk] * len(emails), emails, [organization.pk] * len(phones), phones],
    )
    return Contact.objects.filter(id__in=ids, deleted_at__isnull=True)


def contacts_deleted(*, organization: Organization) -> QuerySet[Contact]:
    return Contact.objects.filter(organization=organization, deleted_at__isnull=False, merged_into__isnull=True)


def _term_condition(token: str, organization: Organization) -> Q | Func | None:
    digits = re.sub(r"\D", "", token)
    if len(digits) >= 3 and not re.search(r"[^\W\d_]", token):
        return Q(phone_digits__contains=digits)
    if len(token) < 2:
        return None
    if connection.vendor != "postgresql":
        return Q(search_text__contains=token)
    if WORD.fullmatch(token):
        # The word as typed (or the start of one), or a known word it looks like a typo of.
        return _words_in_contact([token, *_words_like(token, organization)])
    # Emails and other words with digits or punctuation: every part of it, the last one as typed
    # so far ("maria.garcia@lake" holds maria, garcia and a word starting with lake).
    return _parts_in_contact(PART_SEPARATORS.split(token))


WORD = re.compile(r"[^\W\d_]+")
PART_SEPARATORS = re.compile(r"[\W_]+")  # the stored vector holds emails split at their punctuation too
SIMILAR_WORDS = 5
TYPO_MIN_LENGTH = 3  # a typo in a shorter word could be meant as too many others


def _words_like(token: str, organization: Organization) -> list[str]:
    """The organization's name and company words that ``token`` may be a typo of, closest first;
    none when a word starts with it. Within one letter of its length (two from five letters on),
    so that "ann" does not stand for "anderson" nor "weber" for "webberley"."""
    if len(token) < TYPO_MIN_LENGTH:
        return []
    words = SearchWord.objects.filter(organization=organization)
    if words.filter(word__startswith=token).exists():
        return []  # a word as typed, or the start of one: taken as meant
    # Two measures, as each misses typos the other finds: similarity of the two words as wholes
    # ("eleis" for "ellis", at least 0.3), and how much of the typed word the known one holds
    # ("jonh" for "john", at least 0.4: the thresholds are the connection's, config/settings.py).
    alike = Q(word__trigram_similar=token) | Q(word__trigram_word_similar=token)
    slack = 1 if len(token) < 5 else 2
    return list(
        words.filter(alike)
        .alias(length=Length("word"))
        .filter(length__range=(len(token) - slack, len(token) + slack))
        .exclude(word=token)
        .annotate(similarity=Greatest(TrigramSimilarity("word", token), TrigramWordSimilarity(token, "word")))
        .order_by("-similarity", "word")
        .values_list("word", flat=True)[:SIMILAR_WORDS]
    )


def _in_vector(query: str) -> VectorMatches:
    """The contact's stored tsvector (migration 0007, GIN index ``contact_search_vector_idx``)
    matches ``query``, written in tsquery syntax from letters and digits only (what WORD and
    PART_SEPARATORS leave), so no typed text can carry tsquery syntax."""
    return VectorMatches("search_text", query, parser="to_tsquery")


def _words_in_contact(words: list[str]) -> VectorMatches:
    """The first word or a word starting with it, or one of the others."""
    return _in_vector(" | ".join([f"{words[0]}:*", *words[1:]]))


def _parts_in_contact(parts: list[str], *, last_started: bool = True) -> VectorMatches | None:
    """Every part (the last one, or a word starting with it); None when there is no part."""
    parts = [part for part in parts if part]
    if not parts:
        return None
    last = f"{parts[-1]}:*" if last_started else parts[-1]
    return _in_vector(" & ".join([*parts[:-1], last]))


def contacts_with_email(*, organization: Organization, email: str) -> QuerySet[Contact]:
    """Live contacts that may have ``email`` among their addresses, primary or not: every one that
    has, perhaps a few more (the caller compares the addresses)."""
    condition = _parts_in_contact(PART_SEPARATORS.split(email.lower()), last_started=False)
    live = contacts_live(organization=organization)
    if condition is None:
        return live.none()
    if connection.vendor != "postgresql":
        return live.filter(search_text__contains=email.lower())
    return live.filter(condition)


def contact_tag_names(*, organization: Organization, contact_ids: list[int]) -> dict[int, list[str]]:
    """Each contact's tag names, sorted, in one query."""
    names: dict[int, list[str]] = {}
    links = ContactTag.objects.filter(organization=organization, contact_id__in=contact_ids)
    for contact_id, name in links.values_list("contact_id", "tag__name").order_by("tag__name"):
        names.setdefault(contact_id, []).append(name)
    return names


def contacts_search(contacts: QuerySet[Contact], term: str, *, organization: Organization) -> QuerySet[Contact]:
    """Contacts matching every word of ``term``, best first: names, company and
    emails by words (the start of a word, or a word with a typo, still matches),
    phones by any run of three or more digits in any format.

    Each word is its own condition so PostgreSQL intersects the GIN indexes'
    answers for every word before reading a row: the full-text index for words
    (with the organization's known words a typo may stand for) and for the parts
    of emails and other words with punctuation, the trigram index for digits.
    SQLite falls back to substring matching.
    """
    term = term.replace("\x00", "")  # no database text holds a NUL; it can only be noise here
    tokens = term.lower().split()[:8]
    digits = re.sub(r"\D", "", term)
    if len(digits) >= 3 and not re.search(r"[^\W\d_]", term):
        tokens = [digits]  # a phone typed with spaces, dashes or a +1: one run of digits
    conditions = [condition for token in tokens if (condition := _term_condition(token[:60], organization)) is not None]
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
    words = PART_SEPARATORS.split((contact.last_name or contact.first_name).lower())
    if (
        name
        and connection.vendor == "postgresql"
        and (found := _parts_in_contact(words, last_started=False)) is not None
    ):
        # The same last name (its words through the full-text index), and first names alike, or
        # every Smith would be John Smith's duplicate.
        similar = Q(found, last_name__iexact=contact.last_name)
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
