"""A reply names the email it answers: it joins that email's thread, whoever sends it."""

import pytest

from config.tests.fakes.postmark import inbound_webhook
from inbox.models import Message, Thread
from inbox.tests.email_support import email_integration, post_webhook, webhook_secret_set

pytestmark = pytest.mark.django_db


def test_a_reply_from_another_address_lands_in_the_thread_it_answers(client, org, settings):
    webhook_secret_set(settings)
    integration = email_integration(org)
    first = inbound_webhook(
        to=integration.address,
        from_email="dana@home.example",
        subject="Gutter repair",
        text="Can you come on Friday?",
        headers={"Message-ID": "<first@home.example>"},
    )
    reply = inbound_webhook(
        to=integration.address,
        from_email="dana.lee@work.example",
        subject="Re: Gutter repair",
        text="Writing from work: Friday at 9 suits me.",
        headers={
            "Message-ID": "<second@work.example>",
            "In-Reply-To": "<first@home.example>",
            "References": "<first@home.example>",
        },
    )

    post_webhook(client, "inbound", first)
    post_webhook(client, "inbound", reply)

    thread = Thread.objects.get(organization=org)
    assert list(thread.messages.order_by("id").values_list("from_address", flat=True)) == [
        "dana@home.example",
        "dana.lee@work.example",
    ]
    assert thread.unread_count == 2


def test_a_new_email_from_another_address_starts_its_own_thread(client, org, settings):
    webhook_secret_set(settings)
    integration = email_integration(org)
    for sender, message_id in [("dana@home.example", "<a@home.example>"), ("sam@else.example", "<b@else.example>")]:
        post_webhook(
            client,
            "inbound",
            inbound_webhook(
                to=integration.address, from_email=sender, text="Hello", headers={"Message-ID": message_id}
            ),
        )

    assert Thread.objects.filter(organization=org).count() == 2
    assert Message.objects.filter(organization=org).count() == 2
