"""An email service outage delays an email; it does not lose or duplicate it."""

import pytest

from accounts.tenancy import organization_scope
from crm.tests.factories import ContactFactory
from inbox import services, tasks
from inbox.models import MessageStatus
from inbox.tests.email_support import email_integration
from inbox.tests.factories import ThreadFactory

pytestmark = pytest.mark.django_db


def test_two_failed_sends_then_one_success_send_the_email_once_with_its_history(
    org, owner, fake_email, django_capture_on_commit_callbacks
):
    email_integration(org)
    thread = ThreadFactory(organization=org, contact=ContactFactory(organization=org, email="dana@example.com"))
    fake_email.fail_next_sends(2)

    with django_capture_on_commit_callbacks(), organization_scope(org.pk):
        message = services.message_send(
            thread=thread, actor=owner, body="Your visit is booked.", channel="email", subject="Booking"
        )

    # What the worker does with the enqueued task (eager mode runs each retry at once).
    tasks.message_deliver.apply(kwargs={"organization_id": org.pk, "message_id": message.pk}, throw=False)

    assert len(fake_email.requests) == 3
    assert len(fake_email.sent) == 1
    assert fake_email.sent[0]["Subject"] == "Booking"
    message.refresh_from_db()
    assert (message.status, message.attempts, message.error_code) == (MessageStatus.SENT, 3, "")
    assert message.provider_message_id == fake_email.sent[0]["MessageID"]
    steps = list(message.events.order_by("at", "id").values_list("status", "detail"))
    assert [status for status, _ in steps] == ["queued", "queued", "queued", "sent"]
    assert steps[1][1].startswith("Attempt 1: The email service failed")
    assert steps[1][1].endswith("(will retry)")
    assert steps[2][1].startswith("Attempt 2: ")
