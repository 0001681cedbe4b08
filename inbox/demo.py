"""The demo business's inbox: its channels and a few dozen short conversations with its clients.

Registered with accounts.demo from InboxConfig.ready(), after crm's seeder, whose contacts
are the people writing in. Integrations are marked connected with made-up credentials: the
demo never reaches Twilio or Meta (the numbers are in the 555-01xx fiction range, the email
domains reserved). Threads are written in bulk and dated over the last two weeks, so the
inbox reads like a running business: some unread, some assigned, one closed, one snoozed,
a few labelled. The random choices are seeded; a business that already has integrations
gets nothing, so running seed_demo again adds nothing.
"""

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from accounts.models import Membership, Organization, User
from crm.models import Contact
from inbox import services
from inbox.models import (
    CHANNEL_BITS,
    Channel,
    ContactIdentity,
    Direction,
    IntegrationConfig,
    IntegrationKind,
    IntegrationStatus,
    Label,
    Message,
    MessageEvent,
    MessageStatus,
    Thread,
    ThreadLabel,
    ThreadStatus,
)

SEED = 6060
DEMO_THREADS = 30
DAYS_BACK = 14
LABELS = (("Urgent", "#dc2626"), ("Quote", "#2563eb"), ("Follow up", "#d97706"))
# What each kind of integration is called, where it receives, and its made-up credentials.
INTEGRATIONS = (
    (IntegrationKind.TWILIO_SMS, "Main line", "+13125550147", {"account_sid": "AC" + "d" * 32, "auth_token": "demo"}),
    (
        IntegrationKind.TWILIO_WHATSAPP,
        "WhatsApp",
        "+13125550148",
        {"account_sid": "AC" + "d" * 32, "auth_token": "demo"},
    ),
    (IntegrationKind.EMAIL, "Inbound email", "", {}),
    (IntegrationKind.FACEBOOK, "Brightside on Facebook", "100000000000147", {"page_access_token": "demo-page-token"}),
)
# Short exchanges: "in" from the client, "out" from the business. Email ones carry a subject.
CONVERSATIONS: tuple[tuple[str, tuple[tuple[str, str], ...]], ...] = (
    (
        "",
        (
            ("in", "Hi, my kitchen sink is draining really slowly. Can someone come this week?"),
            ("out", "Hi! We can come Thursday between 9 and 11. Does that work?"),
            ("in", "Thursday is perfect, thanks."),
        ),
    ),
    (
        "",
        (
            ("in", "Water heater making a banging noise since this morning"),
            ("out", "Sounds like sediment. Please turn the temperature down; we'll call you within the hour."),
        ),
    ),
    ("", (("in", "Are you open on Saturdays?"), ("out", "Yes, 9am to 1pm for call-outs."), ("in", "Great"))),
    (
        "Quote for bathroom remodel",
        (
            ("in", "Could you send a quote for replacing the toilet and vanity in our upstairs bathroom?"),
            ("out", "Happy to. Could you send a photo of the current setup and the measurements?"),
            ("in", "Photos attached. The vanity is 36 inches wide."),
        ),
    ),
    (
        "",
        (("out", "Reminder: we'll be there tomorrow at 10am. Reply if you need to change it."), ("in", "See you then")),
    ),
    ("", (("in", "Thanks for fixing the leak so fast!"), ("out", "Glad we could help. Have a great weekend!"))),
    (
        "Invoice 1042",
        (
            ("out", "Please find your invoice for Tuesday's visit. You can pay online with the link."),
            ("in", "Paid, thank you."),
        ),
    ),
    ("", (("in", "Toilet keeps running after flushing. Is that something you fix?"),)),
    ("", (("in", "Garbage disposal is humming but not spinning"), ("out", "Try the reset button underneath first."))),
    ("", (("in", "Do you install outdoor faucets before winter?"),)),
    (
        "Sump pump check",
        (
            ("out", "Time for the yearly sump pump check before the spring rains. Shall we book you in?"),
            ("in", "Yes please, any weekday morning."),
        ),
    ),
    (
        "",
        (
            ("in", "There's water under the dishwasher. Emergency?"),
            ("out", "Shut the valve under the sink; on our way."),
        ),
    ),
)
CHANNEL_ROTATION = (Channel.SMS, Channel.SMS, Channel.WHATSAPP, Channel.EMAIL, Channel.MESSENGER)


@dataclass
class _Plan:
    contact: Contact
    channel: str
    subject: str
    lines: tuple[tuple[str, str], ...]
    started_at: datetime


@transaction.atomic
def demo_inbox_seed(organization: Organization, owner: User) -> None:
    if Thread.objects.filter(organization=organization).exists():
        return
    rng = random.Random(SEED)
    now = timezone.now()
    configs = _integrations(organization, owner, now)
    labels = [services.label_create(organization=organization, actor=owner, name=n, color=c) for n, c in LABELS]
    plans = _plans(organization, rng, now)
    threads = [_conversation(organization, plan, configs, owner, rng) for plan in plans]
    _triage(organization, threads, labels, rng, now)


