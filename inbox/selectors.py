"""Reads of the inbox."""

from datetime import datetime

from django.db import connection
from django.db.models import (
    CharField,
    Count,
    Exists,
    F,
    Func,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Value,
)
from django.db.models.functions import Concat

from config.search import VectorMatches
from crm.hooks import TimelineItem
from crm.models import Contact
from inbox.models import (
    CHANNEL_BITS,
    Attachment,
    Channel,
    ContactIdentity,
    Direction,
    IntegrationConfig,
    Label,
    Message,
    MessageEvent,
    MessageStatus,
    Thread,
    ThreadLabel,
    ThreadStatus,
)


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


def identity_exists(*, organization, channel: str, address: str) -> bool:
    """Whether someone already wrote from ``address`` on ``channel`` (a contact knows it)."""
    return ContactIdentity.objects.filter(organization=organization, channel=channel, address=address).exists()


# The statuses a receipt still moves a message on from.
RECEIPT_MOVES_FROM = {
    MessageStatus.DELIVERED: (MessageStatus.SENT,),
    MessageStatus.READ: (MessageStatus.SENT, MessageStatus.DELIVERED),
}


def outbound_sent_by(*, config: IntegrationConfig, to_address: str, at: datetime, receipt: str) -> list[str]:
    """Provider ids of the messages sent on ``config`` to ``to_address`` by ``at`` that a
    ``receipt`` (delivered or read) would still move: what a receipt with a watermark
    (Meta's "everything before this moment was read") covers. A message is dated by when it
    was queued, which is never later than when the provider took it."""
    messages = (
        Message.objects.filter(
            organization_id=config.organization_id,
            integration=config,
            direction=Direction.OUTBOUND,
            to_address=to_address,
            status__in=RECEIPT_MOVES_FROM.get(receipt, ()),
            created_at__lte=at,
        )
        .exclude(provider_message_id="")
        .order_by("-created_at")
    )
    return list(messages.values_list("provider_message_id", flat=True)[:500])


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


# Threads and their messages, as the API lists them ------------------------------------------


def _threads_of_live_contacts(organization) -> QuerySet[Thread]:
    """The organization's conversations whose contact is not deleted, newest activity first."""
    return Thread.objects.filter(organization=organization, contact__deleted_at__isnull=True).order_by(
        "-last_message_at", "-id"
    )


def threads_shown(*, organization) -> QuerySet[Thread]:
    """The organization's conversations with live contacts, newest activity first, with what
    ``thread_payload`` shows loaded in one query (and the labels in a second)."""
    labels = Label.objects.filter(organization=organization).only("id", "name", "color").order_by("name", "id")
    return (
        _threads_of_live_contacts(organization)
        .select_related("contact", "assigned_to__user", "last_inbound_integration")
        .only(
            *THREAD_COLUMNS,
            *(f"contact__{name}" for name in ("id", "first_name", "last_name", "company", "email", "phone")),
            "assigned_to__id",
            *(f"assigned_to__user__{name}" for name in ("id", "email", "first_name", "last_name")),
            "last_inbound_integration__id",
            "last_inbound_integration__kind",
        )
        .prefetch_related(Prefetch("labels", queryset=labels))
    )


def threads_listed(*, organization) -> QuerySet[Thread]:
    """What the thread list reads its rows from (``THREAD_ROW_FIELDS`` with ``.values()``): the
    conversations with live contacts that have a message (one without is no conversation to
    list, but it can be written to; it also keeps the cursor on a column without nulls),
    newest activity first."""
    return _threads_of_live_contacts(organization).exclude(last_message_at=None)


# What a row of the thread list shows, read with .values() (inbox.api.serializers.thread_rows_payload).
THREAD_ROW_FIELDS = (
    "id",
    "status",
    "snoozed_until",
    "unread_count",
    "last_message_at",
    "last_message_preview",
    "created_at",
    "contact_id",
    "contact__first_name",
    "contact__last_name",
    "contact__company",
    "contact__email",
    "contact__phone",
    "assigned_to_id",
    "assigned_to__user__email",
    "assigned_to__user__first_name",
    "assigned_to__user__last_name",
    "last_inbound_integration__kind",
)


def thread_label_refs(*, organization, thread_ids: list[int]) -> dict[int, list[dict]]:
    """Each thread's labels (id, name, colour), by name, in one query."""
    refs: dict[int, list[dict]] = {}
    links = ThreadLabel.objects.filter(organization=organization, thread_id__in=thread_ids).values_list(
        "thread_id", "label_id", "label__name", "label__color"
    )
    # Sorted here: a few labels per thread, where ORDER BY would sort the joined rows first.
    for thread_id, label_id, name, color in sorted(links, key=lambda link: (link[2], link[1])):
        refs.setdefault(thread_id, []).append({"id": label_id, "name": name, "color": color})
    return refs


THREAD_COLUMNS = (
    "id",
    "organization_id",
    "contact_id",
    "status",
    "snoozed_until",
    "assigned_to_id",
    "unread_count",
    "last_message_at",
    "last_message_preview",
    "last_inbound_at",
    "last_inbound_integration_id",
    "created_at",
    "updated_at",
)


