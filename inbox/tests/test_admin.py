"""Staff see every business's inbox in the admin; credentials never show, and an integration
can be checked again from the list."""

import pytest
from django.urls import reverse

from inbox.models import IntegrationStatus
from inbox.tests.factories import (
    IntegrationConfigFactory,
    MessageEventFactory,
    MessageFactory,
    ThreadFactory,
)
from inbox.tests.twilio_helpers import twilio_integration

pytestmark = pytest.mark.django_db

SECRET_TOKEN = "tok-never-in-the-admin"


@pytest.fixture
def staff_client(client, django_user_model):
    client.force_login(django_user_model.objects.create_superuser("ops@bizbox.example", "a-long-staff-password"))
    return client


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def test_integrations_of_every_business_without_their_credentials(staff_client, org, other_org):
    ours = IntegrationConfigFactory(organization=org, credentials={"account_sid": "AC9", "auth_token": SECRET_TOKEN})
    IntegrationConfigFactory(organization=other_org)

    listed = staff_client.get(reverse("admin:inbox_integrationconfig_changelist"))
    page = staff_client.get(reverse("admin:inbox_integrationconfig_change", args=[ours.pk]))

    assert listed.status_code == 200
    assert len(listed.context["cl"].result_list) == 2
    assert page.status_code == 200
    for response in (listed, page):
        text = response.content.decode()
        assert SECRET_TOKEN not in text
        assert ours.credentials_encrypted not in text


def test_check_now_records_what_the_provider_says(staff_client, org, fake_twilio):
    # The real Twilio provider asks the fake Twilio; the second number is not on the account.
    fake_twilio.add_number("+13125550100")
    good = twilio_integration(org, address="+13125550100")
    stale = twilio_integration(org, address="+13125550101")

    response = staff_client.post(
        reverse("admin:inbox_integrationconfig_changelist"),
        {"action": "check_now", "_selected_action": [good.pk, stale.pk]},
        follow=True,
    )

    assert response.status_code == 200
    good.refresh_from_db()
    stale.refresh_from_db()
    assert (good.status, good.last_error) == (IntegrationStatus.CONNECTED, "")
    assert stale.status == IntegrationStatus.ERROR
    assert stale.last_error == "+13125550101 is not one of this Twilio account's phone numbers."
    assert "1 connected, 1 not working." in response.content.decode()


def test_thread_and_message_pages(staff_client, org):
    thread = ThreadFactory(organization=org)
    message = MessageFactory(organization=org, thread=thread, body="Can you come on Friday?")
    MessageEventFactory(organization=org, message=message)

    for url in (
        reverse("admin:inbox_thread_changelist") + "?q=" + thread.contact.last_name,
        reverse("admin:inbox_thread_change", args=[thread.pk]),
        reverse("admin:inbox_message_changelist") + "?q=Friday",
        reverse("admin:inbox_message_change", args=[message.pk]),
    ):
        response = staff_client.get(url)
        assert response.status_code == 200, url
    assert (
        "Can you come on Friday?"
        in staff_client.get(reverse("admin:inbox_thread_change", args=[thread.pk])).content.decode()
    )


def test_messages_cannot_be_changed_in_the_admin(staff_client, org):
    message = MessageFactory(organization=org, body="As sent")

    staff_client.post(reverse("admin:inbox_message_change", args=[message.pk]), {"body": "Rewritten"})

    message.refresh_from_db()
    assert message.body == "As sent"