def _integrations(organization: Organization, owner: User, now: datetime) -> dict[str, IntegrationConfig]:
    configs = {}
    # Onboarding already gave the business its inbound email address: the demo uses that one.
    existing = {config.kind: config for config in IntegrationConfig.objects.filter(organization=organization)}
    for kind, name, address, credentials in INTEGRATIONS:
        config = existing.get(kind) or services.integration_create(
            organization=organization, actor=owner, kind=kind, name=name, address=address, credentials=credentials
        )
        config.status, config.last_checked_at = IntegrationStatus.CONNECTED, now
        config.save(update_fields=["status", "last_checked_at", "updated_at"])
        configs[config.channel] = config
    return configs


def _address(contact: Contact, channel: str, rng: random.Random) -> str:
    if channel in (Channel.SMS, Channel.WHATSAPP):
        return contact.phone
    if channel == Channel.EMAIL:
        return contact.email
    return str(rng.randrange(10**15, 10**16))  # a Page-scoped user id


def _plans(organization: Organization, rng: random.Random, now: datetime) -> list[_Plan]:
    contacts = list(
        Contact.objects.filter(organization=organization, deleted_at__isnull=True).order_by("id")[: DEMO_THREADS * 3]
    )
    rng.shuffle(contacts)
    plans = []
    for contact in contacts:
        channel = CHANNEL_ROTATION[len(plans) % len(CHANNEL_ROTATION)]
        if not _address(contact, channel, rng):
            continue
        subject, lines = CONVERSATIONS[len(plans) % len(CONVERSATIONS)]
        started_at = now - timedelta(days=rng.uniform(0, DAYS_BACK), minutes=len(lines) * 20)
        plans.append(_Plan(contact, channel, subject if channel == Channel.EMAIL else "", lines, started_at))
        if len(plans) == DEMO_THREADS:
            break
    return plans


def _conversation(organization: Organization, plan: _Plan, configs: dict, owner: User, rng: random.Random) -> Thread:
    config = configs[plan.channel]
    address = _address(plan.contact, plan.channel, rng)
    ContactIdentity.objects.get_or_create(
        organization=organization, channel=plan.channel, address=address, defaults={"contact": plan.contact}
    )
    thread = services.thread_for_contact(contact=plan.contact)
    messages = []
    for index, (direction, body) in enumerate(plan.lines):
        inbound = direction == "in"
        messages.append(
            Message(
                organization=organization,
                thread=thread,
                integration=config,
                channel=plan.channel,
                direction=Direction.INBOUND if inbound else Direction.OUTBOUND,
                status=MessageStatus.RECEIVED if inbound else MessageStatus.DELIVERED,
                provider_message_id=f"demo-{thread.pk}-{index}",
                from_address=address if inbound else config.address,
                to_address=config.address if inbound else address,
                subject=(plan.subject if index == 0 else f"Re: {plan.subject}") if plan.subject else "",
                body=body,
                author=None if inbound else owner,
            )
        )
    Message.objects.bulk_create(messages)
    _backdate(messages, plan.started_at, rng)
    return _thread_summary(thread, messages, config)


def _backdate(messages: list[Message], start: datetime, rng: random.Random) -> None:
    """Stamp the conversation's times, and the outbound ones' sent and delivered steps."""
    at, events = start, []
    for message in messages:
        at += timedelta(minutes=rng.randrange(3, 40))
        message.created_at = at
        if message.direction == Direction.OUTBOUND:
            events += [
                MessageEvent(organization=message.organization, message=message, status=status)
                for status in (MessageStatus.QUEUED, MessageStatus.SENT, MessageStatus.DELIVERED)
            ]
    Message.objects.bulk_update(messages, ["created_at"])
    MessageEvent.objects.bulk_create(events)


def _thread_summary(thread: Thread, messages: list[Message], config: IntegrationConfig) -> Thread:
    last = messages[-1]
    inbound = [message for message in messages if message.direction == Direction.INBOUND]
    thread.last_message_at = last.created_at
    thread.last_message_preview = " ".join(last.body.split())[: services.PREVIEW_LENGTH]
    thread.last_inbound_at = inbound[-1].created_at if inbound else None
    thread.last_inbound_integration = config if inbound else None
    # The business has not answered yet: the client's last messages are unread.
    trailing = 0
    for message in reversed(messages):
        if message.direction != Direction.INBOUND:
            break
        trailing += 1
    thread.unread_count = trailing
    thread.channels |= CHANNEL_BITS[last.channel]
    thread.save()
    return thread


def _triage(
    organization: Organization, threads: list[Thread], labels: list[Label], rng: random.Random, now: datetime
) -> None:
    """What the team has done with the conversations: assigned, labelled, one closed, one snoozed."""
    members = list(Membership.objects.filter(organization=organization).order_by("id"))
    for index, thread in enumerate(threads):
        if index % 3 == 0:
            thread.assigned_to = members[index % len(members)]
    read = [thread for thread in threads if thread.unread_count == 0]
    if read:
        read[0].status = ThreadStatus.CLOSED
    if len(read) > 1:
        read[1].snoozed_until = now + timedelta(days=2)
    Thread.objects.bulk_update(threads, ["assigned_to", "status", "snoozed_until"])
    links = [
        ThreadLabel(organization=organization, thread=thread, label=label)
        for thread in threads
        for label in labels
        if rng.random() < 0.15
    ]
    ThreadLabel.objects.bulk_create(links)