def threads_in_status(threads: QuerySet[Thread], status: str, *, now: datetime) -> QuerySet[Thread]:
    """open: neither closed nor snoozed; snoozed: open with a snooze still running; closed."""
    if status == ThreadStatus.CLOSED:
        return threads.filter(status=ThreadStatus.CLOSED)
    snoozed = Q(snoozed_until__gt=now)
    if status == "snoozed":
        return threads.filter(snoozed, status=ThreadStatus.OPEN)
    return threads.filter(status=ThreadStatus.OPEN).exclude(snoozed)


def threads_on_channel(threads: QuerySet[Thread], channel: str, *, organization) -> QuerySet[Thread]:
    """Threads with a message on ``channel``, read from the thread's own channel bits."""
    return threads.alias(on_channel=F("channels").bitand(CHANNEL_BITS[channel])).filter(on_channel__gt=0)


def threads_labeled(threads: QuerySet[Thread], label_id: int, *, organization) -> QuerySet[Thread]:
    links = ThreadLabel.objects.filter(organization=organization, thread=OuterRef("pk"), label_id=label_id)
    return threads.filter(Exists(links))


def _text_matches(term: str) -> Q | Func:
    """Messages whose subject or body hold the words of ``term`` (on SQLite: the text itself)."""
    if connection.vendor == "postgresql":
        # The stored tsvector of subject and body (migration 0003), GIN index message_search_idx.
        return VectorMatches("subject", term)
    return Q(subject__icontains=term) | Q(body__icontains=term)


def threads_search(threads: QuerySet[Thread], term: str, *, organization) -> QuerySet[Thread]:
    """Threads with a message saying ``term``, or whose contact is called so."""
    term = " ".join(term.replace("\x00", " ").split())[:200]  # no database text holds a NUL
    if not term:
        return threads
    messages = Message.objects.filter(_text_matches(term), organization=organization)
    named = Q(contact__first_name__icontains=term) | Q(contact__last_name__icontains=term)
    full_name = Concat("contact__first_name", Value(" "), "contact__last_name", output_field=CharField())
    return threads.alias(contact_full_name=full_name).filter(
        Q(pk__in=messages.values("thread_id")) | named | Q(contact_full_name__icontains=term)
    )


def thread_unread_counts(*, organization, membership) -> dict:
    """The sidebar's numbers of threads with unread messages: all, mine, unassigned, per
    channel (threads with a message on it, as the channel filter reads) and per label.

    Two queries over the unread threads only (the partial index ``thread_org_unread_idx``
    finds them): the channels come from each thread's channel bits, not from its messages."""
    # "Not of a deleted contact" as an anti-join probed per unread thread: a plain join on the
    # contact would read every contact of the business to find the few deleted ones.
    deleted_contact = Contact.objects.filter(pk=OuterRef("contact_id"), deleted_at__isnull=False)
    unread_threads = Thread.objects.filter(
        ~Exists(deleted_contact), organization=organization, unread_count__gt=0, last_message_at__isnull=False
    )
    bits = {f"on_{channel}": F("channels").bitand(bit) for channel, bit in CHANNEL_BITS.items()}
    totals = unread_threads.alias(**bits).aggregate(
        all=Count("id"),
        mine=Count("id", filter=Q(assigned_to=membership)),
        unassigned=Count("id", filter=Q(assigned_to__isnull=True)),
        **{f"channel_{channel}": Count("id", filter=Q(**{f"on_{channel}__gt": 0})) for channel in CHANNEL_BITS},
    )
    labels = (
        Label.objects.filter(organization=organization)
        .annotate(unread=Count("threadlabel", filter=Q(threadlabel__thread__in=unread_threads)))
        .order_by("name", "id")
        .values("id", "name", "color", "unread")
    )
    return {
        "all": totals["all"],
        "mine": totals["mine"],
        "unassigned": totals["unassigned"],
        "channels": {channel: totals[f"channel_{channel}"] for channel in Channel.values},
        "labels": list(labels),
    }


def thread_messages(*, thread: Thread) -> QuerySet[Message]:
    """The thread's messages, newest first (pages read backwards), with their authors,
    status history and attachments in a fixed number of queries."""
    organization_id = thread.organization_id
    events = MessageEvent.objects.filter(organization_id=organization_id).order_by("at", "id")
    attachments = Attachment.objects.filter(organization_id=organization_id).order_by("id")
    return (
        Message.objects.filter(organization_id=organization_id, thread=thread)
        .select_related("author")
        .prefetch_related(Prefetch("events", queryset=events), Prefetch("attachments", queryset=attachments))
        .order_by("-created_at", "-id")
    )


def message_with_details(*, message_id: int, organization) -> Message:
    return (
        Message.objects.filter(organization=organization, pk=message_id)
        .select_related("author")
        .prefetch_related(
            Prefetch("events", queryset=MessageEvent.objects.filter(organization=organization).order_by("at", "id")),
            Prefetch("attachments", queryset=Attachment.objects.filter(organization=organization).order_by("id")),
        )
        .get()
    )
