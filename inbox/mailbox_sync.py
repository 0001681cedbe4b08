"""Polling the businesses' own mailboxes: new INBOX mail becomes inbox messages.

Beat runs ``tasks.mailboxes_poll`` every minute; it enqueues one ``tasks.mailbox_poll`` per
mailbox, which calls ``mailbox_poll`` here in that organization's scope. Where reading
stopped is kept in ``sync_state`` (``uidvalidity`` and ``last_uid``) and moves on only once
the messages are stored: a poll that dies half-way reads them again, and their provider ids
(the Message-ID) make that harmless.
"""

import logging
from datetime import timedelta

from django.utils import timezone

from inbox import services
from inbox.models import IntegrationConfig, IntegrationKind, IntegrationStatus
from inbox.providers import provider_for
from inbox.providers.base import ProviderError
from inbox.providers.mailbox import FetchedMail

logger = logging.getLogger(__name__)

# A newly connected mailbox brings in its recent mail only, not years of newsletters as contacts.
FIRST_SYNC_WINDOW = timedelta(days=14)
# At most this many messages per poll; the rest come with the next one.
POLL_LIMIT = 100


def mailboxes_to_poll() -> list[tuple[int, int]]:
    """(integration id, organization id) of every mailbox to read (system scope). One whose
    login was refused waits for someone to fix it and check again: polling it every minute
    would only get the account locked."""
    mailboxes = IntegrationConfig.objects.filter(kind=IntegrationKind.MAILBOX, is_active=True).exclude(
        status=IntegrationStatus.ERROR
    )
    return list(mailboxes.order_by("id").values_list("id", "organization_id"))


def mailbox_poll(*, config: IntegrationConfig) -> int:
    """Record the mailbox's new mail; returns how many messages were stored. A refused login
    turns the integration to error; a server that cannot be reached is tried again next poll."""
    state = config.sync_state or {}
    try:
        batch = provider_for(config.kind).fetch_new(
            config,
            uidvalidity=state.get("uidvalidity"),
            after_uid=int(state.get("last_uid") or 0),
            since=(timezone.now() - FIRST_SYNC_WINDOW).date(),
            limit=POLL_LIMIT,
        )
    except ProviderError as error:
        if error.permanent:
            services.integration_status_record(config=config, error=error)
        else:
            logger.warning("Mailbox %s (integration %s) could not be read: %s", config.address, config.pk, error)
        return 0
    stored = sum(_record(config, mail) for mail in batch.mails)
    _remember(config, uidvalidity=batch.uidvalidity, last_uid=batch.seen_up_to)
    return stored


def _record(config: IntegrationConfig, mail: FetchedMail) -> bool:
    inbound = mail.inbound
    if inbound is None or not inbound.from_address:
        return False  # unreadable, or no sender to answer
    if inbound.from_address.lower() == config.address.lower():
        return False  # our own mail (a copy of what we sent): not a message from a contact
    return services.inbound_record(config=config, inbound=inbound) is not None


def _remember(config: IntegrationConfig, *, uidvalidity: int, last_uid: int) -> None:
    # Only sync_state is written, so a status or credentials change made meanwhile is kept.
    config.sync_state = {**(config.sync_state or {}), "uidvalidity": uidvalidity, "last_uid": last_uid}
    IntegrationConfig.objects.filter(pk=config.pk).update(sync_state=config.sync_state)
