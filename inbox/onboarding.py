"""The inbox's part of finishing onboarding: the business's own inbound email address.

accounts sends ``accounts.signals.onboarding_completed`` (it may not import this app); the
receiver here, connected in InboxConfig.ready(), gives the business its address
``<slug>@INBOX_EMAIL_DOMAIN``, so its clients can write to it from the first day. A business
that has one already keeps it: running again adds nothing.
"""

from typing import Any

from accounts.models import Organization, User
from inbox import services


def onboarding_completed_receiver(
    sender: Any, *, organization: Organization, actor: User | None, **kwargs: Any
) -> None:
    services.inbound_email_ensure(organization=organization, actor=actor)
