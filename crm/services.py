"""Writes of contacts: create, update, delete and restore, tags, notes, merge.

Every write starts from a cleaned input (crm.validation), keeps the search
columns in step, and leaves an activity entry. The importer, the API, the
admin and later apps (inbox, booking page) all come through here.
"""

import re
from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone

from accounts.models import Organization, User
from accounts.services import activity_record
from crm import hooks
from crm.models import Contact, ContactNote, ContactSource, ContactTag, Tag
from crm.validation import contact_clean

RESTORE_WINDOW = timedelta(days=30)
# The plain text fields of a contact: filled from another contact on merge or import.
TEXT_FIELDS = (
    "first_name",
    "last_name",
    "company",
    "address_line1",
    "address_line2",
    "city",
    "region",
    "postal_code",
    "country",
)
CONTACT_FIELDS = (*TEXT_FIELDS, "custom_fields", "consent", "source")


def search_columns(contact: Contact) -> None:
    """Fill what search reads (see ``search_values``) on a contact."""
    contact.search_text, contact.phone_digits = search_values(
        contact.first_name, contact.last_name, contact.company, contact.emails, contact.phones
    )


def search_values(
    first_name: str, last_name: str, company: str, emails: list[dict], phones: list[dict]
) -> tuple[str, str]:
    """What search reads: the words of the contact, and every phone's E.164 digits.

    Search looks for the digits typed anywhere in those, so "555 0123",
    "(312) 555-0123" and "+1 312..." all find +13125550123.
    """
    words = [first_name, last_name, company, *(entry["value"] for entry in emails)]
    digits = (re.sub(r"\D", "", entry["value"]) for entry in phones)
    return " ".join(word.lower() for word in words if word), " ".join(digits)


def primary(entries: list[dict]) -> str:
    """The primary email or phone: the first of the list."""
    return entries[0]["value"] if entries else ""


def _apply(contact: Contact, cleaned: dict[str, Any]) -> None:
    for field in CONTACT_FIELDS:
        if field in cleaned:
            setattr(contact, field, cleaned[field])
    if "emails" in cleaned:
        contact.emails, contact.email = cleaned["emails"], primary(cleaned["emails"])
    if "phones" in cleaned:
        contact.phones, contact.phone = cleaned["phones"], primary(cleaned["phones"])
    search_columns(contact)


def contact_values(
    *, organization: Organization, data: dict[str, Any], source: str = ContactSource.MANUAL
) -> dict[str, Any]:
    """Every attribute of a valid new contact from raw input, by field name: what ``contact_build``
    sets, and what the importer inserts as it is (without a model instance per row)."""
    cleaned = contact_clean(organization=organization, data={"source": source, **data})
    values: dict[str, Any] = {
        **dict.fromkeys(TEXT_FIELDS, ""),
        "emails": [],
        "phones": [],
        "custom_fields": {},
        "consent": {},
        **cleaned,
    }
    values["email"], values["phone"] = primary(values["emails"]), primary(values["phones"])
    if not (values["first_name"] or values["last_name"] or values["company"] or values["email"] or values["phone"]):
        raise ValidationError({"non_field_errors": ["Give at least a name, a company, an email or a phone."]})
    values["search_text"], values["phone_digits"] = search_values(
        values["first_name"], values["last_name"], values["company"], values["emails"], values["phones"]
    )
    return values


def contact_build(*, organization: Organization, data: dict[str, Any], source: str = ContactSource.MANUAL) -> Contact:
    """A valid, unsaved contact from raw input."""
    contact = Contact()
    # Being added is a contact's first activity. Lists sorted by last activity are cursor-paged,
    # and a cursor cannot stand on NULL, so every contact made here has one.
    contact.organization, contact.last_activity_at = organization, timezone.now()
    for name, value in contact_values(organization=organization, data=data, source=source).items():
        setattr(contact, name, value)
    return contact


@transaction.atomic
def contact_create(
    *,
    organization: Organization,
    actor: User | None,
    data: dict[str, Any],
    source: str = ContactSource.MANUAL,
    tags: Iterable[Tag] = (),
) -> Contact:
    contact = contact_build(organization=organization, data=data, source=source)
    contact.save()
    _link_tags(organization, [contact], list(tags))
    activity_record(
        organization=organization, actor=actor, verb="contact.created", target=contact, summary=contact.display_name
    )
    return contact


