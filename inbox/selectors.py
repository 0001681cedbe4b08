"""Reads of the inbox."""

from datetime import datetime

from django.db.models import QuerySet

from crm.hooks import TimelineItem
from inbox.models import IntegrationConfig, Message


def integrations_for_addresses(*, kind: str, addresses: list[str]) -> list[IntegrationConfig]:
    """The active integrations of ``kind`` with these addresses (system scope: any organization)."""
    addresses = [address for address in addresses if address][:50]
    if not addresses:
        return []
    return list(
        IntegrationConfig.objects.filter(kind=kind, address__in=addresses, is_active=True)
        .select_related("organization")
        .order_by("id")
    )


def integrations_of(*, organization) -> QuerySet[IntegrationConfig]:
    return IntegrationConfig.objects.filter(organization=organization).order_by("kind", "id")


def contact_messages_timeline(contact, before: datetime | None, limit: int) -> list[TimelineItem]:
    """The contact's messages on every channel, for the contact's timeline."""
    messages = Message.objects.filter(organization=contact.organization, thread__contact=contact)
    if before is not None:
        messages = messages.filter(created_at__lt=before)
    return [
        TimelineItem(
            kind="message",
            id=message.pk,
            at=message.created_at,
            summary=" ".join((message.body or message.subject).split())[:200],
            data={
                "channel": message.channel,
                "direction": message.direction,
                "status": message.status,
                "thread": message.thread_id,
            },
        )
        for message in messages.order_by("-created_at", "-id")[:limit]
    ]
