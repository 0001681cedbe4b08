"""Email through the platform's email service (Postmark, reached through django-anymail).

Each business has one inbound address, ``<organization slug>@INBOX_EMAIL_DOMAIN``.
Mail to it arrives by anymail's inbound webhook and tracking events by anymail's
tracking webhook (both handled in ``inbox.email_inbound``), so this provider has no
routing or verification of its own. Outbound mail leaves through the configured
``EMAIL_BACKEND`` from the business's inbound address, so answers come back to the inbox.
"""

from email.utils import formataddr, parseaddr

from anymail.exceptions import AnymailError, AnymailInvalidAddress, AnymailRecipientsRefused
from anymail.message import AnymailMessage
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.mail import get_connection

from inbox.models import IntegrationConfig, IntegrationKind
from inbox.providers import register
from inbox.providers.base import OutgoingMessage, Provider, ProviderError, SendResult

# Tracking events carry this back, so they find the integration without searching every one.
INTEGRATION_METADATA_KEY = "inbox_integration"


def inbound_address(organization) -> str:
    """The address a business's clients write to, e.g. ``alpha-plumbing@inbound.example.com``."""
    return f"{organization.slug}@{settings.INBOX_EMAIL_DOMAIN}".lower()


def _sender(config: IntegrationConfig) -> str:
    display_name, _ = parseaddr(settings.DEFAULT_FROM_EMAIL)
    return formataddr((display_name, config.address))


def _threading_headers(message: OutgoingMessage) -> dict[str, str]:
    headers = {
        "Message-ID": message.email_message_id,
        "In-Reply-To": message.in_reply_to,
        "References": message.references,
    }
    return {name: value for name, value in headers.items() if value}


def _email(config: IntegrationConfig, message: OutgoingMessage) -> AnymailMessage:
    email = AnymailMessage(
        subject=message.subject,
        body=message.body,
        from_email=_sender(config),
        to=[message.to_address],
        reply_to=[config.address],
        headers=_threading_headers(message),
        connection=get_connection(fail_silently=False),
    )
    email.metadata = {INTEGRATION_METADATA_KEY: str(config.pk)}
    return email


class EmailProvider(Provider):
    kind = IntegrationKind.EMAIL

    def send(self, config: IntegrationConfig, message: OutgoingMessage) -> SendResult:
        try:
            email = _email(config, message)
            email.send()
        except (AnymailRecipientsRefused, AnymailInvalidAddress) as error:
            raise ProviderError(
                f"The address was refused: {error}", code="recipient_refused", permanent=True
            ) from error
        except ImproperlyConfigured as error:
            # No token, no backend: every retry would fail the same way until someone fixes the settings.
            raise ProviderError(
                f"The email service is not configured: {error}", code="not_configured", permanent=True
            ) from error
        except (AnymailError, OSError) as error:
            raise ProviderError(f"The email service failed: {error}", code="email_service_error") from error
        # A backend that is not anymail's (the console one in development) returns no id: ours stands in.
        provider_id = email.anymail_status.message_id or message.email_message_id
        return SendResult(provider_message_id=str(provider_id))

    def check_credentials(self, config: IntegrationConfig) -> None:
        """The platform's ESP is configured; the address belongs to the inbound domain.
        Nothing else is the business's own to get wrong."""
        if not config.address.lower().endswith("@" + settings.INBOX_EMAIL_DOMAIN.lower()):
            raise ProviderError(
                f"{config.address} is not on the inbound domain {settings.INBOX_EMAIL_DOMAIN}.", permanent=True
            )
        if not settings.EMAIL_BACKEND.startswith("anymail."):
            raise ProviderError("The platform's email service is not configured (EMAIL_BACKEND).", permanent=True)
        try:
            get_connection(fail_silently=False)  # anymail's backends refuse to start without their token
        except ImproperlyConfigured as error:
            raise ProviderError(f"The platform's email service is not configured: {error}", permanent=True) from error


register(EmailProvider())