@transaction.atomic
def contact_update(*, contact: Contact, actor: User | None, data: dict[str, Any]) -> Contact:
    cleaned = contact_clean(organization=contact.organization, data=data, previous_consent=contact.consent)
    _keep_other_addresses(contact, data, cleaned)
    _apply(contact, cleaned)
    contact.save()
    activity_record(
        organization=contact.organization,
        actor=actor,
        verb="contact.updated",
        target=contact,
        summary=contact.display_name,
        data={"changed": sorted(cleaned)},
    )
    return contact


def _keep_other_addresses(contact: Contact, data: dict[str, Any], cleaned: dict[str, Any]) -> None:
    """``email`` or ``phone`` sent alone replaces the primary one; the other addresses stay."""
    for single, many in (("email", "emails"), ("phone", "phones")):
        if single in data and many not in data:
            cleaned[many] = entries_union(cleaned[many], getattr(contact, many)[1:])


@transaction.atomic
def contacts_delete(*, organization: Organization, contacts: QuerySet[Contact], actor: User | None) -> int:
    """Soft delete: the contacts disappear from lists and can be restored for 30 days."""
    ids = list(contacts.filter(organization=organization, deleted_at__isnull=True).values_list("id", flat=True))
    Contact.objects.filter(id__in=ids).update(deleted_at=timezone.now())
    activity_record(
        organization=organization,
        actor=actor,
        verb="contact.deleted",
        summary=f"{len(ids)} contact(s)",
        data={"ids": ids[:1000]},
    )
    return len(ids)


@transaction.atomic
def contact_restore(*, contact: Contact, actor: User | None) -> Contact:
    if contact.deleted_at is None:
        return contact
    if contact.deleted_at + RESTORE_WINDOW < timezone.now():
        raise ValidationError({"non_field_errors": ["Deleted more than 30 days ago: it can no longer be restored."]})
    if contact.merged_into_id:
        raise ValidationError({"non_field_errors": ["This contact was merged into another one."]})
    contact.deleted_at = None
    contact.save(update_fields=["deleted_at", "updated_at"])
    activity_record(
        organization=contact.organization,
        actor=actor,
        verb="contact.restored",
        target=contact,
        summary=contact.display_name,
    )
    return contact


def contacts_purge_deleted() -> int:
    """Forget contacts deleted more than 30 days ago (system work, all organizations)."""
    deleted, _ = Contact.objects.filter(deleted_at__lt=timezone.now() - RESTORE_WINDOW).delete()
    return deleted


def _link_tags(organization: Organization, contacts: list[Contact], tags: list[Tag]) -> None:
    links = [ContactTag(organization=organization, contact=c, tag=t) for c in contacts for t in tags]
    ContactTag.objects.bulk_create(links, ignore_conflicts=True)


@transaction.atomic
def contacts_tag(
    *, organization: Organization, contacts: QuerySet[Contact], tags: list[Tag], actor: User | None
) -> int:
    ids = list(contacts.filter(organization=organization).values_list("id", flat=True))
    links = [ContactTag(organization=organization, contact_id=i, tag=t) for i in ids for t in tags]
    ContactTag.objects.bulk_create(links, ignore_conflicts=True, batch_size=2000)
    activity_record(
        organization=organization,
        actor=actor,
        verb="contact.tagged",
        summary=f"{len(ids)} contact(s): {', '.join(t.name for t in tags)}",
    )
    return len(ids)


@transaction.atomic
def contacts_untag(
    *, organization: Organization, contacts: QuerySet[Contact], tags: list[Tag], actor: User | None
) -> int:
    ids = contacts.filter(organization=organization).values("id")
    removed, _ = ContactTag.objects.filter(organization=organization, contact_id__in=ids, tag__in=tags).delete()
    activity_record(
        organization=organization, actor=actor, verb="contact.untagged", summary=", ".join(t.name for t in tags)
    )
    return removed


