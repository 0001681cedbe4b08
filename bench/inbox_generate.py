"""The inbox at platform scale: one organization of 100,000 threads and 1,000,000 messages.

Creates (or refreshes) in the benchmark database:

- "Busy Inbox Co" with ``--threads`` contacts, each with one thread (100,000 by default) of
  ``--per-thread`` messages (10: 1,000,000 messages), across SMS, WhatsApp, email and Messenger;
- "Quiet Inbox" with ``--small-threads`` threads (1,000), the small-table reference;

each with an owner, an API token, five labels, and an SMS integration whose Twilio number and auth
token are written with the token to bench/results/inbox_tokens.json, so a load run can sign
inbound webhooks the way Twilio does. A tenth of the threads are unread, a fifth assigned, a tenth
closed, a tenth labelled. Rows go in with COPY as the database superuser (row-level security
refuses COPY to everyone else); the full-text index over messages is dropped during the load and
rebuilt after, then ANALYZE.

    .venv/bin/python bench/inbox_generate.py                      # the large scale
    .venv/bin/python bench/inbox_generate.py --threads 5000 --small-threads 500   # small
"""

import argparse
import json
import random
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import common, contacts_generate

AUTH_TOKEN = "bench-twilio-auth-token-0123456789"
ACCOUNT_SID = "AC" + "b" * 32
# Each thread's channel bits (inbox.models.CHANNEL_BITS) from its messages, as the services keep them.
THREAD_CHANNELS = (
    "UPDATE inbox_thread SET channels = used.bits FROM (SELECT thread_id, bit_or(CASE channel "
    "WHEN 'sms' THEN 1 WHEN 'whatsapp' THEN 2 WHEN 'email' THEN 4 WHEN 'messenger' THEN 8 "
    "WHEN 'instagram' THEN 16 ELSE 0 END) AS bits FROM inbox_message WHERE organization_id = %s "
    "GROUP BY thread_id) AS used WHERE used.thread_id = inbox_thread.id"
)
SEARCH_INDEX = "CREATE INDEX message_search_idx ON inbox_message USING gin (search_vector)"
INBOUND_LINES = (
    "Hi, is anyone available to look at a leaking tap this week?",
    "Can I move my appointment to Thursday afternoon?",
    "The water heater is making a loud banging noise again",
    "Thanks, that time works for me",
    "How much would a full bathroom refit cost roughly?",
    "Running ten minutes late, sorry!",
    "Do you take card payments on site?",
    "The invoice says two hours but the job took one",
    "Could you send me the quote again please",
    "Great job yesterday, the kitchen looks amazing",
    "Is there parking near your shop?",
    "My boiler pressure keeps dropping overnight",
)
OUTBOUND_LINES = (
    "Thanks for getting in touch! We can come on Tuesday at 9:00.",
    "Your appointment is confirmed. See you then.",
    "We've sent the quote to your email.",
    "No problem, we've moved you to Thursday at 14:00.",
    "Our technician is on the way and should arrive in 20 minutes.",
    "Yes, we take all major cards on site.",
    "Sorry about that, we've corrected the invoice.",
)
CHANNELS = (("sms", 0.5), ("whatsapp", 0.2), ("email", 0.2), ("messenger", 0.1))
THREAD_COLUMNS = (
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
    "channels",
    "created_at",
    "updated_at",
)
MESSAGE_COLUMNS = (
    "organization_id",
    "thread_id",
    "integration_id",
    "channel",
    "direction",
    "status",
    "provider_message_id",
    "from_address",
    "to_address",
    "subject",
    "body",
    "email_message_id",
    "in_reply_to",
    '"references"',
    "error_code",
    "error_message",
    "attempts",
    "created_at",
    "updated_at",
)


@dataclass(frozen=True)
class Sizes:
    threads: int = 100_000
    per_thread: int = 10
    small_threads: int = 1_000


@dataclass
class Plan:
    """One organization's part of the data set, with what the load needs to know of it."""

    slug: str
    name: str
    threads: int
    organization_id: int = 0
    token: str = ""
    membership_id: int = 0
    sms_number: str = ""
    integration_id: int = 0
    label_ids: tuple[int, ...] = ()


