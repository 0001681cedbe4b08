"""Files sent with an email are kept with the message, within the size limit."""

import pytest

from config.tests.fakes.postmark import inbound_attachment, inbound_webhook
from inbox.models import Attachment
from inbox.tests.email_support import email_integration, post_webhook, webhook_secret_set

pytestmark = pytest.mark.django_db

PHOTO = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4


@pytest.fixture
def integration(org, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    webhook_secret_set(settings)
    return email_integration(org)


def test_an_attachment_is_stored_with_the_message(client, org, integration):
    payload = inbound_webhook(
        to=integration.address,
        from_email="dana@example.com",
        subject="Photo of the leak",
        text="See attached.",
        attachments=[inbound_attachment("leak.png", PHOTO, "image/png")],
    )

    post_webhook(client, "inbound", payload)

    attachment = Attachment.objects.get(organization=org)
    assert (attachment.filename, attachment.content_type, attachment.size) == ("leak.png", "image/png", len(PHOTO))
    assert attachment.message.body == "See attached."
    with attachment.file.open("rb") as stored:
        assert stored.read() == PHOTO


def test_an_attachment_over_the_limit_is_named_but_not_kept(client, org, integration, settings):
    settings.INBOX_ATTACHMENT_MAX_BYTES = 100
    payload = inbound_webhook(
        to=integration.address,
        from_email="dana@example.com",
        text="A big one.",
        attachments=[inbound_attachment("plans.pdf", b"%PDF" + b"0" * 500, "application/pdf")],
    )

    post_webhook(client, "inbound", payload)

    attachment = Attachment.objects.get(organization=org)
    assert attachment.filename == "plans.pdf"
    assert not attachment.file
    assert "Larger than 100 bytes" in attachment.error