def tag_get_or_create(*, organization: Organization, name: str, color: str | None = None) -> Tag:
    """The organization's tag of that name (any case), made if missing; ``color`` repaints it."""
    name = name.strip()
    if not name:
        raise ValidationError({"name": ["A tag needs a name."]})
    tag = Tag.objects.filter(organization=organization, name__iexact=name).first()
    if tag is None:
        return Tag.objects.create(organization=organization, name=name[:60], **({"color": color} if color else {}))
    if color and tag.color != color:
        tag.color = color
        tag.save(update_fields=["color"])
    return tag


def tag_update(*, tag: Tag, name: str | None = None, color: str | None = None) -> Tag:
    """Rename or repaint a tag. A name another of the organization's tags has (in any case) is refused."""
    new_name = tag.name if name is None else name.strip()
    if not new_name:
        raise ValidationError({"name": ["A tag needs a name."]})
    taken = ValidationError({"name": [f"There is already a tag named “{new_name}”."]})
    others = Tag.objects.filter(organization_id=tag.organization_id).exclude(pk=tag.pk)
    if others.filter(name__iexact=new_name).exists():
        raise taken
    tag.name = new_name
    if color is not None:
        tag.color = color
    try:
        with transaction.atomic():
            tag.save(update_fields=["name", "color"])
    except IntegrityError as error:  # the same name given to another tag at the same moment
        raise taken from error
    return tag


@transaction.atomic
def contact_tags_set(*, contact: Contact, tags: list[Tag], actor: User | None) -> None:
    """Give the contact exactly these tags."""
    current = Contact.objects.filter(pk=contact.pk)
    organization = contact.organization
    contacts_untag(organization=organization, contacts=current, tags=list(contact.tags.all()), actor=actor)
    contacts_tag(organization=organization, contacts=current, tags=tags, actor=actor)


@transaction.atomic
def note_create(*, contact: Contact, author: User | None, body: str) -> ContactNote:
    body = body.strip()
    if not body:
        raise ValidationError({"body": ["A note cannot be empty."]})
    note = ContactNote.objects.create(organization=contact.organization, contact=contact, author=author, body=body)
    contact_touch(contact=contact, at=note.created_at)
    return note


def contact_touch(*, contact: Contact, at) -> None:
    """Something happened with the contact: lists sort by last activity."""
    Contact.objects.filter(pk=contact.pk).update(last_activity_at=at)


@transaction.atomic
def contact_merge(*, target: Contact, merged: Contact, actor: User | None) -> Contact:
    """Merge ``merged`` into ``target``: its notes, tags and addresses move over, gaps are filled,
    and every app that plugged into crm.hooks moves its own records. ``merged`` is then
    soft-deleted, remembering where it went."""
    if target.pk == merged.pk:
        raise ValidationError({"other": ["A contact cannot be merged into itself."]})
    if merged.organization_id != target.organization_id or merged.deleted_at is not None:
        raise ValidationError({"other": ["No such contact."]})
    for field in TEXT_FIELDS:
        if not getattr(target, field):
            setattr(target, field, getattr(merged, field))
    target.emails = entries_union(target.emails, merged.emails)
    target.phones = entries_union(target.phones, merged.phones)
    target.email, target.phone = primary(target.emails), primary(target.phones)
    target.custom_fields = {**merged.custom_fields, **target.custom_fields}
    target.consent = {**merged.consent, **target.consent}
    target.last_activity_at = max(filter(None, [target.last_activity_at, merged.last_activity_at]), default=None)
    search_columns(target)
    target.save()
    ContactNote.objects.filter(contact=merged).update(contact=target)
    _link_tags(target.organization, [target], list(merged.tags.all()))
    ContactTag.objects.filter(contact=merged).delete()
    for handler in hooks.merge_handlers:
        handler(target, merged)
    merged.deleted_at = timezone.now()
    merged.merged_into = target
    merged.save(update_fields=["deleted_at", "merged_into", "updated_at"])
    activity_record(
        organization=target.organization,
        actor=actor,
        verb="contact.merged",
        target=target,
        summary=f"{merged.display_name} merged into {target.display_name}",
        data={"merged_id": merged.pk},
    )
    return target


def entries_union(first: list[dict], second: list[dict]) -> list[dict]:
    """The emails or phones of ``first``, then those of ``second`` it does not have."""
    values = {entry["value"] for entry in first}
    return first + [entry for entry in second if entry["value"] not in values]