def prepare(plan: Plan, index: int) -> None:
    """The organization, its token, labels and SMS integration, through the product's models."""
    from accounts.models import Membership
    from inbox.models import IntegrationConfig, IntegrationKind, IntegrationStatus, Label

    plan.organization_id, plan.token = contacts_generate.ensure_organization(plan.name, plan.slug)
    plan.membership_id = Membership.objects.filter(organization_id=plan.organization_id).order_by("id").first().pk
    plan.sms_number = f"+1555010{index:04d}"
    config, _ = IntegrationConfig.objects.get_or_create(
        kind=IntegrationKind.TWILIO_SMS,
        address=plan.sms_number,
        defaults={"organization_id": plan.organization_id, "name": "Main line"},
    )
    config.credentials = {"account_sid": ACCOUNT_SID, "auth_token": AUTH_TOKEN}
    config.status = IntegrationStatus.CONNECTED
    config.save()
    plan.integration_id = config.pk
    plan.label_ids = tuple(
        Label.objects.get_or_create(organization_id=plan.organization_id, name=name)[0].pk
        for name in ("Quote", "Urgent", "Follow up", "Complaint", "VIP")
    )


def _clear(connection, organization_id: int) -> None:
    for table in (
        "inbox_attachment",
        "inbox_messageevent",
        "inbox_message",
        "inbox_threadlabel",
        "inbox_thread",
        "inbox_contactidentity",
        "crm_contacttag",
        "crm_contactnote",
        "crm_contact",
    ):
        connection.execute(f"DELETE FROM {table} WHERE organization_id = %s", [organization_id])


def _copy(connection, table: str, columns: tuple[str, ...], rows) -> None:
    with connection.cursor() as cursor, cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def _ids(connection, sql: str, organization_id: int) -> list[tuple]:
    return connection.execute(sql, [organization_id]).fetchall()


def _channel(rng: random.Random) -> str:
    roll, total = rng.random(), 0.0
    for channel, share in CHANNELS:
        total += share
        if roll < total:
            return channel
    return CHANNELS[0][0]


def thread_rows(plan: Plan, contacts: list[tuple[int, str, str]], per_thread: int, seed: int):
    """One thread per contact; the messages' times are fixed here so the thread's summary matches."""
    rng = random.Random(seed)
    now = datetime.now(UTC)
    for contact_id, _phone, _email in contacts:
        last = now - timedelta(seconds=rng.randint(0, 180 * 86400))
        unread = rng.randint(1, 3) if rng.random() < 0.1 else 0
        status = "closed" if rng.random() < 0.1 else "open"
        snoozed = now + timedelta(days=2) if status == "open" and rng.random() < 0.03 else None
        assigned = plan.membership_id if rng.random() < 0.2 else None
        preview = rng.choice(INBOUND_LINES)
        first = last - timedelta(minutes=per_thread * 30)
        # channels start empty: THREAD_CHANNELS sets them from the messages once those are in
        yield (
            plan.organization_id, contact_id, status, snoozed, assigned, unread,
            last, preview, last, plan.integration_id, 0, first, last,
        )  # fmt: skip


def message_rows(plan: Plan, threads: list[tuple[int, int, datetime]], contacts: dict, per_thread: int, seed: int):
    rng = random.Random(seed)
    for thread_id, contact_id, last in threads:
        phone, email = contacts[contact_id]
        channel = _channel(rng)
        address = email if channel == "email" else f"psid-{contact_id}" if channel == "messenger" else phone
        for position in range(per_thread):
            at = last - timedelta(minutes=(per_thread - 1 - position) * 30)
            inbound = position % 2 == 0 or position == per_thread - 1
            body = rng.choice(INBOUND_LINES if inbound else OUTBOUND_LINES)
            subject = "Question about my booking" if channel == "email" else ""
            email_id = f"<{thread_id}.{position}@bench.example>" if channel == "email" else ""
            yield (
                plan.organization_id, thread_id, plan.integration_id if channel == "sms" else None, channel,
                "inbound" if inbound else "outbound", "received" if inbound else "delivered",
                f"BENCH{thread_id:09d}{position:03d}", address if inbound else plan.sms_number,
                plan.sms_number if inbound else address, subject, body, email_id, "", "", "", "", 0 if inbound else 1,
                at, at,
            )  # fmt: skip


def identity_rows(plan: Plan, contacts: list[tuple[int, str, str]]):
    """Each phone once: random numbers sometimes repeat, and a number leads to one contact."""
    now, seen = datetime.now(UTC), set()
    for contact_id, phone, _email in contacts:
        if phone not in seen:
            seen.add(phone)
            yield plan.organization_id, contact_id, "sms", phone, now


def label_rows(plan: Plan, thread_ids: list[int], seed: int):
    rng = random.Random(seed)
    for thread_id in thread_ids:
        if rng.random() < 0.1:
            yield plan.organization_id, thread_id, rng.choice(plan.label_ids)


def load(admin_url: str, plans: list[Plan], per_thread: int) -> float:
    import psycopg

    vocab = contacts_generate.names()
    started = time.monotonic()
    with psycopg.connect(admin_url, autocommit=True) as connection:
        connection.execute("DROP INDEX IF EXISTS message_search_idx")
        for plan in plans:
            organization_id = plan.organization_id
            _clear(connection, organization_id)
            rows = contacts_generate.contact_rows(organization_id, plan.threads, organization_id, vocab)
            _copy(connection, "crm_contact", contacts_generate.COLUMNS, rows)
            contacts = _ids(
                connection,
                "SELECT id, phone, email FROM crm_contact WHERE organization_id = %s ORDER BY id",
                organization_id,
            )
            _copy(
                connection,
                "inbox_contactidentity",
                ("organization_id", "contact_id", "channel", "address", "created_at"),
                identity_rows(plan, contacts),
            )
            _copy(connection, "inbox_thread", THREAD_COLUMNS, thread_rows(plan, contacts, per_thread, organization_id))
            threads = _ids(
                connection,
                "SELECT id, contact_id, last_message_at FROM inbox_thread WHERE organization_id = %s ORDER BY id",
                organization_id,
            )
            by_contact = {contact_id: (phone, email) for contact_id, phone, email in contacts}
            _copy(
                connection,
                "inbox_message",
                MESSAGE_COLUMNS,
                message_rows(plan, threads, by_contact, per_thread, organization_id),
            )
            connection.execute(THREAD_CHANNELS, [organization_id])
            _copy(
                connection,
                "inbox_threadlabel",
                ("organization_id", "thread_id", "label_id"),
                label_rows(plan, [row[0] for row in threads], organization_id),
            )
            print(
                f"  {plan.slug}: {plan.threads:,} threads, {plan.threads * per_thread:,} messages "
                f"({time.monotonic() - started:.0f} s)",
                flush=True,
            )  # fmt: skip
        connection.execute(SEARCH_INDEX)
        for table in ("crm_contact", "inbox_contactidentity", "inbox_thread", "inbox_message", "inbox_threadlabel"):
            connection.execute(f"ANALYZE {table}")
    return time.monotonic() - started


def generate(database_url: str, sizes: Sizes) -> dict[str, dict]:
    """Build both organizations in the database Django is set up on; returns, by slug, the
    organization id, API token, thread count and the SMS integration's number and auth token,
    also written to ``common.tokens_file("inbox", database_url)``."""
    from accounts.tenancy import system_scope

    plans = [
        Plan("busy-inbox", "Busy Inbox Co", sizes.threads),
        Plan("quiet-inbox", "Quiet Inbox", sizes.small_threads),
    ]
    with system_scope():
        for index, plan in enumerate(plans):
            prepare(plan, index)
    seconds = load(common.admin_url(database_url), plans, sizes.per_thread)
    tokens = {
        plan.slug: {
            "organization_id": plan.organization_id,
            "token": plan.token,
            "threads": plan.threads,
            "messages": plan.threads * sizes.per_thread,
            "sms_number": plan.sms_number,
            "auth_token": AUTH_TOKEN,
            "label_ids": list(plan.label_ids),
            "membership_id": plan.membership_id,
        }
        for plan in plans
    }
    path = common.tokens_file("inbox", database_url)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(tokens, indent=2))
    total = sum(plan.threads for plan in plans) * sizes.per_thread
    print(f"{total:,} messages in {seconds:.0f} s ({total / seconds:,.0f} messages/s, index included)", flush=True)
    return tokens


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    defaults = Sizes()
    parser.add_argument("--threads", type=int, default=defaults.threads)
    parser.add_argument("--per-thread", type=int, default=defaults.per_thread)
    parser.add_argument("--small-threads", type=int, default=defaults.small_threads)
    args = parser.parse_args()

    env = common.production_environment()
    common.prepare_database(env)
    common.setup_django(env)
    generate(
        common.DATABASE_URL, Sizes(threads=args.threads, per_thread=args.per_thread, small_threads=args.small_threads)
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
